"""Statement bodies as safe HTML, and the text a reader should find in the PDF.

Shared by ``render`` (which lays the HTML out) and ``check_pdf`` (which
proves the PDF's text contains the body's text), so both derive the text
from the same place.

* Plain text: paragraphs separated by blank lines; single line breaks kept.
* Markdown: CommonMark with raw HTML disabled (it is shown as text).
* HTML fragments: sanitised with nh3 (Rust's ammonia) against an allow-list.
  Scripts, styles, iframes, objects, images and every attribute that could
  reference a resource are dropped; only structure and text survive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

import nh3
from markdown_it import MarkdownIt

from .body import normalise_text

_ALLOWED_TAGS = {
    "p", "br", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd",
    "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "colgroup", "col",
    "strong", "b", "em", "i", "u", "s", "small", "sub", "sup", "blockquote", "q", "cite",
    "span", "div", "a", "hr", "pre", "code", "abbr", "figure", "figcaption", "section",
}
_GLOBAL_ATTRIBUTES = {"lang", "dir", "title"}
_ALLOWED_ATTRIBUTES = {
    "*": _GLOBAL_ATTRIBUTES,
    "td": _GLOBAL_ATTRIBUTES | {"colspan", "rowspan"},
    "th": _GLOBAL_ATTRIBUTES | {"colspan", "rowspan", "scope"},
    "ol": _GLOBAL_ATTRIBUTES | {"start"},
}
# Content of these is dropped with the tag; other disallowed tags keep their text.
_DROPPED_WITH_CONTENT = {"script", "style", "template", "noscript", "iframe", "object", "svg", "math", "head", "title"}

_BLOCK_TAGS = {
    "p", "li", "dt", "dd", "td", "th", "caption", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "pre", "div", "section", "figure", "figcaption", "table", "tr", "ul", "ol", "dl", "br", "hr",
}
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\u00a0]*\n")


@dataclass(frozen=True)
class BodyLayout:
    """A body ready for the template: either paragraphs of text or safe HTML."""

    paragraphs: tuple[str, ...] = ()
    html: str = ""


def sanitise_html(fragment: str) -> str:
    return nh3.clean(
        fragment,
        tags=_ALLOWED_TAGS,
        clean_content_tags=_DROPPED_WITH_CONTENT,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes=set(),
        link_rel=None,
        strip_comments=True,
    )


def markdown_to_html(text: str) -> str:
    renderer = MarkdownIt("commonmark", {"html": False, "linkify": False})
    return sanitise_html(renderer.render(text))


def layout_body(text: str, media_type: str) -> BodyLayout:
    """Turn a decoded body into what the template lays out."""
    text = normalise_text(text)
    if media_type == "text/plain":
        paragraphs = tuple(
            p.strip("\n") for p in _PARAGRAPH_BREAK.split(text) if p.strip()
        )
        return BodyLayout(paragraphs=paragraphs)
    if media_type == "text/markdown":
        return BodyLayout(html=markdown_to_html(text))
    if media_type == "text/html":
        return BodyLayout(html=sanitise_html(text))
    raise ValueError(f"unsupported body media type {media_type!r}")


class _BlockText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self._current: list[str] = []

    def _flush(self) -> None:
        text = "".join(self._current)
        if text.strip():
            self.blocks.append(text)
        self._current = []

    def handle_starttag(self, tag, attrs):
        if tag in _BLOCK_TAGS:
            self._flush()

    def handle_endtag(self, tag):
        if tag in _BLOCK_TAGS:
            self._flush()

    def handle_data(self, data):
        self._current.append(data)

    def close(self):
        super().close()
        self._flush()


def text_blocks(layout: BodyLayout) -> tuple[str, ...]:
    """The body's text, one string per block (paragraph, list item, table cell)."""
    if layout.paragraphs:
        return layout.paragraphs
    parser = _BlockText()
    parser.feed(layout.html)
    parser.close()
    return tuple(parser.blocks)
