"""``fetch.txt``: files a bag says can be fetched to complete it (RFC 8493 §2.2.3).

Each line is ``URL LENGTH FILEPATH``: an absolute URL without whitespace,
the size in octets or ``-`` if unknown, and a payload path encoded as in
manifests (see :mod:`.paths`). We never fetch anything: a verifier that
downloads on a bag's say-so would let any bag make it reach any URL. A bag
whose listed files are all present is checked like any other bag; one with
files still to fetch is *incomplete* (RFC 8493 §3) and is reported so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.bagit.paths import decode_path
from pipeline.bagit.textlines import split_lines
from pipeline.bagit.versions import CURRENT, VERSIONS, BagItVersion

FETCH_TXT = "fetch.txt"

_LINE = re.compile(r"(\S+)[ \t]+(\S+)[ \t]+(.+)", re.DOTALL)
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")


@dataclass(frozen=True)
class FetchEntry:
    line: int
    url: str
    length: int | None  # None for '-'
    path: str


@dataclass(frozen=True)
class ParsedFetch:
    """Usable entries (first of each path), and ``(line, reason)`` for the rest."""

    entries: tuple[FetchEntry, ...]
    errors: tuple[tuple[int, str], ...]


def parse_fetch(data: bytes, *, legacy: bool = False, version: BagItVersion | None = None,
                encoding: str = "utf-8") -> ParsedFetch:
    """Parse ``fetch.txt`` bytes (in the declared encoding; LF, CR or CRLF line
    endings); paths are decoded as *version* says (see :mod:`.versions`)."""
    version = version or (VERSIONS["0.97"] if legacy else CURRENT)
    errors: list[tuple[int, str]] = []
    entries: list[FetchEntry] = []
    try:
        text = split_lines(data, encoding)
    except UnicodeDecodeError as exc:
        return ParsedFetch((), ((0, f"not {encoding} text (bad byte at offset {exc.start})"),))
    if text.has_bom and version.bom_forbidden:
        errors.append((1, "file starts with a byte-order mark (not allowed in BagIt)"))
    lines = text.lines
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        match = _LINE.fullmatch(line)
        if not match:
            errors.append((number, f"expected '<url> <length> <path>', found {line!r}"))
            continue
        url, length, encoded = match.groups()
        if not _URL.fullmatch(url):
            errors.append((number, f"{url!r} is not an absolute URL"))
            continue
        if length != "-" and not (length.isascii() and length.isdigit()):
            errors.append((number, f"length {length!r} is neither a number of octets nor '-'"))
            continue
        path = decode_path(encoded, escapes=version.path_escapes)
        if path in seen:
            errors.append((number, f"{path!r} is listed more than once"))
            continue
        seen.add(path)
        entries.append(FetchEntry(number, url, None if length == "-" else int(length), path))
    return ParsedFetch(tuple(entries), tuple(errors))
