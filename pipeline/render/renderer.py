"""One WeasyPrint set-up (fonts loaded once) for many documents.

``Renderer`` turns one statement into PDF bytes or refuses it with its
problems; its fingerprint (:mod:`pipeline.render.fingerprint`) is computed
again here, with WeasyPrint loaded, and names every result it gives.
"""

from __future__ import annotations

import hashlib
import unicodedata
from typing import Any, Mapping

from pipeline import SOFTWARE_AGENT
from pipeline.statements.body import decode_body
from pipeline.statements.markup import layout_body
from pipeline.core.records import Problem, Statement
from pipeline.render.document import Colophon, document_html, template_environment, visible_text
from pipeline.render.fonts import ADD_A_FONT, FontSet, confined_fontconfig, coverage_cache_dirs, ensure_confined
from pipeline.render.pdf import EmbeddedFile, write_pdf
from pipeline.render.fingerprint import RenderConfig, render_fingerprint
from pipeline.render.rendition import rendition_date
from pipeline.render.sandbox import SandboxedFetcher
from pipeline.render.xmp import DocumentFacts


class RenderRefused(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


def associated_files(statement: Statement, metadata_bytes: bytes, body_bytes: bytes,
                     capture_bytes: bytes) -> tuple[EmbeddedFile, ...]:
    """The PDF/A-3 associated files, with their AFRelationship (ISO 32000-2, 14.13.2).

    ``Source`` is "the original source material for the associated content":
    the body as received, or, for an imported statement, the whole web
    capture (the body was derived from it). The extracted text is then
    ``Data``, "information used to derive a visual presentation": the pages
    are laid out from it, as from the metadata record.
    """
    name = statement.identifier
    metadata = EmbeddedFile(statement.metadata_path.name, metadata_bytes, "application/json", "Data",
                            f"Metadata record of {name}")
    if statement.capture_path is None:
        return (metadata, EmbeddedFile(statement.body_path.name, body_bytes, statement.media_type, "Source",
                                       f"Original body of {name}, bytes as received"))
    return (
        metadata,
        EmbeddedFile(statement.body_path.name, body_bytes, statement.media_type, "Data",
                     f"Text of {name} as extracted from its capture and reviewed; the pages show this text"),
        EmbeddedFile(statement.capture_path.name, capture_bytes, statement.capture_media_type, "Source",
                     f"Web capture of {name}, bytes as captured (with the page furniture the pages omit)"),
    )


def capture_fact(statement: Statement, metadata: Mapping[str, Any]) -> dict[str, str] | None:
    """What the colophon says about an imported statement's capture (None for written bodies)."""
    if statement.capture_path is None:
        return None
    capture = metadata.get("capture", {})
    extraction = metadata.get("extraction", {})
    return {
        "file": statement.capture_path.name, "media_type": statement.capture_media_type,
        "sha256": statement.capture_sha256, "captured": str(capture.get("captured", "")),
        "source_url": str(capture.get("source_url", "")),
        "tool": f"{extraction.get('tool', '?')} {extraction.get('version', '?')}",
        "dropped": str(len(extraction.get("dropped", []))),
    }


class Renderer:
    """One WeasyPrint set-up (fonts loaded once) for many documents."""

    def __init__(self, config: RenderConfig):
        from weasyprint import __version__ as weasyprint_version
        from weasyprint.text.fonts import FontConfiguration

        self.config = config
        self.font_set = FontSet(config.fonts_dir, coverage_cache_dirs(config.fonts_dir, config.work_dir))
        self.environment = template_environment(config.templates_dir)
        with confined_fontconfig(self.font_set, config.work_dir):
            self.font_config = FontConfiguration()
        ensure_confined(self.font_set, self.font_config)
        self.producer = f"WeasyPrint {weasyprint_version}"
        self.fingerprint = render_fingerprint(config, self.font_set)

    def render(self, statement: Statement, metadata_bytes: bytes, body_bytes: bytes,
               capture_bytes: bytes = b"") -> bytes:
        where = str(statement.body_path)
        metadata = statement.metadata  # parsed once for this render
        layout = layout_body(decode_body(body_bytes), statement.media_type)
        try:
            rendition = rendition_date(metadata, self.config.rendition_date)
        except ValueError as exc:
            raise RenderRefused([Problem("R006", str(statement.metadata_path), "/rendition_date", str(exc))]) from None
        embedded = associated_files(statement, metadata_bytes, body_bytes, capture_bytes)
        colophon = Colophon(
            SOFTWARE_AGENT.replace("/", " "),
            tuple((e.name, hashlib.sha256(e.data).hexdigest()) for e in embedded),
            rendition.text if rendition else None,
        )
        html = document_html(
            self.environment, self.config.templates_dir, metadata, layout, statement.media_type, colophon,
            capture=capture_fact(statement, metadata),
        )
        missing = self.font_set.uncovered(visible_text(metadata, layout, colophon))
        if missing:
            raise RenderRefused([
                Problem("R001", where, "", (
                    f"character U+{ord(c):04X} ({unicodedata.name(c, 'unnamed')}) is in no pinned font, "
                    f"and a PDF/A may not show a missing glyph; {ADD_A_FONT}"
                )) for c in missing
            ])
        facts = DocumentFacts.from_record(
            metadata, producer=self.producer, creator_tool=SOFTWARE_AGENT, rendition=rendition
        )
        fetcher = SandboxedFetcher((self.config.templates_dir, self.config.fonts_dir), {})
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
            Problem("R001", where, "", f"WeasyPrint: {m[:300]}; {ADD_A_FONT}") if ".notdef" in m
            else Problem("R003", where, "", f"WeasyPrint: {m[:300]}")
            for m in messages
        ]
        if problems:
            raise RenderRefused(problems)
        return data


