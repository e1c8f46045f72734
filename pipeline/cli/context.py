"""What every command shares: the run (output, reports) and exit codes.

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

from pipeline.core.errors import PipelineError, ProblemsFound
from pipeline.core.records import Problem, StageReport, Withdrawal
from pipeline.cli.progress import Progress, Task

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
    withdrawals: tuple[Withdrawal, ...] = ()  # read by validate, acted on by package
    reported: set[Problem] = field(default_factory=set)  # printed already
    # The renderer's facts, computed once per command: it hashes every pinned font.
    rendition: Any = None
    _bars: Progress | None = field(default=None, init=False, repr=False)

    def say(self, text: str) -> None:
        if not self.args.json:
            self.out = write_line(self.out, text)

    @property
    def bars(self) -> Progress:
        """Progress on stderr: a bar on a terminal, lines otherwise, nothing with --quiet."""
        if self._bars is None:
            self._bars = Progress(self.err, quiet=self.args.quiet)
        return self._bars

    def progress(self, text: str) -> None:
        """A progress message on stderr (above the bar, if one is drawn)."""
        try:
            self.bars.note(text)
        except BrokenPipeError:  # the reader has gone: carry on quietly
            self.err = open(os.devnull, "w", encoding="utf-8")
            self._bars = None

    @contextlib.contextmanager
    def task(self, description: str, total: int | None) -> Iterator[Task]:
        """One stage's progress: call ``task.advance(identifier, what)`` once per item."""
        with self.bars.task(description, total) as task:
            yield task

    def stage(self, report: StageReport, *, stop: bool = True) -> StageReport:
        """Print and keep *report*; raise ProblemsFound if it has errors, unless not
        *stop* (the next stage goes on with what passed: see :meth:`stop_if_refused`)."""
        self.reports.append(report)
        self.reported.update(report.problems)
        for problem in report.problems:
            self.say(problem_line(problem))
        errors, warnings = len(report.errors), len(report.problems) - len(report.errors)
        self.say(f"{report.stage}: {len(report.items)} item(s), {errors} error(s), {warnings} warning(s)")
        if not report.ok and stop:
            self.stop_if_refused()
        return report

    def stop_if_refused(self, consequence: str | None = None) -> None:
        """Raise ProblemsFound naming every stage that refused something so far."""
        refused = [r for r in self.reports if not r.ok]
        if not refused:
            return
        errors = tuple(p for r in refused for p in r.errors)
        archiving = self.args.command in ("build", "package")
        if consequence is None:
            consequence = "; nothing was archived" if archiving else ""
        stages = ", ".join(f"{r.stage} found {len(r.errors)} error(s)" for r in refused)
        raise ProblemsFound(f"{stages}{consequence}", errors)



#: The folders a command uses by default, by option: found in the project folder.
PROJECT_FOLDERS = {"statements": "statements", "archive": "archive", "build_dir": "build"}


def find_project_root(start: Path) -> Path | None:
    """The nearest folder at or above *start* that is a statement-archive project
    (it has ``schemas/statement.schema.json``), as git finds its work tree."""
    for folder in (start, *start.parents):
        if (folder / "schemas" / "statement.schema.json").is_file():
            return folder
    return None


def locate_project_folders(args: argparse.Namespace, cwd: Path) -> None:
    """Fill in the default folders (left None by the parser): in the project
    folder when the command runs inside one, else in *cwd*; given relative to
    *cwd*, so messages name paths as the user would type them."""
    root = find_project_root(cwd) or cwd
    for option, name in PROJECT_FOLDERS.items():
        if getattr(args, option, "") is None:
            setattr(args, option, Path(os.path.relpath(root / name, cwd)))


def problem_line(problem: Problem) -> str:
    """``CODE file pointer: message``; a warning says so after the place, so the
    line still starts with its code and file."""
    line = str(problem)
    if problem.severity == "warning":
        code, _, rest = line.partition(": ")
        return f"{code}: warning: {rest}"
    return line


def write_line(stream: TextIO, text: str) -> TextIO:
    """Print *text*; once the reader has gone (``| head``), carry on quietly, as
    coreutils do: the work is not abandoned because nobody reads its output."""
    try:
        print(text, file=stream, flush=True)
        return stream
    except BrokenPipeError:
        return open(os.devnull, "w", encoding="utf-8")


class UsageProblem(PipelineError):
    """Bad usage: exit 2."""



def parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None

