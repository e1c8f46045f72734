"""Build the HTML document for one statement from the templates."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from pipeline.statements.markup import BodyLayout
from pipeline.statements.langtag import is_right_to_left
from pipeline.i18n import (
    access_label, catalogue_language, describe_date, document_type_label, page_label_parts, page_translations,
)
from pipeline.statements.edtf import IssueDate, parse_issue_date

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
    environment = Environment(
        loader=FileSystemLoader(str(templates_dir)),
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    environment.filters["dir"] = text_direction
    environment.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    return environment


def primary_language(metadata: Mapping[str, Any]) -> str:
    return metadata["languages"][0]


def direction(lang: str) -> str:
    return "rtl" if is_right_to_left(lang) else "ltr"


def text_direction(text: object) -> str:
    """``rtl`` if the first strong character is right to left, else ``ltr``
    (what HTML's ``dir="auto"`` would resolve; text without letters is ``ltr``)."""
    for char in str(text):
        kind = unicodedata.bidirectional(char)
        if kind == "L":
            return "ltr"
        if kind in ("R", "AL"):
            return "rtl"
    return "ltr"


def issue_date(metadata: Mapping[str, Any]) -> IssueDate:
    """The record's date (validation has refused any it cannot read)."""
    return parse_issue_date(metadata["date_issued"], metadata.get("date_estimated"))


def _isolated(value: str) -> Markup:
    return Markup('<bdi dir="ltr">%s</bdi>') % value


def _css_string(text: str) -> str:
    """A CSS string literal: anything but letters, digits and spaces as a CSS escape."""
    return '"' + "".join(c if c.isalnum() or c == " " else f"\\{ord(c):x} " for c in text) + '"'


def page_css(language: str) -> Markup:
    """The footer's words ("Page 3 of 12") in the catalogue's language, for both page kinds."""
    content = " ".join(f"counter({p})" if p in ("page", "pages") else _css_string(p)
                       for p in page_label_parts(language))
    return Markup(
        f"@page {{ @bottom-right {{ content: {content}; }} }}\n"
        f"@page right-to-left {{ @bottom-left {{ content: {content}; }} }}"
    )


def document_html(
    environment: Environment,
    templates_dir: Path,
    metadata: Mapping[str, Any],
    layout: BodyLayout,
    media_type: str,
    colophon: Colophon,
    *,
    capture: Mapping[str, str] | None = None,
) -> str:
    lang = primary_language(metadata)
    language = catalogue_language(lang)
    messages = page_translations(language)
    environment.install_gettext_translations(messages, newstyle=True)  # type: ignore[attr-defined]
    record = {"speaker": None, "subjects": (), "alternative_titles": (), "description": None, **metadata}
    record["source"] = {"url": None, "note": None, **metadata.get("source", {})}
    record["rights"] = {"licence": None, **metadata["rights"]}
    issued = issue_date(metadata)
    return environment.get_template(TEMPLATE).render(
        record=record,
        lang=lang,
        direction=direction(lang),
        document_type_label=document_type_label(metadata["document_type"], language),
        access_label=access_label(metadata["rights"]["access"], language),
        issued_text=describe_date(issued, messages),
        issued_html=describe_date(issued, messages, literal=_isolated, text=escape),
        page_css=page_css(language),
        stylesheet_url=(templates_dir.resolve() / STYLESHEET).as_uri(),
        body_paragraphs=layout.paragraphs,
        body_html=layout.html,
        body_kind={"text/plain": "plain", "text/markdown": "markdown"}.get(media_type, "html"),
        colophon=colophon,
        # For the colophon (templates/colophon.html.j2): an imported statement's
        # capture, where it is, and that page furniture was left out. None otherwise.
        capture=capture,
    )


def visible_text(metadata: Mapping[str, Any], layout: BodyLayout, colophon: Colophon) -> str:
    """Every piece of text the document will draw, for the font-coverage check."""
    source = metadata.get("source", {})
    parts = [
        metadata["title"], metadata["issuer"], metadata.get("speaker") or "",
        metadata["identifier"], metadata["document_type"], metadata["date_issued"],
        metadata.get("date_estimated") or "",
        " ".join(metadata["languages"]), " ".join(metadata.get("subjects", ())),
        " ".join(a["title"] for a in metadata.get("alternative_titles", ())),
        source.get("url") or "", source.get("note") or "", metadata["rights"]["statement"],
        metadata["rights"].get("licence") or "",
        "\n".join(layout.paragraphs), layout.html, metadata.get("description") or "", colophon.text(),
    ]
    return "\n".join(parts)
