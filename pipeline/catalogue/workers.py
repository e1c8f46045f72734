"""The catalogue's per-statement work: its page, its list row and its thumbnail.

This is most of a cold build (10,000 statements: 10,000 pages, rows and
PDFium renders), so it runs in a pool of processes, one per core. Each
worker is given what it needs once (:class:`WorkerSetup`: templates, labels,
each package's folder) and compiles the templates once; a job is then only a
statement's :class:`StatementSource` or a PDF to render. Workers write the
files themselves (a page or a PNG is never copied back through a pipe) and
return what the main process records: the written file's size, the list row,
and any problem. Results come back in job order, so the report is the same
whatever the number of workers.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Iterator

from pipeline.catalogue.content import ContentUnusable, read_text, read_verified
from pipeline.catalogue.holdings import Copy
from pipeline.catalogue.pages import Labels, direction, environment, render
from pipeline.catalogue.site import write_if_changed
from pipeline.catalogue.thumbnails import ThumbnailFailed, first_page_png, thumbnail_name
from pipeline.catalogue.views import StatementSource, entry_of, statement_view

#: Below this many jobs, starting processes costs more than it saves (unless --workers asks).
_POOL_FROM = 40


@dataclass(frozen=True)
class WorkerSetup:
    templates: Path
    locale_dir: Path | None
    out: Path
    package_dirs: tuple[tuple[str, Path], ...]


@dataclass(frozen=True)
class PageJob:
    source: StatementSource
    page_key: str | None  # None: the page is unchanged, only the list row is wanted
    want_entry: bool


@dataclass(frozen=True)
class ThumbnailJob:
    package: str
    bag_path: str
    sha256: str


@dataclass(frozen=True)
class Done:
    """What a job did: files written (relative name, size, key, whether bytes changed),
    the statement's list row, or a problem (code, where, message)."""

    files: tuple[tuple[str, int, str, bool], ...] = ()
    entry: dict[str, Any] | None = None
    problem: tuple[str, str, str] | None = None


class _Worker:
    def __init__(self, setup: WorkerSetup):
        self.setup = setup
        self.env = environment(setup.templates)
        self.labels = Labels(setup.locale_dir)
        self.package_dirs = dict(setup.package_dirs)
        pages = setup.out / "statements"
        self.package_links = {name: os.path.relpath(path, pages).replace(os.sep, "/")
                              for name, path in setup.package_dirs}

    def read(self, copy: Copy) -> Any:
        meta, body = copy.file("metadata"), copy.file("body")
        if meta is None or body is None:
            raise ContentUnusable(f"{self.package_dirs[copy.package]}/data/{copy.identifier}: "
                                  "metadata or body not in the package")
        return read_text(self.package_dirs[copy.package], (meta.bag_path, meta.sha256),
                         (body.bag_path, body.sha256))

    def page(self, job: PageJob) -> Done:
        source = job.source
        relative = f"statements/{source.identifier}.html"
        try:
            if job.page_key is None:
                text = self.read(source.copies[-1])
            else:
                view, text = statement_view(source, self.package_links, self.read)
        except ContentUnusable as exc:
            return Done(problem=("K003", relative, f"{exc}; no page for {source.identifier}, not listed"))
        files = ()
        if job.page_key is not None:
            label_lang, translations = self.labels.for_language(view["lang"])
            data = render(self.env, "statement.html.j2", translations, page_lang=label_lang,
                          page_dir=direction(label_lang), root="../", **view)
            written = write_if_changed(self.setup.out / relative, data)
            files = ((relative, len(data), job.page_key, written),)
        entry = entry_of(source.copies[-1], text, source.withdrawal is not None) if job.want_entry else None
        return Done(files, entry)

    def thumbnail(self, job: ThumbnailJob) -> Done:
        where = f"{self.package_dirs[job.package]}/{job.bag_path}"
        try:
            png = first_page_png(read_verified(self.package_dirs[job.package], job.bag_path, job.sha256))
        except (ContentUnusable, ThumbnailFailed) as exc:
            return Done(problem=("K004", where, f"no thumbnail: {exc}"))
        relative = thumbnail_name(job.sha256)
        written = write_if_changed(self.setup.out / relative, png)
        return Done(((relative, len(png), "", written),))

    def __call__(self, job: PageJob | ThumbnailJob) -> Done:
        return self.page(job) if isinstance(job, PageJob) else self.thumbnail(job)


_worker: _Worker | None = None


def _start(setup: WorkerSetup) -> None:
    global _worker
    _worker = _Worker(setup)


def _run(jobs: list[PageJob | ThumbnailJob]) -> list[Done]:
    assert _worker is not None
    return [_worker(job) for job in jobs]


def run_jobs(setup: WorkerSetup, jobs: list[PageJob | ThumbnailJob], workers: int | None) -> Iterator[Done]:
    """Each job's Done, in job order."""
    if workers is None:  # by default, a pool only where it pays
        workers = (os.cpu_count() or 1) if len(jobs) >= _POOL_FROM else 1
    if workers < 2 or not jobs:
        worker = _Worker(setup)
        yield from (worker(job) for job in jobs)
        return
    # Batches of a few dozen: few round trips, and the pool stays busy to the end.
    size = max(1, min(64, len(jobs) // (workers * 8)))
    batches = [jobs[i:i + size] for i in range(0, len(jobs), size)]
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_start,
                             initargs=(setup,)) as pool:
        for done in pool.map(_run, batches):
            yield from done
