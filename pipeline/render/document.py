"""Build the HTML document for one statement from the templates."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from ..bodyhtml import BodyLayout
from ..langtag import is_right_to_left

TEMPLATE = "statement.html.j2"
STYLESHEET = "statement.css"


@dataclass(frozen=True)
class Colophon:
    """What the last page says about the rendition itself (templates/colophon.html.j2)."""

    software: str  # "statement-archive 0.1.0"
    files: tuple[tuple[str, str], ...]  # embedded file name, SHA-256
    rendition_date: str | None  # None: not recorded

    def text(self) -> str:
        return " ".join((self.software, *(f"{n} {d}" for n, d in self.files), self.rendition_date or ""))


def template_environment(templates_dir: Path) -> Environment:
    # Autoescape everything: statement text must never become markup, and
    # template syntax inside a statement is just text (it is data, not a template).
    return Environment(
        loader=FileSystemLoader(str(templates_dir)),
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def primary_language(metadata: Mapping[str, Any]) -> str:
    return metadata["languages"][0]


def direction(lang: str) -> str:
    return "rtl" if is_right_to_left(lang) else "ltr"


def document_html(
    environment: Environment,
    templates_dir: Path,
    metadata: Mapping[str, Any],
    layout: BodyLayout,
    media_type: str,
    colophon: Colophon,
) -> str:
    lang = primary_language(metadata)
    record = {"speaker": None, "subjects": (), "description": None, **metadata}
    record["source"] = {"url": None, "note": None, **metadata.get("source", {})}
    return environment.get_template(TEMPLATE).render(
        record=record,
        lang=lang,
        direction=direction(lang),
        document_type_label=metadata["document_type"],
        stylesheet_url=(templates_dir.resolve() / STYLESHEET).as_uri(),
        body_paragraphs=layout.paragraphs,
        body_html=layout.html,
        body_kind={"text/plain": "plain", "text/markdown": "markdown"}.get(media_type, "html"),
        colophon=colophon,
    )


def visible_text(metadata: Mapping[str, Any], layout: BodyLayout, colophon: Colophon) -> str:
    """Every piece of text the document will draw, for the font-coverage check."""
    source = metadata.get("source", {})
    parts = [
        metadata["title"], metadata["issuer"], metadata.get("speaker") or "",
        metadata["identifier"], metadata["document_type"], metadata["date_issued"],
        " ".join(metadata["languages"]), " ".join(metadata.get("subjects", ())),
        source.get("url") or "", source.get("note") or "", metadata["rights"]["statement"],
        "\n".join(layout.paragraphs), layout.html, metadata.get("description") or "", colophon.text(),
    ]
    return "\n".join(parts)
