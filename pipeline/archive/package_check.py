"""One package of this archive, checked on its own: RFC 8493 plus our stricter rules.

Shared by the verify stage (every package, then the chain between them) and
by submit (the newest package, just before sending it). Our rules are
stricter than RFC 8493 where a change could otherwise go unseen: a package
has a manifest and a tag manifest for every algorithm we write, every tag
file is covered by the tag manifests, every manifest is in the exact form our
writer produces (see :mod:`pipeline.bagit.manifest`), and ``bag-info.txt``
names the package, its group and version. Bags from elsewhere are checked
against the BagIt version they declare alone (see :mod:`pipeline.bagit.versions`).
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from typing import Mapping, Sequence

from pipeline.archive.folder import PackageName, parse_package_name
from pipeline.bagit.manifest import noncanonical_reason
from pipeline.bagit.manifest import WRITTEN_ALGORITHMS, hash_stream, parse_manifest
from pipeline.bagit.paths import unsafe_reason
from pipeline.bagit.shared_digests import SharedDigests
from pipeline.bagit.tagfile import BAG_INFO_TXT, BAGIT_TXT, ParsedTags, format_bagit_txt, parse_tags
from pipeline.bagit.validator import COMPLETENESS, FAST, FULL, BagCheck, check_bag
from pipeline.core.records import PackageVerification, Problem

TAGMANIFEST = "tagmanifest-sha256.txt"
MANIFESTS = tuple(f"{kind}-{alg}.txt" for kind in ("manifest", "tagmanifest")
                  for alg in WRITTEN_ALGORITHMS)
REQUIRED_TAG_FILES = (BAG_INFO_TXT, *MANIFESTS)
#: What a build reads to say that nothing changed since a package, so what its tag manifests must cover.
ANSWER_TAG_FILES = frozenset((BAG_INFO_TXT, *(f"manifest-{alg}.txt" for alg in WRITTEN_ALGORITHMS)))


def verify_bag(path: Path, *, label: str | None = None, mode: str = FULL,
               package_rules: bool | None = None,
               shared: SharedDigests | None = None) -> PackageVerification:
    """Check one bag on its own (no version chain).

    Problems name files as ``<label>/<path in bag>``; *label* defaults to the
    folder name. With *package_rules* the bag is also held to this archive's
    own rules; by default, when the folder is named like a package.
    """
    label = label or path.name
    parsed = parse_package_name(path.name)
    if package_rules is None:
        package_rules = parsed is not None
    ours = package_rules and path.is_dir() and not path.is_symlink()
    canonical = {}
    if ours and mode != FAST and shared is not None:  # read beside the bag check, in the pool if any
        canonical = {name: shared.run_aside(_canonical_problems, path, label, name) for name in REQUIRED_TAG_FILES}
    found = check_bag(path, label, mode=mode, shared=shared)
    problems = list(found.problems)
    if ours:
        # What other bags may do (with a warning), our packages may not.
        problems = [q for p in problems if (q := _as_package_problem(p, label)) is not None]
        problems += _policy_problems(path, label, parsed, found, mode,
                                     {name: done.result() for name, done in canonical.items()})
    return PackageVerification(
        name=label,
        path=path,
        group=parsed.group if parsed else "",
        version=parsed.version if parsed else 0,
        problems=sorted_problems(problems),
        files_checked=found.files_checked,
        bytes_checked=found.bytes_checked,
    )


def _policy_problems(path: Path, label: str, parsed: PackageName | None,
                     found: BagCheck, mode: str, canonical: Mapping[str, list[Problem]]) -> list[Problem]:
    """Our rules on top of RFC 8493: the tag files and bag-info fields we rely
    on, full tag-manifest coverage, and manifests in our writer's form
    (*canonical*: those problems per tag file, where already looked for)."""
    problems = []
    for name in REQUIRED_TAG_FILES:
        if not (path / name).is_file() or (path / name).is_symlink():
            code = ("B010" if name == BAG_INFO_TXT
                    else "B006" if name.startswith("tagmanifest-") else "B011")
            problems.append(Problem(code, f"{label}/{name}", "",
                                    "missing (every package of this archive has one)"))
        elif mode != FAST:
            problems += canonical[name] if name in canonical else _canonical_problems(path, label, name)
    for name in found.uncovered_tag_files:
        problems.append(Problem("B006", f"{label}/{name}", "",
                                "not covered by the tag manifests (this archive's packages "
                                "contain no other files): added or renamed after writing"))
    for name, manifest in found.tag_manifest_gaps:
        problems.append(Problem("B006", f"{label}/{name}", "", f"not covered by {manifest} "
                                "(every tag manifest of this archive lists every tag file)"))
    if mode != FAST and (path / BAGIT_TXT).is_file() and not (path / BAGIT_TXT).is_symlink():
        try:
            declared = (path / BAGIT_TXT).read_bytes()
        except OSError:
            declared = None  # reported as unreadable (B015) by the bag check
        if declared is not None and declared != format_bagit_txt():
            problems.append(Problem("B001", f"{label}/{BAGIT_TXT}", "", "not the two lines this "
                                    "archive writes ('BagIt-Version: 1.0', 'Tag-File-Character-"
                                    "Encoding: UTF-8', each ended by LF): edited after writing"))
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


#: For our packages, a warning of the general reader becomes this error.
_PACKAGE_ERRORS = {"B024": "B012"}


def _as_package_problem(problem: Problem, label: str) -> Problem | None:
    """A general reader's finding, as our own packages' rules judge it.

    B020 (tag file not tag-manifested) is dropped: the policy reports it as
    B006. A file to fetch is an error (we never write fetch.txt); what only an
    older BagIt version allows (B023) is an error in the file it is about.
    """
    if problem.code == "B020":
        return None
    if problem.code in _PACKAGE_ERRORS:
        return dataclasses.replace(problem, code=_PACKAGE_ERRORS[problem.code], severity="error")
    if problem.code == "B023":
        name = problem.file[len(label) + 1:]
        code = {BAGIT_TXT: "B001", BAG_INFO_TXT: "B010"}.get(name, "B008")
        return dataclasses.replace(problem, code=code, severity="error",
                                   message=problem.message + " (not allowed in this archive's packages)")
    return problem


def _canonical_problems(path: Path, label: str, name: str) -> list[Problem]:
    algorithm = name.split("-", 1)[1][: -len(".txt")]
    try:
        data = (path / name).read_bytes()
    except OSError:
        return []  # reported as unreadable (B015) by the bag check
    reason = noncanonical_reason(data, algorithm)
    return [Problem("B021", f"{label}/{name}", "", reason)] if reason else []


def bag_info(path: Path) -> ParsedTags | None:
    info_path = path / BAG_INFO_TXT
    if path.is_symlink() or info_path.is_symlink() or not info_path.is_file():
        return None
    try:
        return parse_tags(info_path.read_bytes())
    except OSError:
        return None


def sorted_problems(problems: Sequence[Problem]) -> tuple[Problem, ...]:
    return tuple(sorted(set(problems), key=lambda p: (p.file, p.pointer, p.code, p.message)))


def check_newest_unaltered(path: Path) -> tuple[Problem, ...]:
    """The errors that stop a build from saying that nothing changed since *path*.

    Its files by count and size (Payload-Oxum: a payload file gone, added, or
    grown shows here) and every tag file against the tag manifests (so the
    manifests and index the answer is read from are the ones written), from a
    walk that reads no payload file and parses no payload manifest. Before a
    version is chained to *path*, :func:`form_problems` checks the rest; when
    the tag manifests do not cover the files the answer rests on, it is
    checked here too. Neither hashes the payload, so a build stays fast.
    """
    fast = verify_bag(path, mode=FAST, package_rules=False)
    problems, covered = tag_file_problems(path)
    problems += [p for p in fast.problems if p.severity == "error"]
    if not ANSWER_TAG_FILES <= covered:
        problems += form_problems(path)
    return sorted_problems(problems)


def form_problems(path: Path) -> list[Problem]:
    """The errors of *path*'s form that no tag manifest can show: each listed
    file there by name, no file unlisted, our rules (the whole bag check, no payload hashed)."""
    return [p for p in verify_bag(path, mode=COMPLETENESS, package_rules=True).problems if p.severity == "error"]


def tag_file_problems(path: Path) -> tuple[list[Problem], set[str]]:
    """B004 for each tag file of *path* whose digest is not the one its tag
    manifests give, and the tag files they cover (none when no tag manifest can be read)."""
    problems, covered = [], set()
    label = path.name
    for algorithm in WRITTEN_ALGORITHMS:
        name = f"tagmanifest-{algorithm}.txt"
        try:
            parsed = parse_manifest((path / name).read_bytes(), algorithm)
        except OSError:
            continue  # reported missing or unreadable by the bag check
        for tag_file, expected in sorted(parsed.entries.items()):
            if unsafe_reason(tag_file) or (path / tag_file).is_symlink():
                continue  # reported as unsafe by the bag check
            try:
                actual = hashlib.new(algorithm, (path / tag_file).read_bytes()).hexdigest()
            except OSError:
                continue
            covered.add(tag_file)
            if actual != expected.lower():
                problems.append(Problem("B004", f"{label}/{tag_file}", "",
                                        f"{algorithm} does not match {name}: altered after it was written"))
    return problems, covered


def payload_digest_problems(path: Path, expected: dict[str, str]) -> list[Problem]:
    """B004 for each payload file of *path* whose SHA-256 is not *expected* (bag path →
    hex): the files a new version carries over unchanged, checked before it is chained."""
    problems = []
    for bag_path, digest in sorted(expected.items()):
        try:
            with open(path / bag_path, "rb") as stream:
                actual = hash_stream(stream, ("sha256",)).digests["sha256"]
        except OSError as exc:
            problems.append(Problem("B015", f"{path.name}/{bag_path}", "", f"cannot be read: {exc.strerror or exc}"))
            continue
        if actual != digest:
            problems.append(Problem("B004", f"{path.name}/{bag_path}", "",
                                    "sha256 does not match the manifest: altered after it was written"))
    return problems
