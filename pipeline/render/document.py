"""Build the HTML document for one statement from the templates."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from pipeline.statements.markup import BodyLayout
from pipeline.statements.langtag import is_right_to_left

TEMPLATE = "statement.html.j2"
STYLESHEET = "statement.css"


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
    *,
    capture: Mapping[str, str] | None = None,
) -> str:
    lang = primary_language(metadata)
    record = {"speaker": None, "subjects": (), **metadata}
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
        # For the colophon (templates/colophon.html.j2): an imported statement's
        # capture, where it is, and that page furniture was left out. None otherwise.
        capture=capture,
    )


def visible_text(metadata: Mapping[str, Any], layout: BodyLayout) -> str:
    """Every piece of text the document will draw, for the font-coverage check."""
    source = metadata.get("source", {})
    parts = [
        metadata["title"], metadata["issuer"], metadata.get("speaker") or "",
        metadata["identifier"], metadata["document_type"], metadata["date_issued"],
        " ".join(metadata["languages"]), " ".join(metadata.get("subjects", ())),
        source.get("url") or "", source.get("note") or "", metadata["rights"]["statement"],
        "\n".join(layout.paragraphs), layout.html,
    ]
    return "\n".join(parts)
