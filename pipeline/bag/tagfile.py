"""Tag files: ``bagit.txt`` and ``bag-info.txt`` (RFC 8493 §2.1.1, §2.2.2).

A tag file is a list of ``Label: value`` lines. A long value may be folded:
the line break goes before a space or tab, and the next line starts with
it. Reading undoes that by removing the line break only (as in RFC 5322),
so folding at a space round-trips exactly. We fold only at spaces already
in the value; a value without spaces (a digest) stays on one long line,
since the 79-character limit is only a recommendation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

FOLD_WIDTH = 79
BAGIT_TXT = "bagit.txt"
BAG_INFO_TXT = "bag-info.txt"
ACCEPTED_VERSIONS = ("1.0", "0.97")

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _check_element(label: str, value: str) -> None:
    if not label or ":" in label or label != label.strip() or _LINE_BREAK.search(label):
        raise ValueError(f"unusable tag label {label!r}")
    if _LINE_BREAK.search(value):
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
    if data.startswith(b"\xef\xbb\xbf"):
        errors.append((1, "file starts with a byte-order mark (not allowed in BagIt)"))
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return ParsedTags((), ((0, f"not UTF-8 text (bad byte at offset {exc.start})"),))
    lines = _LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    elif lines:
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


def bagit_txt_errors(data: bytes) -> list[str]:
    """What is wrong with a ``bagit.txt`` (empty list: nothing).

    It must hold exactly ``BagIt-Version`` then ``Tag-File-Character-Encoding``;
    we accept versions 1.0 and 0.97 and only the UTF-8 encoding.
    """
    parsed = parse_tags(data)
    problems = [f"line {n}: {reason}" if n else reason for n, reason in parsed.errors]
    labels = [label for label, _ in parsed.elements]
    if labels != ["BagIt-Version", "Tag-File-Character-Encoding"]:
        problems.append(
            "must contain exactly 'BagIt-Version' and 'Tag-File-Character-Encoding', "
            f"in that order; found {labels or 'nothing'}"
        )
    version = parsed.get("BagIt-Version")
    if version is not None and version not in ACCEPTED_VERSIONS:
        problems.append(f"BagIt-Version {version!r} is not one we can check (1.0 or 0.97)")
    encoding = parsed.get("Tag-File-Character-Encoding")
    if encoding is not None and encoding.upper() != "UTF-8":
        problems.append(f"Tag-File-Character-Encoding {encoding!r} is not UTF-8")
    return problems
