"""The text a reader should find in the PDF: the body's markup, block by block."""

from __future__ import annotations

from html.parser import HTMLParser

from pipeline.statements.markup import BodyLayout

_BLOCK_TAGS = {
    "p", "li", "dt", "dd", "td", "th", "caption", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "pre", "div", "section", "figure", "figcaption", "table", "tr", "ul", "ol", "dl", "br", "hr",
}

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
