"""The verify stage: check every package in the archive, and the chain between them.

Each package is checked as a BagIt bag (RFC 8493, see :mod:`pipeline.bag.validator`)
and against our own rules: ``bag-info.txt`` names the package, its group and
version, and each version after the first names its predecessor and the
SHA-256 of the predecessor's ``tagmanifest-sha256.txt``. Every problem is
collected; nothing stops at the first.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Mapping, Sequence

from .bag.archive import (
    INCOMING_NAME, LOCK_NAME, PackageName, archive_lock, parse_package_name,
)
from .bag.manifest import sha256_bytes
from .bag.tagfile import BAG_INFO_TXT, ParsedTags, parse_tags
from .bag.validator import check_bag
from .errors import ArchiveError
from .records import ArchiveVerification, PackageVerification, Problem, StageReport

TAGMANIFEST = "tagmanifest-sha256.txt"
REQUIRED_TAG_FILES = ("bag-info.txt", "manifest-sha256.txt", TAGMANIFEST)


def verify_bag(path: Path, *, label: str | None = None) -> PackageVerification:
    """Check one package folder on its own (no version chain).

    Problems name files as ``<label>/<path in bag>``; *label* defaults to the
    folder name.
    """
    label = label or path.name
    parsed = parse_package_name(path.name)
    found = check_bag(path, label)
    problems = list(found.problems)
    if path.is_dir() and not path.is_symlink():
        problems += _policy_problems(path, label, parsed, found.info)
    return PackageVerification(
        name=label,
        path=path,
        group=parsed.group if parsed else "",
        version=parsed.version if parsed else 0,
        problems=_sorted(problems),
        files_checked=found.files_checked,
        bytes_checked=found.bytes_checked,
    )


def verify_archive(archive_dir: Path) -> ArchiveVerification:
    """Check every package in *archive_dir* and the version chain of each group.

    ``.lock`` is ignored; anything in ``.incoming/`` is reported as a warning
    (a build that was interrupted); other entries that are not packages too.
    """
    if not archive_dir.is_dir():
        raise ArchiveError(f"{archive_dir} is not a folder; nothing to verify")
    try:
        with archive_lock(archive_dir, shared=True):
            return _verify_locked(archive_dir)
    except OSError as exc:
        raise ArchiveError(f"{archive_dir} cannot be read: {exc.strerror or exc}") from exc


def verification_report(result: ArchiveVerification) -> StageReport:
    """The stage report: every problem, and one item per package."""
    return StageReport(
        stage="verify",
        problems=result.all_problems,
        items=tuple(p.as_dict() for p in result.packages),
    )


def _verify_locked(archive_dir: Path) -> ArchiveVerification:
    archive_problems: list[Problem] = []
    results: list[PackageVerification] = []
    for entry in sorted(os.listdir(archive_dir)):
        path = archive_dir / entry
        if entry == LOCK_NAME or (entry == "README.md" and path.is_file() and not path.is_symlink()):
            continue  # the archive's own lock, and the note that explains the folder
        if entry == INCOMING_NAME and path.is_dir() and not path.is_symlink():
            for left in sorted(os.listdir(path)):
                archive_problems.append(Problem(
                    "B013", f"{INCOMING_NAME}/{left}", "",
                    "left over from an interrupted build; no build is running now, "
                    "so it can be deleted", "warning"))
            continue
        parsed = parse_package_name(entry)
        if parsed is None or (not path.is_dir() and not path.is_symlink()):
            archive_problems.append(Problem(
                "B014", entry, "",
                "not a package (expected a folder named <group>-<YYYY-MM-DD>-v<NNNN>); ignored",
                "warning"))
            continue
        results.append(verify_bag(path, label=entry))
    chained = _with_chain_problems(archive_dir, results)
    return ArchiveVerification(archive_dir, tuple(chained), _sorted(archive_problems))


def _policy_problems(path: Path, label: str, parsed: PackageName | None,
                     info: ParsedTags | None) -> list[Problem]:
    """Our rules on top of RFC 8493: the tag files and bag-info fields we rely on."""
    problems = []
    for name in REQUIRED_TAG_FILES:
        if not (path / name).is_file() or (path / name).is_symlink():
            code = "B010" if name == BAG_INFO_TXT else "B006" if name == TAGMANIFEST else "B011"
            problems.append(Problem(code, f"{label}/{name}", "",
                                    "missing (every package of this archive has one)"))
    if info is None:
        return problems
    where = f"{label}/{BAG_INFO_TXT}"
    expected = {"External-Identifier": label}
    if parsed is not None:
        expected.update({"Bag-Group-Identifier": parsed.group,
                         "Package-Version": str(parsed.version),
                         "Bagging-Date": parsed.date.isoformat()})
    for field in ("Bag-Software-Agent", "Payload-Oxum", *expected):
        values = info.values(field)
        if not values:
            problems.append(Problem("B010", where, "", f"{field} missing"))
        elif len(values) > 1:
            problems.append(Problem("B010", where, "", f"{field} given more than once"))
        elif field in expected and values[0] != expected[field]:
            code = "B009" if field == "Package-Version" else "B010"
            problems.append(Problem(code, where, "", f"{field} is {values[0]!r}, "
                                    f"but the package name says {expected[field]!r}"))
    return problems


def _with_chain_problems(archive_dir: Path, results: Sequence[PackageVerification],
                         ) -> list[PackageVerification]:
    """Add B009 problems for each package whose link to its predecessor is broken."""
    by_group: dict[str, dict[int, list[PackageVerification]]] = {}
    for result in results:
        by_group.setdefault(result.group, {}).setdefault(result.version, []).append(result)
    out = []
    for result in results:
        versions = by_group[result.group]
        extra = _chain_problems(archive_dir, result, versions)
        out.append(dataclasses.replace(result, problems=_sorted([*result.problems, *extra])))
    return sorted(out, key=lambda r: (r.group, r.version, r.name))


def _chain_problems(archive_dir: Path, result: PackageVerification,
                    versions: Mapping[int, list[PackageVerification]]) -> list[Problem]:
    where = f"{result.name}/{BAG_INFO_TXT}"
    problems = []

    def broken(message: str) -> None:
        problems.append(Problem("B009", where, "", message))

    same = versions[result.version]
    if len(same) > 1:
        others = ", ".join(r.name for r in same if r is not result)
        broken(f"version {result.version} is also used by {others}")
    info = _bag_info(archive_dir / result.name)
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
    if named not in {r.name for r in previous}:
        broken(f"Predecessor-Package is {named!r}, but the previous version in the archive "
               f"is {previous[0].name}")
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


def _bag_info(path: Path) -> ParsedTags | None:
    info_path = path / BAG_INFO_TXT
    if path.is_symlink() or info_path.is_symlink() or not info_path.is_file():
        return None
    try:
        return parse_tags(info_path.read_bytes())
    except OSError:
        return None


def _sorted(problems: Sequence[Problem]) -> tuple[Problem, ...]:
    return tuple(sorted(set(problems), key=lambda p: (p.file, p.pointer, p.code, p.message)))
