"""The verify stage: check every package in the archive, and the chain between them.

Each package is checked on its own by :mod:`pipeline.archive.package_check`
(RFC 8493 and our stricter rules); this stage adds the version chain: each
version after the first names its predecessor and the SHA-256 of the
predecessor's ``tagmanifest-sha256.txt``. Every problem is collected;
nothing stops at the first. Modes (see :mod:`pipeline.bagit.validator`):
``fast``, ``completeness-only``, ``full``.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Callable, Mapping, Sequence

from pipeline.archive.folder import INCOMING_NAME, LOCK_NAME, archive_lock, parse_package_name
from pipeline.archive.package_check import TAGMANIFEST, bag_info, sorted_problems, verify_bag
from pipeline.bagit.manifest import sha256_bytes
from pipeline.bagit.tagfile import BAG_INFO_TXT
from pipeline.bagit.validator import FULL
from pipeline.core.errors import ArchiveError
from pipeline.verify.parallel import check_packages
from pipeline.core.records import ArchiveVerification, PackageVerification, Problem, StageReport

#: Files in the archive folder that belong there and are not packages.
ARCHIVE_NOTES = ("README.md", "events.jsonl")
#: Folders beside the packages that another stage owns (``seals/``: pipeline.seal);
#: not packages and not strays. Their contents are checked by a ``SidecarCheck``.
SIDECAR_FOLDERS = ("seals",)
#: (archive folder, package names) → (problems per package name, problems of the archive),
#: run under the same lock as the bag checks. The CLI passes the seal check.
SidecarCheck = Callable[[Path, Sequence[str]],
                        tuple[Mapping[str, Sequence[Problem]], Sequence[Problem]]]


def verify_bags(paths: Sequence[Path], *, mode: str = FULL,
                progress: Callable[[str, int, int], None] | None = None) -> tuple[PackageVerification, ...]:
    """Check bags given by path (e.g. from other tools), each on its own.

    Each is named by its path as given; a folder named like one of our
    packages is also held to our rules.
    """
    results = []
    for number, path in enumerate(paths, 1):
        results.append(verify_bag(path, label=str(path), mode=mode))
        if progress:
            progress(str(path), number, len(paths))
    return tuple(results)


def verify_archive(archive_dir: Path, *, mode: str = FULL,
                   sidecar_check: SidecarCheck | None = None, workers: int = 1,
                   only: Sequence[str] | None = None,
                   keep_going: Callable[[], bool] | None = None,
                   progress: Callable[[str, int, int], None] | None = None) -> ArchiveVerification:
    """Check every package in *archive_dir* and the version chain of each group.

    ``.lock`` is ignored; anything in ``.incoming/`` is reported as a warning
    (a build that was interrupted); other entries that are not packages too.
    A file with names in several packages (hard links between versions) is
    read once and its result counts for each; with *workers* > 1 the payload
    is hashed in that many processes first (the result is the same).
    With *only*, just those packages are checked, in that order, for as long
    as *keep_going* says so (a time budget); the chain check still sees all.
    """
    if not archive_dir.is_dir():
        raise ArchiveError(f"{archive_dir} is not a folder; nothing to verify")
    try:
        with archive_lock(archive_dir, shared=True):
            return _verify_locked(archive_dir, mode, sidecar_check, workers, only, keep_going, progress)
    except OSError as exc:
        raise ArchiveError(f"{archive_dir} cannot be read: {exc.strerror or exc}") from exc


def verification_report(result: ArchiveVerification | Sequence[PackageVerification],
                        ) -> StageReport:
    """The stage report: every problem, and one item per package (or bag)."""
    if isinstance(result, ArchiveVerification):
        problems, packages = result.all_problems, result.packages
    else:
        packages = tuple(result)
        problems = tuple(p for pkg in packages for p in pkg.problems)
    return StageReport(
        stage="verify",
        problems=problems,
        items=tuple(p.as_dict() for p in packages),
    )


def _verify_locked(archive_dir: Path, mode: str, sidecar_check: SidecarCheck | None, workers: int,
                   only: Sequence[str] | None, keep_going: Callable[[], bool] | None,
                   progress: Callable[[str, int, int], None] | None = None,
                   ) -> ArchiveVerification:
    archive_problems: list[Problem] = []
    found: list[str] = []
    for entry in sorted(os.listdir(archive_dir)):
        path = archive_dir / entry
        if entry == LOCK_NAME or (entry in ARCHIVE_NOTES and path.is_file()
                                  and not path.is_symlink()):
            continue  # the lock, the note that explains the folder, the event log
        if entry == INCOMING_NAME and path.is_dir() and not path.is_symlink():
            for left in sorted(os.listdir(path)):
                archive_problems.append(Problem(
                    "B013", f"{INCOMING_NAME}/{left}", "",
                    "left over from an interrupted build; no build is running now, "
                    "so it can be deleted", "warning"))
            continue
        if entry in SIDECAR_FOLDERS and path.is_dir() and not path.is_symlink():
            continue  # checked by sidecar_check, below
        parsed = parse_package_name(entry)
        if parsed is None or (not path.is_dir() and not path.is_symlink()):
            archive_problems.append(Problem(
                "B014", entry, "",
                "not a package (expected a folder named <group>-<YYYY-MM-DD>-v<NNNN>); ignored",
                "warning"))
            continue
        found.append(entry)
    chosen = found if only is None else [name for name in only if name in set(found)]
    results = check_packages(archive_dir, chosen, mode, workers, keep_going, files_of_packages)
    if progress:  # reported once the workers are done (they check whole packages)
        for number, result in enumerate(results, 1):
            progress(result.name, number, len(results))
    if sidecar_check is not None:
        per_package, extra = sidecar_check(archive_dir, tuple(r.name for r in results))
        results = [dataclasses.replace(r, problems=sorted_problems([*r.problems, *per_package.get(r.name, ())]))
                   for r in results]
        archive_problems += extra
    chained = _with_chain_problems(archive_dir, results, found)
    return ArchiveVerification(archive_dir, tuple(chained), sorted_problems(archive_problems))


def _with_chain_problems(archive_dir: Path, results: Sequence[PackageVerification],
                         present: Sequence[str]) -> list[PackageVerification]:
    """Add B009 problems for each package whose link to its predecessor is broken.
    *present* are all the packages in the archive, checked this time or not."""
    by_group: dict[str, dict[int, list[str]]] = {}
    for name in present:
        if parsed := parse_package_name(name):
            by_group.setdefault(parsed.group, {}).setdefault(parsed.version, []).append(name)
    out = []
    for result in results:
        versions = by_group[result.group]
        extra = _chain_problems(archive_dir, result, versions)
        out.append(dataclasses.replace(result, problems=sorted_problems([*result.problems, *extra])))
    return sorted(out, key=lambda r: (r.group, r.version, r.name))


def _chain_problems(archive_dir: Path, result: PackageVerification,
                    versions: Mapping[int, list[str]]) -> list[Problem]:
    where = f"{result.name}/{BAG_INFO_TXT}"
    problems = []

    def broken(message: str) -> None:
        problems.append(Problem("B009", where, "", message))

    same = versions.get(result.version, [result.name])
    if len(same) > 1:
        others = ", ".join(name for name in same if name != result.name)
        broken(f"version {result.version} is also used by {others}")
    info = bag_info(archive_dir / result.name)
    named = info.get("Predecessor-Package") if info else None
    digest = info.get("Predecessor-Tagmanifest-SHA256") if info else None
    if result.version == 1:
        if named is not None or digest is not None:
            broken("version 1 must not name a predecessor")
        return problems
    previous = versions.get(result.version - 1, [])
    if not previous:
        broken(f"the previous version (v{result.version - 1:04d}) is missing from the archive")
    if named is None or digest is None:
        broken("Predecessor-Package or Predecessor-Tagmanifest-SHA256 missing")
    if not previous or named is None or digest is None:
        return problems
    if named not in previous:
        broken(f"Predecessor-Package is {named!r}, but the previous version in the archive "
               f"is {previous[0]}")
        return problems
    this, before = parse_package_name(result.name), parse_package_name(named)
    if this and before and this.date < before.date:
        broken(f"bagging date {this.date} is earlier than that of its predecessor {named}")
    if (archive_dir / named).is_symlink():
        return problems  # reported as unsafe (B007) on that package; never followed
    try:
        actual = sha256_bytes((archive_dir / named / TAGMANIFEST).read_bytes())
    except OSError as exc:
        broken(f"cannot read {named}/{TAGMANIFEST} to check the chain: {exc.strerror or exc}")
        return problems
    if actual != digest.lower():
        broken(f"Predecessor-Tagmanifest-SHA256 does not match {named}/{TAGMANIFEST}: "
               f"expected {digest}, found {actual}; {named} was altered after "
               f"{result.name} was written")
    return problems




def files_of_packages(archive_dir: Path, names: Sequence[str]) -> list[Path]:
    """Every regular file under the packages' folders, links not followed (the
    checks themselves refuse links; this only decides what to hash ahead)."""
    files = []
    for name in names:
        root = archive_dir / name
        if root.is_symlink() or not root.is_dir():
            continue
        for folder, dirs, entries in os.walk(root):
            dirs[:] = sorted(d for d in dirs if not os.path.islink(os.path.join(folder, d)))
            files += [Path(folder, e) for e in sorted(entries)
                      if not os.path.islink(os.path.join(folder, e))]
    return files
