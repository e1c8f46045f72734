"""Helpers for the archival-PDF tests: real renders and a reader of the structure tree."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from typing import Iterator

from pypdf import PdfReader
from pypdf.generic import ContentStream, DictionaryObject, IndirectObject

from pipeline.core.records import RenderedStatement
from pipeline.render import RenderConfig, render_statements
from statement_factory import write_statement

#: A body with what the tags must carry: a heading, a list, a table with
#: headers, a span in another language, and CJK, Arabic and Hebrew text.
HTML_BODY = (
    "<h2>Heading of the body</h2>\n"
    "<p>A first paragraph, long enough to wrap, about the cooperation of the archives "
    "of two ministries. <span lang=\"fr\">Une phrase en français.</span></p>\n"
    "<ul><li>first item</li><li>second item</li></ul>\n"
    "<table><thead><tr><th>Country</th><th>Capital</th></tr></thead>\n"
    "<tbody><tr><th scope=\"row\">Examplia</th><td>Exampleton</td></tr>"
    "<tr><th scope=\"row\">Sampleland</th><td>Samplecity</td></tr></tbody></table>\n"
    "<p>Second paragraph: Міністерство закордонних справ; 外交部; وزارة الخارجية; משרד החוץ.</p>\n"
)


def render_one(folder: Path, project_dir: Path, fonts_dir: Path, variant: str, *,
               identifier: str = "archival-case", body: str = HTML_BODY, suffix: str = ".html",
               run_date: str | None = None, templates: Path | None = None,
               **metadata) -> RenderedStatement:
    metadata.setdefault("languages", ["en", "fr", "uk", "zh", "ar", "he"])
    metadata.setdefault("description", "A test statement; the body is written for the test suite.")
    statement = write_statement(folder / "in", identifier, body, suffix=suffix, **metadata)
    config = RenderConfig(templates or project_dir / "templates", fonts_dir, folder / "work",
                          variant=variant, rendition_date=run_date)
    rendered, report = render_statements([statement], folder / variant, config, workers=1)
    assert report.ok, [str(p) for p in report.problems]
    return rendered[0]


def replaced(item: RenderedStatement, path: Path, data: bytes) -> RenderedStatement:
    """*item* with its PDF replaced by *data* (a tampered copy), digest updated."""
    path.write_bytes(data)
    return dataclasses.replace(item, pdf_path=path, pdf_sha256=hashlib.sha256(data).hexdigest())


def elements(reader: PdfReader) -> Iterator[tuple[int, DictionaryObject]]:
    """Every structure element reachable from the root, depth first, with its depth."""
    def walk(node, depth):
        node = node.get_object()
        if isinstance(node, DictionaryObject) and node.get("/Type") == "/StructElem":
            yield depth, node
            kids = node.get("/K", [])
            for kid in kids if isinstance(kids, list) else [kids]:
                if isinstance(kid, (IndirectObject, DictionaryObject)):
                    yield from walk(kid, depth + 1)
    root = reader.trailer["/Root"]["/StructTreeRoot"].get_object()
    for kid in root["/K"]:
        yield from walk(kid, 0)


def marked_content(reader: PdfReader) -> list[tuple[int, str, int | None]]:
    """(page index, tag, MCID or None) of every marked-content sequence begun on a page."""
    found = []
    for index, page in enumerate(reader.pages):
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            if operator == b"BDC":
                properties = operands[1]
                found.append((index, str(operands[0]), properties.get("/MCID")
                              if isinstance(properties, DictionaryObject) else None))
            elif operator == b"BMC":
                found.append((index, str(operands[0]), None))
    return found
