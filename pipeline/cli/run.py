"""What every command shares: the run (output, reports), the clock, exit codes.

Exit codes (also in README.md and ``--help``):
  0  success (including "nothing changed")
  1  problems found in statements, PDFs or packages (each is printed)
  2  bad usage (unknown option, missing folder, bad target URL)
  3  the machine lacks something the pipeline needs (fonts, pdftotext, boto3)
  4  the archive (or the build folder) cannot be written or read safely
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, TextIO

from ..errors import PipelineError, ProblemsFound
from ..records import StageReport
from .progress import Progress, Task

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_ENVIRONMENT, EXIT_ARCHIVE = 0, 1, 2, 3, 4


PROJECT_DIR = Path(__file__).resolve().parents[2]



@dataclass
class Run:
    """What one command did, for the human and the JSON report."""

    args: argparse.Namespace
    out: TextIO
    err: TextIO
    reports: list[StageReport] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    _bars: Progress | None = field(default=None, init=False, repr=False)

    def say(self, text: str) -> None:
        if not self.args.json:
            print(text, file=self.out)

    @property
    def bars(self) -> Progress:
        """Progress on stderr: a bar on a terminal, lines otherwise, nothing with --quiet."""
        if self._bars is None:
            self._bars = Progress(self.err, quiet=self.args.quiet)
        return self._bars

    def progress(self, text: str) -> None:
        """A progress message on stderr (above the bar, if one is drawn)."""
        self.bars.note(text)

    @contextlib.contextmanager
    def task(self, description: str, total: int | None) -> Iterator[Task]:
        """One stage's progress: call ``task.advance(identifier, what)`` once per item."""
        with self.bars.task(description, total) as task:
            yield task

    def stage(self, report: StageReport) -> StageReport:
        self.reports.append(report)
        for problem in report.problems:
            self.say(str(problem))
        errors, warnings = len(report.errors), len(report.problems) - len(report.errors)
        self.say(f"{report.stage}: {len(report.items)} item(s), {errors} error(s), {warnings} warning(s)")
        if not report.ok:
            archiving = self.args.command in ("build", "package")
            consequence = "; nothing was archived" if archiving else ""
            raise ProblemsFound(f"{report.stage} found {errors} error(s){consequence}", report.errors)
        return report



class UsageProblem(PipelineError):
    """Bad usage: exit 2."""



def bagging_date(args: argparse.Namespace) -> dt.date:
    """Today in UTC, or SOURCE_DATE_EPOCH's date, or --date: the CLI owns the clock."""
    if args.date:
        return args.date
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date()
    return dt.datetime.now(dt.timezone.utc).date()



def event_time() -> dt.datetime:
    """Now in UTC, or the SOURCE_DATE_EPOCH instant: the time stamped on logged events.
    (--date is a package's date, not a time, so it does not move events.)"""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc)
    return dt.datetime.now(dt.timezone.utc)



def parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None

