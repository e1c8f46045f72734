"""Exceptions raised by the pipeline.

::

    PipelineError                 anything the CLI reports as one line, exit 1
    ├── InputError                a statement or option the officer must fix
    ├── StageError                a stage could not go on (its problems are attached)
    │   └── ProblemsFound         a stage finished, but found problems
    ├── EnvironmentProblem        the machine lacks something (fonts, pdftotext, Java)
    └── ArchiveError              the archive/ folder cannot be written or read safely

Problems in the data are collected as :class:`pipeline.core.records.Problem` and
reported together; an exception is raised only when a stage cannot continue.
"""

from __future__ import annotations

from typing import Sequence

from pipeline.core.records import Problem


class PipelineError(Exception):
    """Base of every error the CLI turns into a message and an exit code."""


class InputError(PipelineError):
    """A statement, its metadata, or an option is unusable as given."""


class StageError(PipelineError):
    """A stage could not go on."""

    def __init__(self, message: str, problems: Sequence[Problem] = ()):
        super().__init__(message)
        self.problems = tuple(problems)


class ProblemsFound(StageError):
    """A stage completed its checks and found problems (exit 1)."""


class EnvironmentProblem(PipelineError):
    """Something the pipeline needs from the machine is missing."""


class ArchiveError(PipelineError):
    """The archive cannot be written or read safely."""
