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
from typing import Sequence

from pipeline.check.cache import checker_fingerprint, passed_check_before, record_passed_check, recorded_verdicts
from pipeline.check.stage import check_pdfs
from pipeline.core.records import Problem, RenderedStatement, StageReport


def check_changed(rendered: Sequence[RenderedStatement], workers: int | None = None) -> StageReport:
    """The check stage's report for *rendered*, checking only what needs it.

    A PDF whose exact bytes passed the same checker for the same statement
    bytes is not read again (``pipeline.check.cache.passed_check_before``); the others are
    checked in a pool of *workers* processes (default: one per core).
    Items and problems keep the order of *rendered*.
    """
    from pipeline.check.cache import checker_fingerprint, passed_check_before, record_passed_check, recorded_verdicts

    checker = checker_fingerprint()
    todo = [item for item in rendered if not passed_check_before(item, checker)]
    workers = max(1, min(workers or os.cpu_count() or 1, math.ceil(len(todo) / 8)))
    chunks = [todo[i::workers] for i in range(workers)]  # interleaved: similar mixes of documents
    if workers == 1:
        reports = [check_pdfs(todo)]
    else:
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            reports = list(pool.map(check_pdfs, chunks))
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
                          "verdicts": recorded_verdicts(item)})
            continue
        entry, its_problems = found[identifier]
        items.append({**entry, "checked": "now"})
        problems += its_problems
        if entry["ok"]:
            record_passed_check(item, checker, entry.get("verdicts"))
    return StageReport("check", tuple(problems), tuple(items))
