"""Where statements are rendered: this process, a local pool, or a Dask cluster.

The render stage decides *what* to render (only statements whose cached PDF
is stale) and stores every result itself; an executor only turns job
records into PDF bytes. A job carries the statement record and the bytes of
its two files, so a worker needs no access to ``statements/`` (a Dask worker
on another machine has none); it does need the same templates and fonts at
the same paths, and proves it: every result names the fingerprint of the
Renderer that made it, and the stage refuses bytes from a Renderer that is
not the one the cache key was computed for. Each result also carries the
SHA-256 of its bytes, checked again on arrival.

Results come back in the order of the jobs whatever the executor, and only a
bounded number of batches is in flight, so memory does not grow with the
corpus.
"""

from __future__ import annotations

import hashlib
import math
import os
import threading
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, Protocol, Sequence
from urllib.parse import urlsplit

from pipeline.core.errors import EnvironmentProblem, InputError
from pipeline.core.records import Problem, Statement
from pipeline.statements.files import read_unchanged
from pipeline.render.fingerprint import RenderConfig

if TYPE_CHECKING:
    from pipeline.render.renderer import Renderer


@dataclass(frozen=True)
class RenderJob:
    """One statement to render: small, picklable, self-contained."""

    statement: Statement
    metadata_bytes: bytes
    body_bytes: bytes
    capture_bytes: bytes = b""  # an imported statement's web capture, embedded as its Source

    @classmethod
    def read(cls, statement: Statement) -> "RenderJob":
        # Through the no-follow reader, compared with what validation saw:
        # a file edited or swapped for a link since then must not be rendered.
        capture = (read_unchanged(statement.capture_path, statement.capture_sha256)
                   if statement.capture_path else b"")
        return cls(statement, read_unchanged(statement.metadata_path, statement.metadata_sha256),
                   read_unchanged(statement.body_path, statement.body_sha256), capture)


@dataclass(frozen=True)
class RenderResult:
    identifier: str
    pdf: bytes  # empty when problems
    sha256: str
    problems: tuple[Problem, ...]
    fingerprint: str  # of the Renderer that produced it

    def verify(self, identifier: str, fingerprint: str) -> None:
        """Refuse a result that is not exactly what the stage asked for."""
        if self.identifier != identifier:
            raise EnvironmentProblem(f"a render worker answered for {self.identifier!r} "
                                     f"instead of {identifier!r}; results were mixed up")
        if self.fingerprint != fingerprint:
            raise EnvironmentProblem(
                f"a render worker rendered {identifier} with other templates, fonts or software "
                f"(renderer {self.fingerprint[:12]}, expected {fingerprint[:12]}); "
                "install the same project version, `make fonts` and WeasyPrint on every worker")
        if not self.problems and hashlib.sha256(self.pdf).hexdigest() != self.sha256:
            raise EnvironmentProblem(f"the PDF of {identifier} was damaged on its way from a "
                                     "render worker (its SHA-256 does not match); run the build again")


def _new_renderer(config: RenderConfig) -> "Renderer":
    # WeasyPrint is loaded where a statement is rendered, not where an
    # executor is chosen: a build with nothing to render never loads it.
    from pipeline.render.renderer import Renderer

    return Renderer(config)


def render_jobs(renderer: "Renderer", jobs: Sequence[RenderJob]) -> list[RenderResult]:
    from pipeline.render.renderer import RenderRefused

    results = []
    for job in jobs:
        identifier = job.statement.identifier
        try:
            data = renderer.render(job.statement, job.metadata_bytes, job.body_bytes, job.capture_bytes)
        except RenderRefused as refused:
            results.append(RenderResult(identifier, b"", "", tuple(refused.problems), renderer.fingerprint))
            continue
        results.append(RenderResult(identifier, data, hashlib.sha256(data).hexdigest(), (),
                                    renderer.fingerprint))
    return results


# -- worker-process side ---------------------------------------------------------
# A worker process keeps one Renderer (one FontConfiguration, fonts loaded
# once) for all its batches: that is the point of a worker, so it is
# process-local state by design. WeasyPrint and the environment variables
# pdf.py sets around a render are not thread-safe, hence the lock (a Dask
# worker may run several threads).

_worker = threading.local()
_render_lock = threading.Lock()


def _start_worker(config: RenderConfig) -> None:
    _worker.renderer = _new_renderer(config)


def _pool_batch(jobs: Sequence[RenderJob]) -> list[RenderResult]:
    return render_jobs(_worker.renderer, jobs)


