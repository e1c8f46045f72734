"""Checking the archive's event log: every way its chain can be broken.

The log format and how entries are written are in :mod:`pipeline.events.log`.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from pipeline.core.errors import ArchiveError
from pipeline.events.entry import GENESIS, LoggedEvent, build_entry, canonical, shape_problem
from pipeline.events.log import EVENTS_NAME, line_sha256, read_lines, read_log
from pipeline.core.records import Problem


def verify_event_log(log_path: Path, *, data: bytes | None = None) -> list[Problem]:
    """Every problem with the log: E002 incomplete last line, E003 malformed entry,
    E004 altered entry, E005 broken chain, E006 sequence out of order, E007 not
    canonical. A missing log has no problems (see ``archive_log_problems``)."""
    if data is None:
        try:
            data = read_log(log_path)
        except ArchiveError as exc:
            return [Problem("E001", str(log_path), "", f"{exc}; check its permissions")]
    where = str(log_path)
    problems: list[Problem] = []
    lines = data.split(b"\n")
    if lines[-1]:
        problems.append(Problem(
            "E002", where, f"line {len(lines)}",
            f"the last line ({len(lines[-1])} bytes) has no newline: an append was interrupted "
            "(crash or full disk). Keep a copy of the log, then remove that incomplete last "
            "line; nothing can be recorded until then"))
    previous = GENESIS
    for number, raw in enumerate(lines[:-1], start=1):
        problems += _line_problems(where, number, raw, previous)
        previous = line_sha256(raw)
    return problems


def archive_log_problems(archive_dir: Path, has_packages: bool) -> list[Problem]:
    """The log of *archive_dir* verified and held against the packages, which
    carry their own events (E011, E012; :mod:`pipeline.events.packages`); E008
    if packages older than that exist but no log does."""
    from pipeline.events.packages import log_package_problems

    log_path = archive_dir / EVENTS_NAME
    against_packages = log_package_problems(archive_dir) if has_packages else []
    if not os.path.lexists(log_path):
        if not has_packages or against_packages:
            return against_packages
        return [Problem("E008", str(log_path), "",
                        "the archive has packages but no event log: it was deleted, or the "
                        "packages predate it; restore it from a copy if you have one", "warning")]
    return verify_event_log(log_path) + against_packages


def head_sha256(log_path: Path) -> str:
    """SHA-256 of the last complete line (``GENESIS`` for an empty log): record it elsewhere."""
    lines = read_lines(log_path)
    return line_sha256(lines[-1]) if lines else GENESIS


def _line_problems(where: str, number: int, raw: bytes, previous: str) -> list[Problem]:
    pointer = f"line {number}"
    try:
        entry = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        return [Problem("E003", where, pointer, f"not a JSON event ({exc}); it was edited or "
                                                "damaged: restore the log from a copy")]
    if (shape := shape_problem(entry)) is not None:
        return [Problem("E003", where, pointer, f"not a valid event: {shape}")]
    problems = []
    content = {k: v for k, v in entry.items() if k != "sha256"}
    if hashlib.sha256(canonical(content)).hexdigest() != entry["sha256"]:
        problems.append(Problem("E004", where, pointer, "the entry was altered after it was "
                                "written (its content no longer matches its sha256)"))
    else:
        event = LoggedEvent.from_dict(entry)
        expected = build_entry(event.sequence, event.previous_sha256, event.event_type,
                          event.date_time, event.outcome, event.detail, event.agents, event.objects)
        if expected["eventIdentifier"] != entry["eventIdentifier"]:
            problems.append(Problem("E004", where, pointer, "the eventIdentifier was altered "
                                    "(it is not the UUID5 of the entry's content)"))
    if entry["previous_sha256"] != previous:
        problems.append(Problem(
            "E005", where, pointer, "previous_sha256 does not match the line before it: a line "
            "was deleted, inserted, reordered or altered just before this one"))
    if entry["sequence"] != number:
        problems.append(Problem("E006", where, pointer,
                                f"sequence is {entry['sequence']} on line {number}: lines were "
                                "deleted, inserted or reordered"))
    if canonical(entry) != raw:
        problems.append(Problem("E007", where, pointer, "the line is not in canonical form "
                                "(spacing or key order was changed by an editor)"))
    return problems
