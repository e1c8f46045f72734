"""Tag files and manifests as lines of UTF-8 text, as RFC 8493 reads them.

Lines end with LF, CR or CRLF; a byte-order mark is not allowed (callers
report it in their own words); the final line break ends the last line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LINE_BREAK = re.compile(r"\r\n|\r|\n")
BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class TextLines:
    lines: list[str]
    has_bom: bool
    final_break: bool


def split_lines(data: bytes) -> TextLines:
    """The lines of ``data``; raises UnicodeDecodeError if it is not UTF-8."""
    has_bom = data.startswith(BOM)
    if has_bom:
        data = data[len(BOM):]
    lines = LINE_BREAK.split(data.decode("utf-8"))
    final_break = bool(lines) and lines[-1] == ""
    if final_break:
        lines.pop()
    return TextLines(lines, has_bom, final_break)
