"""The newest package of a group, as a build reads it before packaging: what it
holds (payload manifest, withdrawals), whether it is unaltered enough to say
"nothing changed since" it, and whether a new version may be chained to it.
A version is never chained to damage (P006).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Sequence

from pipeline.archive.folder import INDEX_PATH, PackageName
from pipeline.archive.package_check import (
    check_newest_unaltered, form_problems, payload_digest_problems, sorted_problems,
)
from pipeline.bagit.manifest import parse_manifest, sha256_bytes
from pipeline.core.errors import ArchiveError, ProblemsFound
from pipeline.core.records import Problem, Withdrawal
from pipeline.package.provenance import is_statement_path


@dataclass(frozen=True)
class Contents:
    """What the newest package holds: its payload manifest and the withdrawals it lists."""

    manifest: dict[str, str]
    withdrawn: tuple[Withdrawal, ...]

    @cached_property  # asked up to four times a build, of up to 30,000 paths
    def identifiers(self) -> frozenset[str]:
        return frozenset(path.split("/")[1] for path in self.manifest if is_statement_path(path))


def predecessor_contents(name: PackageName, path: Path) -> Contents:
    """The newest package's payload manifest and withdrawals, once it is shown
    unaltered by the cheap checks (P006 with its problems otherwise).

    That much is what a build needs to say "nothing changed since" it; the
    rest of its form (each listed file by name, our rules) is checked only
    before a version is chained to it (:func:`check_fit_to_chain`), and by verify.
    """
    _refuse_to_chain(name, check_newest_unaltered(path))
    index = json.loads(read_from_package(name, path, INDEX_PATH))
    withdrawn = tuple(Withdrawal(w["identifier"], w["reason"], w["date"])
                      for w in index.get("withdrawn", ()))
    return Contents(_payload_manifest(name, path), withdrawn)


def check_fit_to_chain(name: PackageName, path: Path) -> None:
    """The rest of the newest package's form, before a new version is chained to it
    (P006): its tag files were checked by :func:`predecessor_contents` under the same lock."""
    _refuse_to_chain(name, sorted_problems(form_problems(path)))


def _refuse_to_chain(name: PackageName, damage: Sequence[Problem], what: str = "problem(s)") -> None:
    if damage:
        raise ProblemsFound(f"{name.name} is damaged", [
            Problem("P006", name.name, "", f"the newest package is damaged ({len(damage)} {what} "
                    "below); no new version is chained to it: restore it from a copy, then build again"),
            *damage])


def check_carried_over(name: PackageName, path: Path, planned: dict[str, str],
                        before: dict[str, str]) -> None:
    """The newest package's copies of what the new version carries over unchanged
    must still be those bytes: a version is never chained to silent damage."""
    unchanged = {p: d for p, d in planned.items() if before.get(p) == d}
    _refuse_to_chain(name, payload_digest_problems(path, unchanged), "file(s)")


def _payload_manifest(name: PackageName, path: Path) -> dict[str, str]:
    parsed = parse_manifest(read_from_package(name, path, "manifest-sha256.txt"), "sha256")
    if parsed.errors:
        raise ArchiveError(f"{name.name}/manifest-sha256.txt is malformed; the newest package "
                           "is damaged: run verify, and restore it from a copy before "
                           "packaging again")
    return dict(parsed.entries)


def tagmanifest_sha256(name: PackageName, path: Path) -> str:
    return sha256_bytes(read_from_package(name, path, "tagmanifest-sha256.txt"))


def read_from_package(name: PackageName, path: Path, file: str) -> bytes:
    try:
        return (path / file).read_bytes()
    except OSError as exc:
        raise ArchiveError(
            f"{name.name}/{file} cannot be read ({exc.strerror or exc}); the newest package "
            "is damaged: run verify, and restore it from a copy before packaging again"
        ) from exc
