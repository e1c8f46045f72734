"""Running the check stage over many PDFs: skip what provably passed, spread the rest.

A PDF whose exact bytes passed the same checker for the same statement bytes
is not read again (:mod:`pipeline.check.cache`); the others are checked in a
pool of worker processes. Items and problems keep the order of the input.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Callable, Iterator, Sequence

from pipeline.check.cache import checker_fingerprint, earlier_pass, record_passed_check
from pipeline.core.records import Problem, RenderedStatement, StageReport


def check_changed(rendered: Sequence[RenderedStatement], workers: int | None = None,
                  progress: Callable[[str, int, int], None] | None = None) -> StageReport:
    """The check stage's report for *rendered*, checking only what needs it.

    A PDF whose exact bytes passed the same checker for the same statement
    bytes is not read again (``pipeline.check.cache.earlier_pass``); the others are
    checked in a pool of *workers* processes (default: one per core).
    Items and problems keep the order of *rendered*. *progress* is called
    with (identifier, done, total) as each PDF's check is known.
    """
    checker = checker_fingerprint()
    passed_before = {}
    alike = _Alike()
    for item in rendered:
        if (verdicts := earlier_pass(item, checker)) is not None:
            passed_before[id(item)] = alike.one_of(verdicts)
    todo = [item for item in rendered if id(item) not in passed_before]
    todo_by_identifier = {item.statement.identifier: item for item in todo}
    workers = max(1, min(workers or os.cpu_count() or 1, math.ceil(len(todo) / 8)))
    done, total = len(rendered) - len(todo), len(rendered)
    if progress:
        waiting = {id(item) for item in todo}
        for number, item in enumerate((i for i in rendered if id(i) not in waiting), 1):
            progress(item.statement.identifier, number, total)

    def checked(chunk_report: StageReport) -> StageReport:
        nonlocal done
        for entry in chunk_report.items:
            done += 1
            if entry["ok"]:  # kept as each chunk comes: a check stopped half-way keeps what it passed
                record_passed_check(todo_by_identifier[entry["identifier"]], checker, entry.get("verdicts"))
            if progress:
                progress(entry["identifier"], done, total)
        return chunk_report

    reports = [checked(report) for report in _check_now(todo, workers)] if todo else []
    by_file = {str(item.pdf_path): item.statement.identifier for item in todo}
    found: dict[str, tuple[dict, list[Problem]]] = {}
    for report in reports:
        for entry in report.items:
            found[entry["identifier"]] = (dict(entry), [])
        for problem in report.problems:
            found[by_file[problem.file]][1].append(problem)
    items, problems = [], []
    for item in rendered:
        identifier = item.statement.identifier
        if identifier not in found:
            items.append({"identifier": identifier, "pdf": str(item.pdf_path), "ok": True, "checked": "before",
                          "verdicts": passed_before[id(item)]})
            continue
        entry, its_problems = found[identifier]
        items.append({**entry, "checked": "now"})
        problems += its_problems
    return StageReport("check", tuple(problems), tuple(items))


class _Alike:
    """Equal verdict lists held once: most PDFs' are the same, and a build keeps
    them all until packaging. Compared with the last few distinct ones only, so
    PDFs whose verdicts all differ cost a few comparisons each, not one per PDF."""

    RECENT = 8

    def __init__(self) -> None:
        self._recent: list[list] = []

    def one_of(self, verdicts: list) -> list:
        for known in self._recent:
            if known == verdicts:
                return known
        self._recent = [verdicts, *self._recent[:self.RECENT - 1]]
        return verdicts


def _check_now(todo: Sequence[RenderedStatement], workers: int) -> Iterator[StageReport]:
    """The reports of checking *todo*, as they come, in this process or a pool of *workers*."""
    from pipeline.check.stage import check_pdfs  # the PDF readers: loaded only for PDFs to read

    if workers == 1:
        yield from (check_pdfs([item]) for item in todo)
        return
    # Interleaved chunks (similar mixes of documents), a few per worker so
    # progress moves while the pool works.
    count = min(len(todo), workers * 4)
    chunks = [todo[i::count] for i in range(count)]
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        yield from pool.map(check_pdfs, chunks)
