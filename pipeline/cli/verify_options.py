"""verify --workers, --due PERIOD, --budget TIME: parallel hashing and fixity on a schedule.

``run_verify`` (archive_commands) asks :func:`due_selection` which packages to
check; with no --due it checks all of them, as always.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Sequence

from pipeline.cli.context import Run, UsageProblem
from pipeline.cli.stage_commands import parse_workers
from pipeline.core.clock import event_time

if TYPE_CHECKING:
    from pipeline.verify.schedule import Schedule


def _period(text: str) -> str:
    from pipeline.verify.schedule import parse_period

    try:
        parse_period(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    return text


def add_schedule_arguments(verify: argparse.ArgumentParser) -> None:
    verify.add_argument("--workers", dest="verify_workers", type=parse_workers, default=None,
                        help="processes for hashing (default: one per core; the result is the same as with "
                             "1; with --budget, packages go out in rounds of one per worker), and with "
                             "--reproduce for rendering (default: one per core)")
    verify.add_argument("--due", type=_period, metavar="PERIOD",
                        help="check in full, oldest first, only the packages whose last full fixity "
                             "check in the event log is older than PERIOD (e.g. 90d, 12h)")
    verify.add_argument("--budget", type=_period, metavar="TIME",
                        help="with --due: start no new package after TIME (e.g. 10m, 1h)")


@dataclass(frozen=True)
class DueSelection:
    """The packages due, oldest first, and how long checking may go on."""

    schedule: Schedule
    total: int
    period: str
    keep_going: Callable[[], bool] | None

    @property
    def due(self) -> tuple[str, ...]:
        return self.schedule.due

    def as_dict(self, checked: Sequence[str], failed: Sequence[str]) -> dict[str, object]:
        """For ``--json``: what was due, what was checked, what is still overdue."""
        return {"period": self.period, "cutoff": self.schedule.cutoff.isoformat(), "due": list(self.due),
                "checked": list(checked), "still_overdue": list(self.schedule.overdue_after(checked, failed)),
                "packages": self.total}

    def summary(self, checked: Sequence[str], failed: Sequence[str]) -> str:
        left = self.schedule.overdue_after(checked, failed)
        share = 100 * len(left) / self.total if self.total else 0
        return (f"{len(checked)} of {len(self.due)} package(s) due (no full check for {self.period}) "
                f"checked; {len(left)} of {self.total} package(s) ({share:.0f}% of the archive) "
                f"still overdue" + ("; run again to go on" if left else ""))


def due_selection(run: Run, packages: Callable[[], Sequence[str]]) -> DueSelection | None:
    """None without --due; otherwise what to check (usage problems raised here)."""
    args = run.args
    if args.budget is not None and args.due is None:
        raise UsageProblem("--budget needs --due (without it, every package is checked)")
    if args.due is None:
        return None
    if getattr(args, "fast", False) or getattr(args, "completeness_only", False) or args.bags:
        raise UsageProblem("--due checks packages of the archive in full; "
                           "it cannot be combined with --fast, --completeness-only or BAG paths")
    from pipeline.verify.schedule import parse_period, schedule

    names = packages()
    plan = schedule(args.archive, names, event_time(), parse_period(args.due))
    keep_going = None
    if args.budget is not None:
        deadline = time.monotonic() + parse_period(args.budget).total_seconds()
        keep_going = lambda: time.monotonic() < deadline  # noqa: E731
    return DueSelection(plan, len(names), args.due, keep_going)
