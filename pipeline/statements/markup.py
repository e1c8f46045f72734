"""Statement bodies as safe markup: paragraphs of text, or sanitised HTML.

Shared by ``render`` (which lays it out) and ``check`` (which proves the
PDF's text contains its text), so both start from the same markup.

* Plain text: paragraphs separated by blank lines; single line breaks kept.
* Markdown: CommonMark with raw HTML disabled (it is shown as text).
* HTML fragments: sanitised with nh3 (Rust's ammonia) against an allow-list.
  Scripts, styles, iframes, objects, images and every attribute that could
  reference a resource are dropped; only structure and text survive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import nh3
from markdown_it import MarkdownIt

from pipeline.statements.body import normalise_text

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
