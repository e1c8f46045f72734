"""The verify stage: check every package in the archive, and the chain between them.

Each package is checked as a BagIt bag (RFC 8493, see :mod:`pipeline.bag.validator`)
and against our own rules: ``bag-info.txt`` names the package, its group and
version, and each version after the first names its predecessor and the
SHA-256 of the predecessor's ``tagmanifest-sha256.txt``. Every problem is
collected; nothing stops at the first.

Our own rules are stricter than RFC 8493 where a change could otherwise go
unseen: a package has a manifest and a tag manifest for every algorithm we
write, every tag file is covered by the tag manifests, and every manifest is
in the exact form our writer produces (see :mod:`pipeline.bag.canonical`).
Bags from elsewhere (e.g. BagIt 0.97 bags made by bagit-python) are checked
against RFC 8493 alone.

Modes (see :mod:`pipeline.bag.validator`): ``fast``, ``completeness-only``,
``full``.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Callable, Mapping, Sequence

from .bag.archive import (
    INCOMING_NAME, LOCK_NAME, PackageName, archive_lock, parse_package_name,
)
from .bag.canonical import noncanonical_reason
from .bag.manifest import WRITTEN_ALGORITHMS, sha256_bytes
from .bag.tagfile import BAG_INFO_TXT, ParsedTags, parse_tags
from .bag.validator import FAST, FULL, BagCheck, check_bag
from .errors import ArchiveError
from .records import ArchiveVerification, PackageVerification, Problem, StageReport

TAGMANIFEST = "tagmanifest-sha256.txt"
MANIFESTS = tuple(f"{kind}-{alg}.txt" for kind in ("manifest", "tagmanifest")
                  for alg in WRITTEN_ALGORITHMS)
REQUIRED_TAG_FILES = (BAG_INFO_TXT, *MANIFESTS)
#: Files in the archive folder that belong there and are not packages.
ARCHIVE_NOTES = ("README.md", "events.jsonl")


def verify_bag(path: Path, *, label: str | None = None, mode: str = FULL,
               package_rules: bool | None = None) -> PackageVerification:
    """Check one bag on its own (no version chain).

    Problems name files as ``<label>/<path in bag>``; *label* defaults to the
    folder name. With *package_rules* the bag is also held to this archive's
    own rules; by default, when the folder is named like a package.
    """
    label = label or path.name
    parsed = parse_package_name(path.name)
    if package_rules is None:
        package_rules = parsed is not None
    found = check_bag(path, label, mode=mode)
    problems = list(found.problems)
    if package_rules and path.is_dir() and not path.is_symlink():
        # Our rules make an uncovered tag file an error (B006), not a warning.
        problems = [p for p in problems if p.code != "B020"]
        problems += _policy_problems(path, label, parsed, found, mode)
    return PackageVerification(
        name=label,
        path=path,
        group=parsed.group if parsed else "",
        version=parsed.version if parsed else 0,
        problems=_sorted(problems),
        files_checked=found.files_checked,
        bytes_checked=found.bytes_checked,
    )


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
                   progress: Callable[[str, int, int], None] | None = None) -> ArchiveVerification:
    """Check every package in *archive_dir* and the version chain of each group.

    ``.lock`` is ignored; anything in ``.incoming/`` is reported as a warning
    (a build that was interrupted); other entries that are not packages too.
    """
    if not archive_dir.is_dir():
        raise ArchiveError(f"{archive_dir} is not a folder; nothing to verify")
    try:
        with archive_lock(archive_dir, shared=True):
            return _verify_locked(archive_dir, mode, progress)
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


def _verify_locked(archive_dir: Path, mode: str,
                   progress: Callable[[str, int, int], None] | None = None) -> ArchiveVerification:
    archive_problems: list[Problem] = []
    results: list[PackageVerification] = []
    entries = sorted(os.listdir(archive_dir))
    packages = sum(1 for entry in entries if parse_package_name(entry) is not None)
    for entry in entries:
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
        parsed = parse_package_name(entry)
        if parsed is None or (not path.is_dir() and not path.is_symlink()):
            archive_problems.append(Problem(
                "B014", entry, "",
                "not a package (expected a folder named <group>-<YYYY-MM-DD>-v<NNNN>); ignored",
                "warning"))
            continue
        results.append(verify_bag(path, label=entry, mode=mode, package_rules=True))
        if progress:
            progress(entry, len(results), packages)
    chained = _with_chain_problems(archive_dir, results)
    return ArchiveVerification(archive_dir, tuple(chained), _sorted(archive_problems))


def _policy_problems(path: Path, label: str, parsed: PackageName | None,
                     found: BagCheck, mode: str) -> list[Problem]:
    """Our rules on top of RFC 8493: the tag files and bag-info fields we rely
    on, full tag-manifest coverage, and manifests in our writer's form."""
    problems = []
    for name in REQUIRED_TAG_FILES:
        if not (path / name).is_file() or (path / name).is_symlink():
            code = ("B010" if name == BAG_INFO_TXT
                    else "B006" if name.startswith("tagmanifest-") else "B011")
            problems.append(Problem(code, f"{label}/{name}", "",
                                    "missing (every package of this archive has one)"))
        elif mode != FAST:
            problems += _canonical_problems(path, label, name)
    for name in found.uncovered_tag_files:
        problems.append(Problem("B006", f"{label}/{name}", "",
                                "not covered by the tag manifests (this archive's packages "
                                "contain no other files): added or renamed after writing"))
    info = found.info
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


def _canonical_problems(path: Path, label: str, name: str) -> list[Problem]:
    algorithm = name.split("-", 1)[1][: -len(".txt")]
    try:
        data = (path / name).read_bytes()
    except OSError:
        return []  # reported as unreadable (B015) by the bag check
    reason = noncanonical_reason(data, algorithm)
    return [Problem("B021", f"{label}/{name}", "", reason)] if reason else []


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
