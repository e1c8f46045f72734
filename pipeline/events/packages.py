"""The event log held against the packages, which carry their own events.

Every package written since the audit trail was made whole carries

* ``premis-events.jsonl``, a tag file (so covered by the tag manifests) with
  one canonical JSON line per event that led to it (validation, digests,
  creation, withdrawals), each as the log will say it but without its place in
  the chain (:data:`pipeline.events.entry.CONTENT_KEYS`);
* in ``bag-info.txt``, ``Event-Log-Sequence`` and ``Event-Log-Head-SHA256``:
  the log's last line when the package was made (0 and ``GENESIS`` for none).

So the log cannot lose a package's creation unseen: the package says what
the log must contain, and how long the log already was. :func:`log_package_problems`
finds a log that lacks a package's events (E011) or is shorter than, or
rewritten since, what a package recorded (E012). :func:`recover_package_events`
puts back events lost by a crash between a package's final rename and the
append of its events, and only that case: they are the newest package's, and
the log still holds, line for line, what it held when that package was made.

Every build runs the recovery, so it reads only what that case needs: the
newest package of each group (no crash can lose an older one's events: the
next build puts them back before it writes another), the one log line that
package recorded as the head, and the lines after it. Older packages' events
against the whole log are :func:`log_package_problems`' job, which verify runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Sequence

from pipeline.archive.folder import PackageName, list_packages
from pipeline.bagit.tagfile import BAG_INFO_TXT, parse_tags
from pipeline.core.errors import ArchiveError
from pipeline.core.records import Problem
from pipeline.events.entry import GENESIS, EventDraft, canonical, content_digest, draft_from_content, event_content
from pipeline.events.log import (
    EVENTS_NAME, append_events, chained, line_sha256, logged_content_digests, read_lines,
)

PACKAGE_EVENTS = "premis-events.jsonl"
HEAD_SEQUENCE, HEAD_SHA256 = "Event-Log-Sequence", "Event-Log-Head-SHA256"


def package_event_file(drafts: Sequence[EventDraft]) -> bytes:
    """The bytes of ``premis-events.jsonl`` for a package about to be written."""
    return b"".join(canonical(event_content(d)) + b"\n" for d in drafts)


def head_fields(head: tuple[int, str]) -> list[tuple[str, str]]:
    """The ``bag-info.txt`` elements recording the log's head at creation."""
    return [(HEAD_SEQUENCE, str(head[0])), (HEAD_SHA256, head[1])]


@dataclass(frozen=True)
class PackageClaim:
    """What one package says about the log: the head it recorded, and its
    events as the lines of its ``premis-events.jsonl``, parsed when asked for
    (a build usually needs only the first and the last)."""

    package: str
    head_sequence: int
    head_sha256: str
    event_lines: tuple[bytes, ...]

    @cached_property
    def events(self) -> tuple[dict[str, Any], ...]:
        """Every event (ValueError if a line is not JSON)."""
        return tuple(json.loads(line) for line in self.event_lines)

    def event(self, index: int) -> dict[str, Any]:
        return json.loads(self.event_lines[index])


def read_claims(archive_dir: Path) -> tuple[list[PackageClaim], list[Problem]]:
    """The claims of every package that makes them (older packages make none)."""
    claims, problems = [], []
    for name, path in list_packages(archive_dir):
        claim = _read_claim(name, path, parse=True)
        if isinstance(claim, Problem):
            problems.append(claim)
        elif claim is not None:
            claims.append(claim)
    return claims, problems


def newest_claims(archive_dir: Path) -> list[PackageClaim]:
    """The claim of the newest package of each group that makes one; only those
    packages' files are read. Raises ArchiveError when one cannot be read."""
    groups: dict[str, list[tuple[PackageName, Path]]] = {}
    for name, path in list_packages(archive_dir):
        groups.setdefault(name.group, []).append((name, path))
    claims = []
    for packages in groups.values():
        for name, path in reversed(packages):
            claim = _read_claim(name, path)
            if isinstance(claim, Problem):
                raise ArchiveError(str(claim))
            if claim is not None:
                claims.append(claim)
                break
    return claims


def _read_claim(name: PackageName, path: Path, *, parse: bool = False) -> PackageClaim | Problem | None:
    """The package's claim; with *parse*, every event is parsed now (a line
    that is not JSON is then this problem, not an error later)."""
    events_path, info_path = path / PACKAGE_EVENTS, path / BAG_INFO_TXT
    if path.is_symlink() or not events_path.is_file() or events_path.is_symlink():
        return None  # an older package, or damage the bag check reports
    try:
        info = parse_tags(info_path.read_bytes())
        claim = PackageClaim(name.name, int(info.get(HEAD_SEQUENCE) or ""), info.get(HEAD_SHA256) or "",
                             tuple(events_path.read_bytes().splitlines()))
        if parse:
            claim.events  # noqa: B018 (parsed now, so a line that is not JSON is reported here)
    except (OSError, ValueError, TypeError) as exc:
        return _unreadable_claim(name.name, exc)
    return claim


