"""Tag files and manifests as lines of text, as every BagIt version reads them.

Lines end with LF, CR or CRLF; a byte-order mark is found and removed
(callers report it in their own words, by version); the final line break
ends the last line. Text is UTF-8 unless the bag declares another encoding
(``Tag-File-Character-Encoding``, see :mod:`.versions`).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

LINE_BREAK = re.compile(r"\r\n|\r|\n")
BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class TextLines:
    lines: list[str]
    has_bom: bool
    final_break: bool


def split_lines(data: bytes, encoding: str = "utf-8") -> TextLines:
    """The lines of ``data``; raises UnicodeDecodeError if it is not in *encoding*."""
    has_bom = data.startswith(BOM) and codecs.lookup(encoding).name == "utf-8"
    if has_bom:
        data = data[len(BOM):]
    text = data.decode(encoding)
    if text.startswith("\ufeff"):  # a BOM the encoding does not need (``utf-16`` consumes its own)
        has_bom, text = True, text[1:]
    lines = LINE_BREAK.split(text)
    final_break = bool(lines) and lines[-1] == ""
    if final_break:
        lines.pop()
    return TextLines(lines, has_bom, final_break)
