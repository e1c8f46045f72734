"""A statement's history across package versions, and readable diffs.

Versions whose files have the same SHA-256 as the version before are the
same version; a new version is shown as what changed: metadata field by
field, and the text paragraph by paragraph, with the words that changed
inside a changed paragraph marked.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from pipeline.catalogue.content import text_of

_TOKENS = re.compile(r"\s+|[^\s]+")
_CONTEXT = 1


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class DiffLine:
    """``kind``: "same", "removed", "added", "changed" (with ``parts``), or "gap"."""

    kind: str
    text: str = ""
    parts: tuple[tuple[str, str], ...] = ()  # ("same"|"removed"|"added", words)


def metadata_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[FieldChange, ...]:
    changes = []
    for field in sorted(set(before) | set(after)):
        if field == "$schema" or before.get(field) == after.get(field):
            continue
        changes.append(FieldChange(field, text_of(before.get(field)), text_of(after.get(field))))
    return tuple(changes)


def text_changes(before: str, after: str) -> tuple[DiffLine, ...]:
    """Paragraph diff with one paragraph of context; word marks inside changed pairs."""
    old, new = _paragraphs(before), _paragraphs(after)
    lines: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for group in matcher.get_grouped_opcodes(_CONTEXT):
        if lines:
            lines.append(DiffLine("gap"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [DiffLine("same", p) for p in old[i1:i2]]
            elif tag == "replace" and i2 - i1 == j2 - j1:
                lines += [DiffLine("changed", parts=_word_parts(a, b)) for a, b in zip(old[i1:i2], new[j1:j2])]
            else:
                lines += [DiffLine("removed", p) for p in old[i1:i2]]
                lines += [DiffLine("added", p) for p in new[j1:j2]]
    return tuple(lines)


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def _word_parts(before: str, after: str) -> tuple[tuple[str, str], ...]:
    old, new = _TOKENS.findall(before), _TOKENS.findall(after)
    parts: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            parts.append(("same", "".join(old[i1:i2])))
        else:
            if i2 > i1:
                parts.append(("removed", "".join(old[i1:i2])))
            if j2 > j1:
                parts.append(("added", "".join(new[j1:j2])))
    return tuple(parts)


def distinct_versions(keys: Sequence[tuple]) -> list[int]:
    """Indexes of the copies that start a new version (content differs from the one before)."""
    return [i for i, key in enumerate(keys) if i == 0 or key != keys[i - 1]]
