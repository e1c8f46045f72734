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
from typing import Callable, Iterable

from .. import SOFTWARE_AGENT
from ..body import decode_body
from ..bodyhtml import layout_body
from ..records import Problem, RenderedStatement, Statement, StageReport
from .document import document_html, template_environment, visible_text
from .fonts import FontSet, confined_fontconfig, ensure_confined
from .pdf import DEFAULT_VARIANT, VARIANTS, EmbeddedFile, write_pdf
from .sandbox import SandboxedFetcher
from .store import RenderKey, load_rendered, store_pdf
from .xmp import DocumentFacts

__all__ = [
    "DEFAULT_VARIANT", "VARIANTS", "RenderConfig", "Renderer", "load_rendered",
    "render_statements",
]


@dataclass(frozen=True)
class RenderConfig:
    templates_dir: Path
    fonts_dir: Path
    work_dir: Path  # build/: fontconfig file and cache live here
    variant: str = DEFAULT_VARIANT
    uncompressed: bool = False

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ValueError(f"unknown PDF/A variant {self.variant!r}; choose one of {', '.join(VARIANTS)}")


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


class Renderer:
    """One WeasyPrint set-up (fonts loaded once) for many documents."""

    def __init__(self, config: RenderConfig):
        from weasyprint import __version__ as weasyprint_version
        from weasyprint.text.fonts import FontConfiguration

        self.config = config
        self.font_set = FontSet(config.fonts_dir)
        self.environment = template_environment(config.templates_dir)
        with confined_fontconfig(self.font_set, config.work_dir):
            self.font_config = FontConfiguration()
        ensure_confined(self.font_set, self.font_config)
        self.producer = f"WeasyPrint {weasyprint_version}"
        self.fingerprint = hashlib.sha256("\n".join((
            SOFTWARE_AGENT, self.producer, self.font_set.fingerprint,
            _templates_digest(config.templates_dir), config.variant, str(config.uncompressed),
        )).encode()).hexdigest()

    def key(self, statement: Statement) -> RenderKey:
        return RenderKey.of(statement, self.fingerprint, self.config.variant)

    def render(self, statement: Statement, metadata_bytes: bytes, body_bytes: bytes) -> bytes:
        where = str(statement.body_path)
        layout = layout_body(decode_body(body_bytes), statement.media_type)
        html = document_html(
            self.environment, self.config.templates_dir, statement.metadata, layout, statement.media_type
        )
        missing = self.font_set.uncovered(visible_text(statement.metadata, layout))
        if missing:
            raise RenderRefused([
                Problem("R001", where, "", (
                    f"character U+{ord(c):04X} ({unicodedata.name(c, 'unnamed')}) is in no bundled font; "
                    "a PDF/A may not show a missing glyph: replace the character or add a font"
                )) for c in missing
            ])
        facts = DocumentFacts.from_record(
            statement.metadata, producer=self.producer, creator_tool=SOFTWARE_AGENT
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
) -> tuple[list[RenderedStatement], StageReport]:
    """Render each statement to ``out_dir/<identifier>.pdf``.

    A PDF whose render key (inputs, templates, fonts, versions, variant) is
    unchanged is reused unless ``force``; every new PDF is written atomically.
    """
    renderer = Renderer(config)
    rendered: list[RenderedStatement] = []
    problems: list[Problem] = []
    items = []
    for index, statement in enumerate(statements, 1):
        key = renderer.key(statement)
        reused = None if force else load_rendered(statement, out_dir, key)
        if reused is not None:
            rendered.append(reused)
            items.append({"identifier": statement.identifier, "pdf": str(reused.pdf_path), "sha256": reused.pdf_sha256, "rendered": False})
            if progress:
                progress(index, statement, "unchanged")
            continue
        metadata_bytes = statement.metadata_path.read_bytes()
        body_bytes = statement.body_path.read_bytes()
        try:
            data = renderer.render(statement, metadata_bytes, body_bytes)
        except RenderRefused as refused:
            problems.extend(refused.problems)
            if progress:
                progress(index, statement, "failed")
            continue
        result = store_pdf(statement, out_dir, key, data, config.variant)
        rendered.append(result)
        items.append({"identifier": statement.identifier, "pdf": str(result.pdf_path), "sha256": result.pdf_sha256, "rendered": True})
        if progress:
            progress(index, statement, "rendered")
    return rendered, StageReport("render", tuple(problems), tuple(items))
