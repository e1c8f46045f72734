"""Render stage: statements → PDF/A files.

Split like WeasyPrint itself, one concern per module: ``document`` builds
the HTML from the templates, ``fonts`` pins and confines the fonts,
``sandbox`` is the URL fetcher, ``xmp`` writes the metadata, ``pdf`` drives
WeasyPrint, ``store`` writes PDFs atomically with their render key.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from .. import SOFTWARE_AGENT
from ..body import decode_body
from ..bodyhtml import layout_body
from ..errors import ProblemsFound
from ..records import Problem, RenderedStatement, Statement, StageReport
from ..statementfiles import ChangedSinceValidation
from .document import Colophon, document_html, template_environment, visible_text
from .fonts import FontSet, confined_fontconfig, ensure_confined
from .pdf import DEFAULT_VARIANT, VARIANTS, EmbeddedFile, write_pdf
from .sandbox import SandboxedFetcher
from .rendition import RenditionDate, rendition_date
from .store import RenderKey, load_rendered, store_pdf
from .xmp import DocumentFacts

if TYPE_CHECKING:
    from ..executors import RenderExecutor

__all__ = [
    "DEFAULT_VARIANT", "VARIANTS", "RenderConfig", "RenderRefused", "Renderer", "load_rendered",
    "render_fingerprint", "render_statements",
]


@dataclass(frozen=True)
class RenderConfig:
    templates_dir: Path
    fonts_dir: Path
    work_dir: Path  # build/: fontconfig file and cache live here
    variant: str = DEFAULT_VARIANT
    uncompressed: bool = False
    #: the run's rendition date (pipeline/render/rendition.py), None if not recorded
    rendition_date: str | None = None

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ValueError(f"unknown PDF/A variant {self.variant!r}; choose one of {', '.join(VARIANTS)}")
        if self.rendition_date is not None:
            RenditionDate(self.rendition_date)  # raises ValueError if malformed


class RenderRefused(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


def _templates_digest(templates_dir: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in templates_dir.rglob("*") if p.is_file()):
        digest.update(path.relative_to(templates_dir).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _text_stack() -> str:
    """The C libraries that shape and subset text, which also decide the bytes.

    Pango's version, and whether HarfBuzz's subsetter is loaded (without it
    WeasyPrint subsets with fontTools: other bytes).
    """
    from weasyprint.text.ffi import harfbuzz_subset, pango

    return f"pango {pango.pango_version()}; hb-subset {'yes' if harfbuzz_subset is not None else 'no'}"


def render_fingerprint(config: RenderConfig, font_set: FontSet) -> str:
    """Digest of everything besides the statement that affects a PDF's bytes.

    Cheap on purpose (no FontConfiguration): an unchanged build needs only
    this, and a worker's Renderer must arrive at the same value.
    """
    from weasyprint import __version__ as weasyprint_version

    return hashlib.sha256("\n".join((
        SOFTWARE_AGENT, f"WeasyPrint {weasyprint_version}", _text_stack(), font_set.fingerprint,
        _templates_digest(config.templates_dir), config.variant, str(config.uncompressed),
        f"rendition date {config.rendition_date}",
    )).encode()).hexdigest()


class Renderer:
    """One WeasyPrint set-up (fonts loaded once) for many documents."""

    def __init__(self, config: RenderConfig):
        from weasyprint import __version__ as weasyprint_version
        from weasyprint.text.fonts import FontConfiguration

        self.config = config
        self.font_set = FontSet(config.fonts_dir, cache_dir=config.work_dir.resolve() / "font-coverage")
        self.environment = template_environment(config.templates_dir)
        with confined_fontconfig(self.font_set, config.work_dir):
            self.font_config = FontConfiguration()
        ensure_confined(self.font_set, self.font_config)
        self.producer = f"WeasyPrint {weasyprint_version}"
        self.fingerprint = render_fingerprint(config, self.font_set)

    def render(self, statement: Statement, metadata_bytes: bytes, body_bytes: bytes) -> bytes:
        where = str(statement.body_path)
        layout = layout_body(decode_body(body_bytes), statement.media_type)
        try:
            rendition = rendition_date(statement.metadata, self.config.rendition_date)
        except ValueError as exc:
            raise RenderRefused([Problem("R006", str(statement.metadata_path), "/rendition_date", str(exc))]) from None
        colophon = Colophon(
            SOFTWARE_AGENT.replace("/", " "),
            ((statement.metadata_path.name, hashlib.sha256(metadata_bytes).hexdigest()),
             (statement.body_path.name, hashlib.sha256(body_bytes).hexdigest())),
            rendition.text if rendition else None,
        )
        html = document_html(
            self.environment, self.config.templates_dir, statement.metadata, layout, statement.media_type, colophon
        )
        missing = self.font_set.uncovered(visible_text(statement.metadata, layout, colophon))
        if missing:
            raise RenderRefused([
                Problem("R001", where, "", (
                    f"character U+{ord(c):04X} ({unicodedata.name(c, 'unnamed')}) is in no bundled font; "
                    "a PDF/A may not show a missing glyph: replace the character or add a font"
                )) for c in missing
            ])
        facts = DocumentFacts.from_record(
            statement.metadata, producer=self.producer, creator_tool=SOFTWARE_AGENT, rendition=rendition
        )
        fetcher = SandboxedFetcher((self.config.templates_dir, self.config.fonts_dir), {})
        name = statement.identifier
        embedded = (
            EmbeddedFile(statement.metadata_path.name, metadata_bytes, "application/json", "Data",
                         f"Metadata record of {name}"),
            EmbeddedFile(statement.body_path.name, body_bytes, statement.media_type, "Source",
                         f"Original body of {name}, bytes as received"),
        )
        data, messages = write_pdf(
            html, base_url=self.config.templates_dir.resolve().as_uri() + "/", facts=facts,
            variant=self.config.variant, font_config=self.font_config, fetcher=fetcher,
            embedded=embedded, uncompressed=self.config.uncompressed,
        )
        problems = [
            Problem("R002", where, "", f"the statement referred to a resource outside the sandbox: {url[:120]}")
            for url in fetcher.refused
        ]
        problems += [
            Problem("R001" if ".notdef" in m else "R003", where, "", f"WeasyPrint: {m[:300]}")
            for m in messages
        ]
        if problems:
            raise RenderRefused(problems)
        return data


def render_statements(
    statements: Iterable[Statement],
    out_dir: Path,
    config: RenderConfig,
    *,
    force: bool = False,
    progress: Callable[[int, Statement, str], None] | None = None,
    workers: int | None = None,
    executor: "RenderExecutor | None" = None,
) -> tuple[list[RenderedStatement], StageReport]:
    """Render each statement to ``out_dir/<identifier>.pdf``.

    A PDF whose render key (inputs, templates, fonts, versions, variant) is
    unchanged is reused unless ``force``; only the others go to the executor
    (default: a local pool of ``workers`` processes, ``os.cpu_count()`` if
    None). Every new PDF is checked against its digest and written
    atomically here, in this process, so the cache has a single writer.
    Results and progress keep the statements' order whatever the executor.
    """
    from ..executors import RenderJob, local_executor

    fingerprint = render_fingerprint(config, FontSet(config.fonts_dir))
    outcomes: dict[int, RenderedStatement | None] = {}
    pending: list[tuple[int, Statement, RenderKey]] = []
    for index, statement in enumerate(statements, 1):
        key = RenderKey.of(statement, fingerprint, config.variant)
        reused = None if force else load_rendered(statement, out_dir, key)
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
                outcomes[index] = store_pdf(statement, out_dir, key, result.pdf, config.variant)
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