def _unreadable_claim(package: str, exc: Exception) -> Problem:
    return Problem("E012", f"{package}/{PACKAGE_EVENTS}", "", f"cannot read what the package "
                   f"says about the event log ({exc}); run verify on the package")


def log_package_problems(archive_dir: Path) -> list[Problem]:
    """E011 for every package whose events the log lacks, E012 for a log shorter
    than, or different from, what a package recorded of it."""
    claims, problems = read_claims(archive_dir)
    if not claims:
        return problems
    log_path = archive_dir / EVENTS_NAME
    lines = read_lines(log_path)
    logged = logged_content_digests(lines)
    for claim in claims:
        problems += _head_problems(log_path, claim, lines)
        missing = [e for e in claim.events if content_digest(e) not in logged]
        if missing:
            problems.append(Problem(
                "E011", str(log_path), "",
                f"{len(missing)} event(s) of {claim.package} (its {PACKAGE_EVENTS}) are not in the "
                "log: its creation was not recorded. If the build was interrupted, run build: it "
                "records them from the package; otherwise restore the log from a copy"))
    return problems


def recover_package_events(archive_dir: Path) -> list[Problem]:
    """Log the events of the newest package of each group when the log lacks
    them, from the package itself, when the log still holds what it held when
    that package was made.

    Returns a warning (E013) per package recovered. Raises ArchiveError when the
    log lacks a package's events and cannot have lost them by a crash alone
    (it is shorter than, or rewritten since, what the package recorded), or
    when the newest package's claim cannot be read. Only the newest packages
    are read (a build runs this every time): older packages' events are held
    against the whole log by verify (:func:`log_package_problems`).
    """
    log_path = archive_dir / EVENTS_NAME
    lines: list[bytes] | None = None
    recovered: list[Problem] = []
    for claim in newest_claims(archive_dir):
        lines = lines if lines is not None else read_lines(log_path)
        damage = _head_problems(log_path, claim, lines)
        if not damage and _logged_after_head(claim, lines):
            continue
        # Its events follow the head it recorded; a damaged head means the whole log is searched.
        logged = logged_content_digests(lines if damage else lines[claim.head_sequence:])
        try:
            events = claim.events
        except (ValueError, TypeError) as exc:
            raise ArchiveError(str(_unreadable_claim(claim.package, exc))) from None
        missing = [e for e in events if content_digest(e) not in logged]
        if not missing:
            continue
        if damage:
            raise ArchiveError(f"{damage[0]}; nothing was written")
        append_events(log_path, [draft_from_content(e) for e in missing])
        lines = None  # the log grew
        recovered.append(Problem(
            "E013", str(log_path), "", f"recorded {len(missing)} event(s) of {claim.package} from its "
            f"{PACKAGE_EVENTS}: an earlier build was interrupted after writing it", "warning"))
    return recovered


def _logged_after_head(claim: PackageClaim, lines: list[bytes]) -> bool:
    """The case of every build but the one after a crash, shown without parsing the log:
    the claim's n events are the n lines right after the head it recorded.

    Each of those lines must be the next link of the chain from the head (it
    names the SHA-256 of the line before it), so they are the lines appended
    after the head, whole; and the first and the last must hold the claim's
    first and last event. A build appends its events in order under one lock,
    so lines between those two hold the others. Anything else (lines lost, a
    torn line, another writer's event in between) falls back to searching the
    lines after the head event by event; a log rewritten after the head is
    verify's to find (:func:`log_package_problems`).
    """
    start, count = claim.head_sequence, len(claim.event_lines)
    window = lines[start:start + count]
    if not count or len(window) < count:
        return False
    if not chained(window, lines[start - 1] if start else None):
        return False
    ends = logged_content_digests([window[0], window[-1]])
    try:
        return {content_digest(claim.event(0)), content_digest(claim.event(-1))} <= ends
    except (ValueError, TypeError):
        return False  # the search event by event says what is wrong


def _head_problems(log_path: Path, claim: PackageClaim, lines: list[bytes]) -> list[Problem]:
    if claim.head_sequence == 0:
        return [] if claim.head_sha256 == GENESIS else [Problem(
            "E012", f"{claim.package}/{BAG_INFO_TXT}", "", f"{HEAD_SHA256} must be {GENESIS} "
            f"when {HEAD_SEQUENCE} is 0")]
    if len(lines) < claim.head_sequence:
        return [Problem("E012", str(log_path), "", (
            f"the log has {len(lines)} line(s), but it had {claim.head_sequence} when "
            f"{claim.package} was written: lines were removed, or the log was replaced; restore it "
            "from a copy"))]
    if line_sha256(lines[claim.head_sequence - 1]) != claim.head_sha256:
        return [Problem("E012", str(log_path), f"line {claim.head_sequence}", (
            f"differs from the line {claim.package} recorded as the log's head when it was written: "
            "the log was rewritten; restore it from a copy"))]
    return []
