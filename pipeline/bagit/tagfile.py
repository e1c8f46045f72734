"""Tag files: ``bagit.txt`` and ``bag-info.txt`` (RFC 8493 §2.1.1, §2.2.2).

A tag file is a list of ``Label: value`` lines. A long value may be folded:
the line break goes before a space or tab, and the next line starts with
it. Reading undoes that by removing the line break only (as in RFC 5322),
so folding at a space round-trips exactly. We fold only at spaces already
in the value; a value without spaces (a digest) stays on one long line,
since the 79-character limit is only a recommendation.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from typing import Sequence

from pipeline.bagit.textlines import BOM, LINE_BREAK, split_lines

FOLD_WIDTH = 79
BAGIT_TXT = "bagit.txt"
BAG_INFO_TXT = "bag-info.txt"
ACCEPTED_VERSIONS = ("1.0", "0.97")



def _check_element(label: str, value: str) -> None:
    if not label or ":" in label or label != label.strip() or LINE_BREAK.search(label):
        raise ValueError(f"unusable tag label {label!r}")
    if LINE_BREAK.search(value):
        raise ValueError(f"tag value for {label} contains a line break")


def _fold(line: str, start: int) -> str:
    """Fold *line* before spaces (never before *start*, the first character of
    the value) so that lines stay within FOLD_WIDTH where possible."""
    out: list[str] = []
    while len(line) > FOLD_WIDTH:
        cut = line.rfind(" ", start, FOLD_WIDTH + 1)
        if cut < start or not line[:cut].strip():
            cut = line.find(" ", max(start, FOLD_WIDTH + 1))
            if cut < start:
                break
        out.append(line[:cut])
        line = line[cut:]  # the continuation line starts with the space
        start = 1
    out.append(line)
    return "\n".join(out)


def format_tags(elements: Sequence[tuple[str, str]]) -> bytes:
    """Tag file bytes: one element per line, in the order given, LF, UTF-8."""
    lines = []
    for label, value in elements:
        _check_element(label, value)
        lines.append(_fold(f"{label}: {value}", len(label) + 3) + "\n")
    return "".join(lines).encode("utf-8")


@dataclass(frozen=True)
class ParsedTags:
    """Elements in file order, and ``(line number, reason)`` for bad lines."""

    elements: tuple[tuple[str, str], ...]
    errors: tuple[tuple[int, str], ...]

    def values(self, label: str) -> list[str]:
        return [v for lab, v in self.elements if lab == label]

    def get(self, label: str) -> str | None:
        found = self.values(label)
        return found[0] if found else None


def parse_tags(data: bytes) -> ParsedTags:
    """Parse tag file bytes (UTF-8, any of LF, CR, CRLF; folded values unfolded)."""
    errors: list[tuple[int, str]] = []
    try:
        text = split_lines(data)
    except UnicodeDecodeError as exc:
        return ParsedTags((), ((0, f"not UTF-8 text (bad byte at offset {exc.start})"),))
    if text.has_bom:
        errors.append((1, "file starts with a byte-order mark (not allowed in BagIt)"))
    lines = text.lines
    if not text.final_break and lines:
        errors.append((len(lines), "last line has no line break"))
    elements: list[list[str]] = []
    current: list[str] | None = None  # the element a continuation line extends
    for number, line in enumerate(lines, start=1):
        if line[:1] in (" ", "\t"):
            if current is None:
                errors.append((number, "continuation line without a good 'Label: value' line before it"))
            else:
                current[1] += line
            continue
        current = None
        label, colon, rest = line.partition(":")
        if not colon or not label or label != label.strip():
            errors.append((number, f"expected 'Label: value', found {line!r}"))
        elif rest[:1] not in (" ", "\t"):
            errors.append((number, f"no space after the colon in {line!r}"))
        else:
            current = [label, rest[1:]]
            elements.append(current)
    return ParsedTags(tuple((lab, val) for lab, val in elements), tuple(errors))


def format_bagit_txt(version: str = "1.0") -> bytes:
    return format_tags([("BagIt-Version", version), ("Tag-File-Character-Encoding", "UTF-8")])


@dataclass(frozen=True)
class Declaration:
    """``bagit.txt`` as read: the version (if the first line gave one we can
    read) and what is wrong with the file."""

    version: str | None
    errors: tuple[str, ...]

    @property
    def legacy(self) -> bool:
        """True for BagIt 0.97, read with 0.97's looser rules."""
        return self.version == "0.97"


_VERSION_LINE = re.compile(r"BagIt-Version: ([0-9]+\.[0-9]+)")
_ENCODING_LINE = re.compile(r"Tag-File-Character-Encoding: (\S+)")


def read_declaration(data: bytes) -> Declaration:
    """Check ``bagit.txt`` strictly (RFC 8493 §2.1.1).

    Exactly two lines, ``BagIt-Version: M.N`` and
    ``Tag-File-Character-Encoding: UTF-8``, character for character (one
    space after each colon, none before), UTF-8 without a byte-order mark,
    each line ended by LF, CRLF or CR. We read versions 1.0 and 0.97. For
    0.97 we are lenient where 0.97 was: any spelling of the UTF-8 encoding
    name (``utf-8``, ``UTF8``), and a missing final line break. We read no
    other tag-file encoding: a bag in Latin-1 is reported, not guessed at.
    """
    errors: list[str] = []
    try:
        text = split_lines(data)
    except UnicodeDecodeError as exc:
        bom = ["file starts with a UTF-8 byte-order mark (RFC 8493 forbids one here)"] if data.startswith(BOM) else []
        return Declaration(None, (*errors, *bom, f"not UTF-8 text (bad byte at offset {exc.start})"))
    if text.has_bom:
        errors.append("file starts with a UTF-8 byte-order mark (RFC 8493 forbids one here)")
    lines, final_break = text.lines, text.final_break
    version = None
    first = lines[0] if lines else ""
    if match := _VERSION_LINE.fullmatch(first):
        version = match.group(1)
        if version not in ACCEPTED_VERSIONS:
            errors.append(f"BagIt-Version {version!r} is not one we can check (1.0 or 0.97)")
    else:
        errors.append(f"line 1 must be exactly 'BagIt-Version: M.N'; found {first!r}"
                      + _hint(first))
    second = lines[1] if len(lines) > 1 else ""
    if match := _ENCODING_LINE.fullmatch(second):
        encoding = match.group(1)
        if encoding != "UTF-8" and not (version == "0.97" and _is_utf8_name(encoding)):
            errors.append(f"Tag-File-Character-Encoding is {encoding!r}; only 'UTF-8' is accepted")
    else:
        errors.append("line 2 must be exactly 'Tag-File-Character-Encoding: UTF-8'; "
                      f"found {second!r}" + _hint(second))
    if len(lines) > 2:
        errors.append(f"{len(lines)} lines; bagit.txt has exactly two")
    if lines and not final_break and version != "0.97":
        errors.append("last line has no line break")
    return Declaration(version, tuple(errors))


def _hint(line: str) -> str:
    label, colon, _ = line.partition(":")
    if colon and label != label.strip():
        return " (no space is allowed before the colon)"
    return ""


def _is_utf8_name(name: str) -> bool:
    try:
        return codecs.lookup(name).name == "utf-8"
    except LookupError:
        return False


def bagit_txt_errors(data: bytes) -> list[str]:
    """What is wrong with a ``bagit.txt`` (empty list: nothing); see :func:`read_declaration`."""
    return list(read_declaration(data).errors)
