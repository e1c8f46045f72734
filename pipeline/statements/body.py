"""Statement bodies: decoding and the normalisation rendering needs.

Body files are archived byte for byte as received. Everything here works on
a decoded *copy*: the quirks of real captures (a UTF-8 byte-order mark,
``\\n\\r`` or ``\\r`` line endings, form feeds in mid-sentence) are smoothed
only for layout and for comparing the PDF's text with the body's.
"""

from __future__ import annotations

import re
import unicodedata

UTF8_BOM = b"\xef\xbb\xbf"

# Line endings seen in real captures: CRLF, LFCR (old UN transcripts), lone CR.
_LINE_ENDINGS = re.compile(r"\r\n|\n\r|\r")
# C0/C1 controls other than tab, LF, CR and form feed have no place in a statement.
_FORBIDDEN_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


class BodyDecodeError(ValueError):
    """The body's bytes are not UTF-8 text; ``offset`` is the first bad byte."""

    def __init__(self, message: str, offset: int):
        super().__init__(message)
        self.offset = offset


def decode_body(data: bytes) -> str:
    """Decode a body file's bytes as UTF-8, dropping a leading byte-order mark.

    Raises :class:`BodyDecodeError` naming the offset of the first bad byte,
    so the officer can find it with a hex viewer.
    """
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM):]
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise BodyDecodeError("the file is UTF-16 (it starts with a UTF-16 byte-order mark), not UTF-8: "
                              "save it as UTF-8", 0)
    if _looks_like_utf16(data):
        raise BodyDecodeError("the file looks like UTF-16 without a byte-order mark (every other byte is 0), "
                              "not UTF-8: save it as UTF-8", 0)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyDecodeError(
            f"not UTF-8 at byte {exc.start}: {data[exc.start:exc.start + 4]!r}",
            exc.start,
        ) from None


def _looks_like_utf16(data: bytes) -> bool:
    # Latin-script text in UTF-16 has a zero byte in (nearly) every code unit;
    # UTF-8 text never has many. Half is far from both, so neither is mistaken.
    units = len(data) // 2
    return units >= 2 and max(data[0::2].count(0), data[1::2].count(0)) * 2 >= units


def forbidden_controls(text: str) -> list[tuple[int, str]]:
    """(offset, character) of every control character a statement may not hold."""
    return [(m.start(), m.group()) for m in _FORBIDDEN_CONTROLS.finditer(text)]


def normalise_text(text: str) -> str:
    """Line endings to LF, form feeds to spaces, Unicode NFC.

    A form feed in these captures is a page break of the original print run,
    often in mid-sentence, so it becomes a space rather than a paragraph break.
    """
    text = _LINE_ENDINGS.sub("\n", text)
    text = text.replace("\f", " ")
    return unicodedata.normalize("NFC", text)
