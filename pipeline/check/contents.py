"""Each page's content stream, parsed once, for the logical text and the glyph check.

The parsing is qpdf's (through pikepdf), compiled: pypdf's content-stream
parser is pure Python and reads hex strings a byte at a time, and was the
largest part of the check stage's CPU. The same pikepdf document gives the
check stage everything else too (the catalog, XMP, fonts, embedded files,
the structure tree: ``.pdf``), because pypdf reading objects out of object
streams was the next largest part; pypdf opens a PDF only for an untagged
variant's page text. qpdf reads no file but the bytes given: it has no
external streams. It is opened without recovery, so a damaged cross-reference
table is refused, as pypdf's strict mode refused it, rather than rebuilt. Its
errors become ``ValueError`` with qpdf's message (:func:`plain_message`), which
the check stage reports as C001.

Operators come back as ``str`` (``"Tj"``); operands as pikepdf objects:
``pikepdf.String`` (``bytes()`` gives its bytes, as written), ``Name``,
``Array``, ``Dictionary``, numbers.
"""

from __future__ import annotations

import re
from io import BytesIO
from typing import Any

import pikepdf

#: The operators that show strings; their string operands are glyph codes.
SHOW_TEXT = frozenset({"Tj", "TJ", "'", '"'})
#: The operators the check reads (marked content, the font, shown text): qpdf
#: hands back only these, so the drawing operators cost no Python objects.
_READ = " ".join(sorted({"BDC", "BMC", "EMC", "Tf"} | SHOW_TEXT))

#: One operation: its operands, its operator, and the strings it shows (bytes).
Operation = tuple[list[Any], str, list[bytes]]


class PageContents:
    """The content streams of one PDF's pages, by page object (number, generation)."""

    def __init__(self, data: bytes):
        try:
            self._pdf = pikepdf.open(BytesIO(data), attempt_recovery=False)
        except pikepdf.PdfError as exc:
            raise ValueError(plain_message(exc)) from None
        self._parsed: dict[tuple[int, int], list[Operation]] = {}

    @property
    def pdf(self) -> pikepdf.Pdf:
        """The document, for reading its objects (pikepdf resolves references itself)."""
        return self._pdf

    def close(self) -> None:
        self._pdf.close()

    def __enter__(self) -> "PageContents":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def operations(self, number: int, generation: int = 0) -> list[Operation]:
        """The page object's content (all its streams, in order) as (operands, operator,
        shown strings), for the operators the check reads (marked content, Tf, text)."""
        key = (number, generation)
        if key not in self._parsed:
            page = self._pdf.get_object(key)
            try:
                self._parsed[key] = [] if "/Contents" not in page else [
                    _operation(list(instruction.operands), str(instruction.operator))
                    for instruction in pikepdf.parse_content_stream(page, _READ)
                    if isinstance(instruction, pikepdf.ContentStreamInstruction)]
            except pikepdf.PdfError as exc:
                raise ValueError(plain_message(exc)) from None
        return self._parsed[key]


def plain_message(exc: Exception) -> str:
    """qpdf's message without the in-memory stream's Python repr it names as the file."""
    return re.sub(r"stream <_io\.BytesIO object at 0x[0-9a-f]+>:?\s*", "", str(exc)) or "malformed"


def is_dictionary(obj: Any) -> bool:
    """A dictionary, or a stream's (pypdf's streams were dictionaries; qpdf's are not)."""
    return isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream))


def object_key(obj: Any, where: tuple) -> tuple:
    """Which object *obj* is: its (number, generation) if indirect, else *where* it sits
    (the path from the nearest indirect object), so one object is counted once."""
    return obj.objgen if getattr(obj, "is_indirect", False) else where


def _operation(operands: list[Any], operator: str) -> Operation:
    """The operation, with the strings it draws as bytes (none for other than text-showing operators)."""
    if operator not in SHOW_TEXT:
        return operands, operator, []
    strings = operands[0] if operator == "TJ" else operands[-1:]
    return operands, operator, [bytes(string) for string in strings if isinstance(string, pikepdf.String)]


def draws_glyph_zero(operations: list[Operation]) -> bool:
    """Whether any shown string has the two-byte code 0 (.notdef in WeasyPrint's Identity-H fonts)."""
    for _, _, shown in operations:
        for data in shown:
            at = data.find(b"\0\0")
            while at != -1:  # a code starts at an even offset only
                if at % 2 == 0:
                    return True
                at = data.find(b"\0\0", at + 1)
    return False
