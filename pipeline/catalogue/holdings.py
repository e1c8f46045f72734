"""What the archive holds, read from the packages' own records.

Each package's ``data/index.json`` says which statements it holds and their
files; ``manifest-sha256.txt`` gives each file's SHA-256 (the catalogue shows
the digests the package itself records; ``verify`` proves them against the
bytes); ``bag-info.txt`` its date and version. A file named by the index but
absent from the manifest, or outside its statement's folder, is not linked
(K002). Nothing here writes; nothing follows a symbolic link.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Mapping

from pipeline.archive.folder import INDEX_PATH, list_packages
from pipeline.bagit.manifest import parse_manifest
from pipeline.bagit.paths import unsafe_reason
from pipeline.bagit.tagfile import parse_tags
from pipeline.core.records import Problem
from pipeline.events.entry import LoggedEvent
from pipeline.events.log import EVENTS_NAME, read_events
from pipeline.statements.files import Unreadable, read_file

#: What the schema allows, so an identifier is always a safe page name.
IDENTIFIER = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")
#: The names this project's packages use; anything else is checked in full by unsafe_reason.
_PLAIN_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*(?:\.[a-z0-9_-]+)*\.[a-z]{2,4}")
FILE_KINDS = ("pdf", "metadata", "body")
_TAG_LIMIT = 16 * 2**20


@dataclass(frozen=True)
class PayloadFile:
    kind: str
    bag_path: str
    sha256: str


@dataclass(frozen=True)
class Withdrawal:
    identifier: str
    date: str
    reason: str
    package: str


@dataclass(frozen=True)
class Copy:
    """One statement as held in one package."""

    identifier: str
    package: str
    version: int
    files: tuple[PayloadFile, ...]

    def file(self, kind: str) -> PayloadFile | None:
        return next((f for f in self.files if f.kind == kind), None)

    @cached_property
    def key(self) -> tuple[tuple[str, str], ...]:
        """What identifies this copy's content: kind and SHA-256 of each file."""
        return tuple((f.kind, f.sha256) for f in self.files)


@dataclass(frozen=True)
class Package:
    name: str
    group: str
    version: int
    date: str
    path: Path
    info: tuple[tuple[str, str], ...]
    identifiers: tuple[str, ...]
    withdrawn: tuple[Withdrawal, ...]


@dataclass(frozen=True)
class Holdings:
    packages: tuple[Package, ...]
    copies: Mapping[str, tuple[Copy, ...]]  # identifier → its copies, oldest package first
    events: tuple[LoggedEvent, ...]
    problems: tuple[Problem, ...]

    def withdrawal(self, identifier: str) -> Withdrawal | None:
        found = [w for p in self.packages for w in p.withdrawn if w.identifier == identifier]
        return found[-1] if found else None


def read_holdings(archive_dir: Path) -> Holdings:
    problems: list[Problem] = []
    packages: list[Package] = []
    copies: dict[str, list[Copy]] = {}
    for parsed, path in list_packages(archive_dir):
        package = _read_package(parsed.name, parsed.group, parsed.version, parsed.date.isoformat(),
                                path, problems, copies)
        if package is not None:
            packages.append(package)
    events = read_events(archive_dir / EVENTS_NAME)
    return Holdings(tuple(packages), {k: tuple(v) for k, v in sorted(copies.items())}, events,
                    tuple(problems))


def _read_package(name: str, group: str, version: int, date: str, path: Path,
                  problems: list[Problem], copies: dict[str, list[Copy]]) -> Package | None:
    where = f"{path}/{INDEX_PATH}"
    try:
        index = json.loads(read_file(path / INDEX_PATH, _TAG_LIMIT, path).decode("utf-8"))
        manifest = parse_manifest(read_file(path / "manifest-sha256.txt", _TAG_LIMIT, path), "sha256")
        info = parse_tags(read_file(path / "bag-info.txt", _TAG_LIMIT, path)).elements
    except (Unreadable, OSError, UnicodeDecodeError, ValueError) as exc:
        problems.append(Problem("K001", where, "", f"package cannot be read ({exc}); it is left out "
                                "of the catalogue: run `statement-archive verify`"))
        return None
    if not isinstance(index, dict) or not isinstance(index.get("statements"), list):
        problems.append(Problem("K001", where, "/statements", "not a package index (no statement list); "
                                "the package is left out of the catalogue"))
        return None
    identifiers = []
    for position, entry in enumerate(index["statements"]):
        copy = _copy_of(entry, f"/statements/{position}", name, version, manifest.entries, where, problems)
        if copy is not None:
            identifiers.append(copy.identifier)
            copies.setdefault(copy.identifier, []).append(copy)
    withdrawn = _withdrawals(index.get("withdrawn", []), name, where, problems)
    return Package(name, group, version, date, path, tuple(info), tuple(sorted(identifiers)), withdrawn)


def _copy_of(entry: Any, pointer: str, package: str, version: int, manifest: Mapping[str, str],
             where: str, problems: list[Problem]) -> Copy | None:
    identifier = entry.get("identifier") if isinstance(entry, dict) else None
    if not isinstance(identifier, str) or not IDENTIFIER.fullmatch(identifier):
        problems.append(Problem("K002", where, f"{pointer}/identifier",
                                "not a usable statement identifier; the entry is left out"))
        return None
    files = []
    named = entry.get("files") if isinstance(entry.get("files"), dict) else {}
    for kind in FILE_KINDS:
        bag_path = named.get(kind)
        folder = f"data/{identifier}/"
        name = bag_path[len(folder):] if isinstance(bag_path, str) and bag_path.startswith(folder) else ""
        if not name or "/" in name or (not _PLAIN_NAME.fullmatch(name) and unsafe_reason(name)):
            problems.append(Problem("K002", where, f"{pointer}/files/{kind}",
                                    f"no usable {kind} file named for {identifier}; not linked"))
        elif bag_path not in manifest:
            problems.append(Problem("K002", where, f"{pointer}/files/{kind}",
                                    f"{bag_path} is not in the package manifest; not linked"))
        else:
            files.append(PayloadFile(kind, bag_path, manifest[bag_path]))
    return Copy(identifier, package, version, tuple(files))


def _withdrawals(entries: Any, package: str, where: str, problems: list[Problem]) -> tuple[Withdrawal, ...]:
    found = []
    for position, entry in enumerate(entries if isinstance(entries, list) else []):
        values = [entry.get(k) if isinstance(entry, dict) else None for k in ("identifier", "date", "reason")]
        if not all(isinstance(v, str) for v in values) or not IDENTIFIER.fullmatch(values[0]):
            problems.append(Problem("K002", where, f"/withdrawn/{position}",
                                    "withdrawal needs identifier, date and reason as text; left out"))
            continue
        found.append(Withdrawal(values[0], values[1], values[2], package))
    return tuple(sorted(found, key=lambda w: w.identifier))
