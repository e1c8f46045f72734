"""Progress on stderr: a bar on a terminal, plain lines otherwise, nothing with --quiet.

Stages know nothing of this: they take a callback and call it once per item
(rendered, checked, copied into the bag, verified, sent). The CLI opens a
``task`` per stage and hands the stage ``task.advance``.

On a terminal, rich draws one bar per task (done/total, elapsed, time left)
and prints notes above it. When stderr is a file or a pipe (CI, ``2>log``),
each step is one line, ``[3/7] rendered: alpha``, so a log shows what happened
and nothing is redrawn (beyond 100 items, a line every 5%). ``--quiet``
prints nothing at all.
"""

from __future__ import annotations

import contextlib
from typing import Iterator, TextIO


PLAIN_EVERY_ITEM_UP_TO = 100  # items; beyond, plain lines every 5%


class Task:
    """One stage's progress over *total* items (None: not known yet)."""

    def __init__(self, progress: "Progress", description: str, total: int | None):
        self._progress, self.description, self.total, self.done = progress, description, total, 0
        self._bar = None

    def advance(self, label: str = "", what: str = "") -> None:
        """One more item done; *label* names it (an identifier), *what* says what happened to it."""
        self.done += 1
        self._progress._advanced(self, label, what)

    def set_total(self, total: int) -> None:
        self.total = total
        self._progress._resized(self)

    def step(self, label: str, done: int, total: int) -> None:
        """The stages' callback shape: *label* is the *done*-th of *total* items."""
        if total != self.total:
            self.set_total(total)
        self.done = done - 1
        self.advance(label)


class Progress:
    def __init__(self, stream: TextIO, *, quiet: bool = False, terminal: bool | None = None):
        self.stream, self.quiet = stream, quiet
        if terminal is None:
            isatty = getattr(stream, "isatty", None)
            terminal = bool(isatty and isatty())
        self.terminal = terminal and not quiet
        self._live = None  # the rich Progress while a task runs on a terminal

    def note(self, text: str) -> None:
        """A message line (above the bar on a terminal)."""
        if self.quiet:
            return
        if self._live is not None:
            self._live.console.print(text, markup=False, highlight=False)
        else:
            print(text, file=self.stream, flush=True)

    @contextlib.contextmanager
    def task(self, description: str, total: int | None) -> Iterator[Task]:
        task = Task(self, description, total)
        if not self.terminal:
            yield task
            return
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress as Bar, TextColumn,
                                   TimeElapsedColumn, TimeRemainingColumn)

        console = Console(file=self.stream, highlight=False)
        with Bar(TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(),
                 TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(),
                 TextColumn("{task.fields[label]}"), console=console, transient=False) as bar:
            self._live = bar
            task._bar = bar.add_task(description, total=total, label="")
            try:
                yield task
            finally:
                self._live = None

    def _advanced(self, task: Task, label: str, what: str) -> None:
        if self.quiet:
            return
        if task._bar is not None and self._live is not None:
            self._live.update(task._bar, advance=1, label=label)
            return
        if task.total and task.total > PLAIN_EVERY_ITEM_UP_TO and task.done != task.total \
                and task.done % (task.total // 20) != 0:
            return  # a log of a 10,000-statement build gets every 5%, not 10,000 lines
        of = f"/{task.total}" if task.total is not None else ""
        print(f"[{task.done}{of}] {what or task.description}: {label}".rstrip(": "),
              file=self.stream, flush=True)

    def _resized(self, task: Task) -> None:
        if task._bar is not None and self._live is not None:
            self._live.update(task._bar, total=task.total)
