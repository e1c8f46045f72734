"""Where two PDFs differ: the first page whose content differs, else the first object.

Read with pypdf, so a difference is named as a reader of the PDF sees it
("page 2: content stream differs", "object 14 (/Font /Type0)") rather than
as a byte offset; only when every page and object parse the same is the
offset of the first differing byte given.
"""

from __future__ import annotations

import io
from typing import Any

from pypdf import PdfReader
from pypdf.errors import PdfReadError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject


def first_difference(archived: bytes, fresh: bytes) -> str:
    """Plain words for where *fresh* first departs from *archived* (they differ)."""
    try:
        old, new = PdfReader(io.BytesIO(archived)), PdfReader(io.BytesIO(fresh))
        if len(old.pages) != len(new.pages):
            return f"{len(old.pages)} page(s) archived, {len(new.pages)} rendered again"
        for number, (a, b) in enumerate(zip(old.pages, new.pages), 1):
            if _page_content(a) != _page_content(b):
                return f"page {number}: content stream differs"
        for number in range(1, max(_highest(old), _highest(new)) + 1):
            a, b = _object(old, number), _object(new, number)
            if _canonical(a) != _canonical(b):
                return f"object {number} ({_describe(a if a is not None else b)}) differs"
    except (PdfReadError, ValueError, KeyError) as exc:
        return f"the archived PDF cannot be compared object by object ({str(exc)[:120]})"
    offset = next((i for i, (x, y) in enumerate(zip(archived, fresh)) if x != y), min(len(archived), len(fresh)))
    return f"every page and object read the same; bytes differ from offset {offset} (layout or trailer)"


def extracted_text(data: bytes) -> str:
    """The text of every page, as pypdf extracts it (for comparing where bytes cannot be)."""
    reader = PdfReader(io.BytesIO(data))
    return "\n\f".join(page.extract_text() or "" for page in reader.pages)


def _page_content(page: Any) -> bytes:
    contents = page.get_contents()
    return contents.get_data() if contents is not None else b""


def _highest(reader: PdfReader) -> int:
    numbers = [n for generation in reader.xref.values() for n in generation]
    numbers += list(reader.xref_objStm)
    return max(numbers, default=0)


def _object(reader: PdfReader, number: int) -> Any:
    try:
        return reader.get_object(number)
    except (PdfReadError, ValueError, KeyError, IndexError):
        return None


def _canonical(value: Any) -> Any:
    """A comparable form: references by number, streams by their decoded data."""
    if isinstance(value, IndirectObject):
        return ("ref", value.idnum, value.generation)
    if isinstance(value, StreamObject):
        entries = {k: v for k, v in value.items() if k not in ("/Length", "/Filter", "/DecodeParms")}
        return ("stream", _canonical(DictionaryObject(entries)), value.get_data())
    if isinstance(value, DictionaryObject):
        return ("dict", tuple(sorted((str(k), _canonical(v)) for k, v in value.items())))
    if isinstance(value, ArrayObject):
        return ("array", tuple(_canonical(v) for v in value))
    return ("value", type(value).__name__, repr(value))


def _describe(value: Any) -> str:
    if isinstance(value, DictionaryObject):
        kinds = [str(value[k]) for k in ("/Type", "/Subtype") if k in value]
        return " ".join(kinds) or ("a stream" if isinstance(value, StreamObject) else "a dictionary")
    return "missing" if value is None else type(value).__name__
