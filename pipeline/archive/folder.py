"""The archive folder: package names, listing packages, and the lock.

A package is a bag named ``<group>-<YYYY-MM-DD>-v<NNNN>``, for example
``statements-2026-11-28-v0003``. Versions count up within a group across
dates. ``.lock`` serialises builders; ``.incoming/`` holds bags being built.
"""

from __future__ import annotations

import datetime
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from pipeline.core.files import file_lock

LOCK_NAME = ".lock"
INCOMING_NAME = ".incoming"
#: Every package's index of what it holds (written by the package stage, read by submit and the catalogue).
INDEX_PATH = "data/index.json"

_GROUP = re.compile(r"[A-Za-z0-9][A-Za-z0-9._]*(?:-[A-Za-z0-9._]+)*")
_NAME = re.compile(r"(?P<group>.+)-(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})-v(?P<version>[0-9]{4,})")


@dataclass(frozen=True)
class PackageName:
    group: str
    date: datetime.date
    version: int

    @property
    def name(self) -> str:
        return f"{self.group}-{self.date.isoformat()}-v{self.version:04d}"


def valid_group(group: str) -> bool:
    """Letters, digits, '.', '_' and single hyphens; starts with a letter or digit."""
    return bool(_GROUP.fullmatch(group)) and not group.endswith(".")


def parse_package_name(name: str) -> PackageName | None:
    """The parts of a package folder name, or ``None`` if it is not one."""
    match = _NAME.fullmatch(name)
    if not match or not valid_group(match.group("group")):
        return None
    try:
        date = datetime.date.fromisoformat(match.group("date"))
    except ValueError:
        return None
    parsed = PackageName(match.group("group"), date, int(match.group("version")))
    return parsed if parsed.name == name else None  # e.g. v00001 is not canonical


def list_packages(archive_dir: Path, group: str | None = None) -> list[tuple[PackageName, Path]]:
    """Packages in *archive_dir* (of *group*, if given), by group, version and name."""
    found = []
    for entry in sorted(os.listdir(archive_dir)):
        parsed = parse_package_name(entry)
        if parsed and (group is None or parsed.group == group):
            found.append((parsed, archive_dir / entry))
    return sorted(found, key=lambda item: (item[0].group, item[0].version, item[0].name))


@contextmanager
def archive_lock(archive_dir: Path, *, shared: bool = False) -> Iterator[None]:
    """Hold ``archive/.lock``: exclusive to build (created if need be),
    shared to verify (only if the lock file exists: verifying writes nothing)."""
    with file_lock(archive_dir / LOCK_NAME, shared=shared, create=not shared):
        yield
