"""Collecting the problems found in one bag, each naming ``<label>/<path in bag>``."""

from __future__ import annotations

from pipeline.core.records import Problem


class Findings:
    """Problems found so far; *label* prefixes every file name."""

    def __init__(self, label: str):
        self.label = label
        self.problems: list[Problem] = []

    def add(self, code: str, path: str, message: str, pointer: str = "",
            severity: str = "error") -> None:
        file = f"{self.label}/{path}" if path else self.label
        self.problems.append(Problem(code, file, pointer, message, severity))  # type: ignore[arg-type]

    def sorted(self) -> tuple[Problem, ...]:
        return tuple(sorted(set(self.problems),
                            key=lambda p: (p.file, p.pointer, p.code, p.message)))


def line_pointer(line: int) -> str:
    return f"line {line}" if line else ""
