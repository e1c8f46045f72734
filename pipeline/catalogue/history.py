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
from pipeline.catalogue.holdings import Copy
from pipeline.events.entry import LoggedEvent

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


#: What a build logs for every statement it packages, changed or not.
BUILD_EVENT_TYPES = ("validation", "creation")


@dataclass(frozen=True)
class EventsByObject:
    statements: Mapping[str, list[LoggedEvent]]  # shown on the statement's page
    packages: Mapping[str, list[LoggedEvent]]  # naming the package
    carried: Mapping[str, dict[tuple[str, str, str], int]]  # package → (type, outcome, detail) → statements


def events_by_object(events: Sequence[LoggedEvent], copies: Mapping[str, Sequence[Copy]]) -> EventsByObject:
    """Each statement's and package's events.

    A build validates and packages every statement again, so each new package
    logs events naming statements it carries over unchanged. Those are counted
    on that package's page rather than listed on the statement's, so a
    statement's page changes only when the statement does: the events of the
    build that wrote a package are those from the previous package's creation
    up to its own; of these, validation and creation events naming a statement
    the package holds with the same files as the package before are "carried".
    """
    carried_copies = set()
    for identifier, held in copies.items():
        starts = set(distinct_versions([c.key for c in held]))
        carried_copies |= {(c.package, identifier) for i, c in enumerate(held) if i not in starts}
    statements: dict[str, list[LoggedEvent]] = {}
    packages: dict[str, list[LoggedEvent]] = {}
    carried: dict[str, dict[tuple[str, str, str], int]] = {}
    window: list[LoggedEvent] = []

    def close(package: str | None) -> None:
        for event in window:
            for link in event.objects:
                if link.type != "statement":
                    continue
                if (package, link.value) in carried_copies and event.event_type in BUILD_EVENT_TYPES:
                    what = (event.event_type, event.outcome, event.detail)
                    counts = carried.setdefault(package, {})
                    counts[what] = counts.get(what, 0) + 1
                elif event not in statements.setdefault(link.value, []):
                    statements[link.value].append(event)
        window.clear()

    for event in sorted(events, key=lambda e: e.sequence):
        window.append(event)
        named = [link.value for link in event.objects if link.type == "package"]
        for package in named:
            if event not in packages.setdefault(package, []):
                packages[package].append(event)
        if event.event_type == "creation" and named:
            close(named[0])
    close(None)
    return EventsByObject(statements, packages, carried)
