"""Tag files: ``bagit.txt`` and ``bag-info.txt`` (RFC 8493 §2.1.1, §2.2.2; older
versions as :mod:`.versions` says).

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
from pipeline.bagit.versions import CURRENT, VERSIONS, BagItVersion, known_versions

FOLD_WIDTH = 79
BAGIT_TXT = "bagit.txt"
BAG_INFO_TXT = "bag-info.txt"
PACKAGE_INFO_TXT = "package-info.txt"  # its name before BagIt 0.96


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
    """Elements in file order, ``(line number, reason)`` for bad lines, and
    ``(line number, reason)`` for what this version allows but BagIt 1.0 does not."""

    elements: tuple[tuple[str, str], ...]
    errors: tuple[tuple[int, str], ...]
    warnings: tuple[tuple[int, str], ...] = ()

    def values(self, label: str) -> list[str]:
        return [v for lab, v in self.elements if lab == label]

    def get(self, label: str) -> str | None:
        found = self.values(label)
        return found[0] if found else None


def parse_tags(data: bytes, *, version: BagItVersion = CURRENT, encoding: str = "utf-8") -> ParsedTags:
    """Parse tag file bytes (any of LF, CR, CRLF; folded values unfolded).

    BagIt 1.0 reads ``Label: value`` with exactly one space or tab after the
    colon; earlier versions allow whitespace on either side of the colon,
    which belongs to neither label nor value (RFC 8493 §2.2.2).
    """
    errors: list[tuple[int, str]] = []
    warnings: list[tuple[int, str]] = []
    try:
        text = split_lines(data, encoding)
    except UnicodeDecodeError as exc:
        return ParsedTags((), ((0, f"not {encoding} text (bad byte at offset {exc.start})"),))
    if text.has_bom:
        (errors if version.bom_forbidden else warnings).append(
            (1, "file starts with a byte-order mark (not allowed in BagIt 1.0)"))
    lines = text.lines
    if not text.final_break and lines:
        warnings.append((len(lines), "last line has no line break (RFC 8493 recommends one)"))
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
        if not colon or not label.strip():
            errors.append((number, f"expected 'Label: value', found {line!r}"))
        elif version.strict_labels and label != label.strip():
            errors.append((number, f"space before the colon in {line!r}"))
        elif version.strict_labels and rest[:1] not in (" ", "\t"):
            errors.append((number, f"no space after the colon in {line!r}"))
        elif version.strict_labels:
            current = [label, rest[1:]]
            elements.append(current)
        else:
            if label != label.strip() or rest[:1] not in (" ", "\t") or rest[1:2] in (" ", "\t"):
                warnings.append((number, f"whitespace around the colon in {line!r} (BagIt "
                                         f"{version.number} allows it; 1.0 requires 'Label: value')"))
            current = [label.strip(), rest.lstrip(" \t")]
            elements.append(current)
    return ParsedTags(tuple((lab, val) for lab, val in elements), tuple(errors), tuple(warnings))


def format_bagit_txt(version: str = "1.0") -> bytes:
    return format_tags([("BagIt-Version", version), ("Tag-File-Character-Encoding", "UTF-8")])


@dataclass(frozen=True)
class Declaration:
    """``bagit.txt`` as read: the version (if the first line gave one we can
    read), the rules of that version, the declared tag-file encoding, what is
    wrong with the file, and what that version allows but 1.0 would not."""

    version: str | None
    errors: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    encoding: str = "utf-8"

    @property
    def rules(self) -> BagItVersion:
        return VERSIONS.get(self.version or "", CURRENT)


_VERSION_LINE = re.compile(r"BagIt-Version: ([0-9]+\.[0-9]+)")
_LOOSE_VERSION_LINE = re.compile(r"\s*BagIt-Version\s*:\s*([0-9]+\.[0-9]+)\s*", re.IGNORECASE)
_ENCODING_LINE = re.compile(r"Tag-File-Character-Encoding: (\S+)")
_LOOSE_ENCODING_LINE = re.compile(r"\s*Tag-File-Character-Encoding\s*:\s*(\S+)\s*", re.IGNORECASE)


def read_declaration(data: bytes) -> Declaration:
    """Check ``bagit.txt`` by the rules of the version it declares (see :mod:`.versions`).

    Every version: UTF-8 without a byte-order mark (0.93–0.96 assume UTF-8
    for all tag files; 0.97 and 1.0 say so of bagit.txt), ``BagIt-Version``
    first and ``Tag-File-Character-Encoding`` second. BagIt 1.0 and 0.97:
    exactly these two lines, spelled exactly (0.97 allows whitespace around the
    colon, as RFC 8493 §2.2.2 requires readers of older bags to accept).
    0.93–0.96 ("should consist of exactly two lines"): labels in any case, a
    missing encoding line or extra lines are warnings. The encoding may be any
    that Python can decode ("SHOULD be UTF-8"); a last line without a line
    break is read (the break is only RECOMMENDED); both are warnings.
    """
    errors: list[str] = []
    warnings: list[str] = []
    try:
        text = split_lines(data)
    except UnicodeDecodeError as exc:
        bom = ["file starts with a UTF-8 byte-order mark (not allowed here)"] if data.startswith(BOM) else []
        return Declaration(None, (*bom, f"not UTF-8 text (bad byte at offset {exc.start})"))
    if text.has_bom:
        errors.append("file starts with a UTF-8 byte-order mark (not allowed here)")
    lines = text.lines
    first = lines[0] if lines else ""
    loose = _LOOSE_VERSION_LINE.fullmatch(first)
    version = loose.group(1) if loose else None
    rules = VERSIONS.get(version or "")
    if version is None:
        errors.append(f"line 1 must be 'BagIt-Version: M.N'; found {first!r}" + _hint(first))
    elif rules is None:
        errors.append(f"BagIt-Version {version!r} is not one we can check ({known_versions()})")
    elif not _VERSION_LINE.fullmatch(first):
        _loose_line(first, rules, errors, warnings)
    rules = rules or CURRENT
    second = lines[1] if len(lines) > 1 else ""
    encoding = "utf-8"
    if match := _LOOSE_ENCODING_LINE.fullmatch(second):
        encoding = _check_encoding(match.group(1), errors, warnings)
        if not _ENCODING_LINE.fullmatch(second):
            _loose_line(second, rules, errors, warnings)
    elif rules.exact_declaration_labels:
        errors.append("line 2 must be 'Tag-File-Character-Encoding: ENCODING'; "
                      f"found {second!r}" + _hint(second))
    else:
        warnings.append(f"line 2 should be 'Tag-File-Character-Encoding: UTF-8' (BagIt 1.0 "
                        f"requires it); found {second!r}; read as UTF-8")
    if len(lines) > 2:
        (errors if rules.exact_declaration_labels else warnings).append(
            f"{len(lines)} lines; bagit.txt has exactly two")
    if lines and not text.final_break:
        warnings.append("last line has no line break (RFC 8493 recommends one)")
    return Declaration(version, tuple(errors), tuple(warnings), encoding)


def _loose_line(line: str, rules: BagItVersion, errors: list[str], warnings: list[str]) -> None:
    """A declaration line not spelled exactly: an error in 1.0 (and, for the
    label's case, 0.97); read, with a warning, where the version allows it."""
    label = line.partition(":")[0].strip()
    wrong_case = label not in ("BagIt-Version", "Tag-File-Character-Encoding")
    if rules.strict_labels or (wrong_case and rules.exact_declaration_labels):
        errors.append(f"{line!r} is not spelled exactly as BagIt {rules.number} requires" + _hint(line))
    else:
        warnings.append(f"{line!r}: BagIt {rules.number} reads it, 1.0 requires exactly "
                        "'Label: value'" + _hint(line))


def _check_encoding(name: str, errors: list[str], warnings: list[str]) -> str:
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        errors.append(f"Tag-File-Character-Encoding {name!r} is not an encoding we know")
        return "utf-8"
    if name != "UTF-8":
        warnings.append(f"Tag-File-Character-Encoding is {name!r}; the tag files are read "
                        "in it, but RFC 8493 asks for 'UTF-8'")
    return codec


def _hint(line: str) -> str:
    label, colon, _ = line.partition(":")
    if colon and label != label.strip():
        return " (no space is allowed before the colon)"
    return ""


def bagit_txt_errors(data: bytes) -> list[str]:
    """What is wrong with a ``bagit.txt`` (empty list: nothing); see :func:`read_declaration`."""
    return list(read_declaration(data).errors)
