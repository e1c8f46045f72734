"""The render stage: render what changed, reuse what did not, store every PDF here.

A PDF whose render key (the statement's bytes, the renderer's fingerprint,
the variant) is unchanged is reused; the others go to an executor (a local
pool or a Dask cluster) and come back as bytes that this process checks and
stores, so the cache in ``build/pdf/`` has a single writer.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from pipeline.core.errors import ProblemsFound
from pipeline.core.records import Problem, RenderedStatement, Statement, StageReport
from pipeline.render.fingerprint import RenderConfig, extractor_versions, render_fingerprint
from pipeline.render.store import RenderKey, load_rendered, store_pdf
from pipeline.statements.files import ChangedSinceValidation

if TYPE_CHECKING:
    from pipeline.render.executors import RenderExecutor


def find_rendered(statements: Iterable[Statement], out_dir: Path, config: RenderConfig, *,
                  reuse: bool = True, fingerprint: str | None = None,
                  ) -> list[tuple[Statement, RenderKey, RenderedStatement | None]]:
    """Each statement with its render key and the PDF already rendered for
    exactly that key (None where there is none, it is stale or damaged, or
    not *reuse*)."""
    fingerprint = fingerprint or render_fingerprint(config)  # a caller that has it saves hashing the fonts
    extractor = extractor_versions()
    found = []
    for statement in statements:
        key = RenderKey.of(statement, fingerprint, config.variant, extractor)
        found.append((statement, key, load_rendered(statement, out_dir, key) if reuse else None))
    return found


def render_statements(
    statements: Iterable[Statement],
    out_dir: Path,
    config: RenderConfig,
    *,
    force: bool = False,
    progress: Callable[[int, Statement, str], None] | None = None,
    workers: int | None = None,
    executor: "RenderExecutor | None" = None,
    fingerprint: str | None = None,
) -> tuple[list[RenderedStatement], StageReport]:
    """Render each statement to ``out_dir/<identifier>.pdf``.

    *fingerprint*: the renderer's (:func:`render_fingerprint`), if the caller
    already has it; computed here otherwise.

    A PDF whose render key (inputs, templates, fonts, versions, variant) is
    unchanged is reused unless ``force``; only the others go to the executor
    (default: a local pool of ``workers`` processes, ``os.cpu_count()`` if
    None). Every new PDF is checked against its digest and written
    atomically here, in this process, so the cache has a single writer.
    Results and progress keep the statements' order whatever the executor.
    """
    from pipeline.render.executors import RenderJob, local_executor

    outcomes: dict[int, RenderedStatement | None] = {}
    pending: list[tuple[int, Statement, RenderKey]] = []
    found = find_rendered(statements, out_dir, config, reuse=not force, fingerprint=fingerprint)
    for index, (statement, key, reused) in enumerate(found, 1):
        if reused is None:
            pending.append((index, statement, key))
            continue
        outcomes[index] = reused
        if progress:
            progress(index, statement, "unchanged")

    problems: list[Problem] = []
    fresh: set[int] = set()
    if pending:
        executor = executor or local_executor(workers)
        jobs = (RenderJob.read(statement) for _, statement, _ in pending)
        fingerprint = pending[0][2].renderer
        results = zip(pending, executor.render(config, fingerprint, jobs, len(pending)))
        try:
            for (index, statement, key), result in results:  # lazily: one PDF in memory at a time
                result.verify(statement.identifier, fingerprint)
                if result.problems:
                    problems.extend(result.problems)
                    outcomes[index] = None
                    if progress:
                        progress(index, statement, "failed")
                    continue
                outcomes[index] = store_pdf(statement, out_dir, key, result.pdf)
                fresh.add(index)
                if progress:
                    progress(index, statement, "rendered")
        except ChangedSinceValidation as exc:
            raise ProblemsFound("a statement changed while it was being rendered", [
                Problem("R005", str(exc).split(":")[0], "", str(exc))]) from None

    rendered = [r for _, r in sorted(outcomes.items()) if r is not None]
    items = tuple(
        {"identifier": r.statement.identifier, "pdf": str(r.pdf_path), "sha256": r.pdf_sha256,
         "rendered": index in fresh}
        for index, r in sorted(outcomes.items()) if r is not None
    )
    return rendered, StageReport("render", tuple(problems), items)