def dask_batch(config: RenderConfig, fingerprint: str, jobs: Sequence[RenderJob]) -> list[RenderResult]:
    """One Dask task: idempotent (same jobs, same bytes), no side effects."""
    with _render_lock:
        renderer = getattr(_worker, "renderer", None)
        if renderer is None or renderer.config != config or renderer.fingerprint != fingerprint:
            # Templates or fonts changed since this worker's last build.
            renderer = _worker.renderer = _new_renderer(config)
        return render_jobs(renderer, jobs)


# -- executors --------------------------------------------------------------------

class RenderExecutor(Protocol):
    def render(self, config: RenderConfig, fingerprint: str, jobs: Iterable[RenderJob],
               count: int) -> Iterator[RenderResult]:
        """Render *count* jobs; yield one result per job, in the jobs' order."""


def _batches(jobs: Iterable[RenderJob], size: int) -> Iterator[list[RenderJob]]:
    batch: list[RenderJob] = []
    for job in jobs:
        batch.append(job)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _in_order(submit: Callable[[list[RenderJob]], Future], batches: Iterator[list[RenderJob]],
              window: int, result: Callable[[Future], list[RenderResult]]) -> Iterator[RenderResult]:
    """Keep at most *window* batches in flight; yield results in submission order."""
    in_flight: deque = deque()
    for batch in batches:
        in_flight.append(submit(batch))
        if len(in_flight) >= window:
            yield from result(in_flight.popleft())
    while in_flight:
        yield from result(in_flight.popleft())


@dataclass(frozen=True)
class InProcess:
    """Render in this process with one Renderer: ``--workers 1``."""

    def render(self, config, fingerprint, jobs, count):
        renderer = _new_renderer(config)
        for job in jobs:
            yield from render_jobs(renderer, [job])


@dataclass(frozen=True)
class LocalPool:
    """A pool of worker processes, each with one Renderer for all its documents."""

    workers: int
    max_batch: int = 16

    def render(self, config, fingerprint, jobs, count):
        workers = max(1, min(self.workers, count))
        if workers == 1:
            yield from InProcess().render(config, fingerprint, jobs, count)
            return
        # Small batches balance the load (documents differ a lot in cost);
        # a few per worker amortise the round trip.
        size = max(1, min(self.max_batch, math.ceil(count / (workers * 4))))
        # spawn: a clean interpreter, never a fork of a process with threads
        # (the CLI's or a Dask client's) or a half-initialised fontconfig.
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn"),
                                 initializer=_start_worker, initargs=(config,)) as pool:
            yield from _in_order(lambda batch: pool.submit(_pool_batch, batch),
                                 _batches(jobs, size), 2 * workers, lambda f: f.result())


@dataclass(frozen=True)
class DaskCluster:
    """An existing dask.distributed scheduler: ``dask://HOST:PORT``."""

    address: str  # tcp://HOST:PORT
    batch_size: int = 200
    retries: int = 2

    def render(self, config, fingerprint, jobs, count):
        try:
            from distributed import Client
        except ImportError:
            raise EnvironmentProblem("--executor dask:// needs the dask extra: make install EXTRAS=dask "
                                     "(or pip install 'statement-archive[dask]')") from None
        try:
            client = Client(self.address, timeout="20s", set_as_default=False)
        except OSError as exc:
            raise EnvironmentProblem(f"cannot reach the Dask scheduler at {self.address}: {exc}") from None
        with client:
            window = 2 * max(1, len(client.scheduler_info().get("workers", {})))

            def submit(batch: list[RenderJob]) -> Future:
                # The key names the batch's content, so a resubmitted batch is
                # the same task; retries cover a worker lost mid-batch.
                digest = hashlib.sha256(fingerprint.encode())
                for job in batch:
                    digest.update(f"\0{job.statement.identifier}\0{job.statement.metadata_sha256}"
                                  f"\0{job.statement.body_sha256}".encode())
                return client.submit(dask_batch, config, fingerprint, batch,
                                     key=f"render-batch-{digest.hexdigest()}", retries=self.retries)

            yield from _in_order(submit, _batches(jobs, max(1, min(self.batch_size, 1000))),
                                 window, lambda f: f.result())


def local_executor(workers: int | None = None) -> RenderExecutor:
    workers = workers or os.cpu_count() or 1
    return InProcess() if workers == 1 else LocalPool(workers)


def executor_from(spec: str | None, workers: int | None = None) -> RenderExecutor:
    """``None``/``local`` → the local pool; ``dask://HOST:PORT`` → that cluster."""
    if not spec or spec == "local":
        return local_executor(workers)
    parts = urlsplit(spec)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme == "dask" and parts.hostname and port:
        return DaskCluster(f"tcp://{parts.hostname}:{port}")
    raise InputError(f"--executor {spec!r}: expected `local` or dask://HOST:PORT "
                     "(the address of a running `dask scheduler`)")
