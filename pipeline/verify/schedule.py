"""Fixity on a schedule: which packages are due a full check, oldest first.

A package's last full fixity check is the newest "fixity check" event of the
event log that names it and did not fail (a failed check leaves it due: the
damage is still there until someone repairs it). A package never checked is
the most overdue of all. The log is the record: a check that could not be
logged (a read-only copy) does not count, and the package stays due.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from pipeline.events.log import EVENTS_NAME, read_events

_PERIOD = re.compile(r"([0-9]+)(s|m|h|d|w)")
_FIXITY = b"fixity check"
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_period(text: str) -> dt.timedelta:
    """``90d``, ``12h``, ``10m``, ``30s``, ``2w`` → a timedelta; ValueError otherwise."""
    match = _PERIOD.fullmatch(text.strip())
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"not a period such as 90d, 12h, 10m or 30s: {text!r}")
    return dt.timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2)])


@dataclass(frozen=True)
class Schedule:
    """Every package's last full check (None: never), and those due, oldest first."""

    last_checked: Mapping[str, dt.datetime | None]
    due: tuple[str, ...]
    cutoff: dt.datetime

    def overdue_after(self, checked: Sequence[str], failed: Sequence[str]) -> tuple[str, ...]:
        """What is still due once *checked* were checked (those in *failed* stay due)."""
        done = set(checked) - set(failed)
        return tuple(name for name in self.due if name not in done)


def last_fixity_checks(archive_dir: Path) -> dict[str, dt.datetime | None]:
    """Package name → time of its newest fixity check that did not fail; None
    when its newest check failed (due at once, whatever passed before)."""
    # Only lines that can be a fixity check are parsed (most of a log is validations):
    # its eventType is these bytes, or a line with an escape (\uXXXX) could spell it otherwise.
    events = read_events(archive_dir / EVENTS_NAME, keep=lambda line: _FIXITY in line or b"\\" in line)
    newest: dict[str, tuple[dt.datetime, bool]] = {}  # name → (time, passed) of the newest check
    passed: dict[str, dt.datetime] = {}
    for event in events:
        if event.event_type != "fixity check":
            continue
        try:
            when = dt.datetime.fromisoformat(event.date_time.replace("Z", "+00:00"))
        except ValueError:
            continue  # the log check reports malformed entries
        ok = event.outcome != "failure"
        for link in (o for o in event.objects if o.type == "package"):
            if link.value not in newest or newest[link.value][0] <= when:
                newest[link.value] = (when, ok)
            if ok and (link.value not in passed or passed[link.value] < when):
                passed[link.value] = when
    return {name: passed.get(name) if ok else None for name, (_, ok) in newest.items()}


def schedule(archive_dir: Path, packages: Sequence[str], now: dt.datetime,
             period: dt.timedelta) -> Schedule:
    """The packages whose last full check is older than *period* before *now*,
    never checked or failing first, then oldest check first, then by name."""
    checks = last_fixity_checks(archive_dir)
    cutoff = now - period
    last = {name: checks.get(name) for name in packages}
    due = sorted((name for name, when in last.items() if when is None or when < cutoff),
                 key=lambda name: (last[name] is not None, last[name] or cutoff, name))
    return Schedule(last, tuple(due), cutoff)
