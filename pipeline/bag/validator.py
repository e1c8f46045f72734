"""Check one bag against RFC 8493, collecting every problem found.

Nothing in the bag is trusted: paths in manifests are checked before any
file is opened, links are never followed, and every payload file is read
once for all the algorithms of the manifests that list it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from ..records import Problem
from .manifest import HEX_LENGTHS, hash_file, manifest_algorithm, parse_manifest
from .paths import is_payload_path, unsafe_reason
from .tagfile import BAG_INFO_TXT, BAGIT_TXT, ParsedTags, bagit_txt_errors, parse_tags
from .tree import BagTree, scan_tree

_OXUM = re.compile(r"([0-9]+)\.([0-9]+)")


@dataclass(frozen=True)
class BagCheck:
    """Problems found in one bag, what was read, and its ``bag-info.txt``."""

    problems: tuple[Problem, ...]
    files_checked: int
    bytes_checked: int
    info: ParsedTags | None


class _Found:
    """Collects problems; file names are given relative to the bag and
    reported as ``<label>/<path>``."""

    def __init__(self, label: str):
        self.label = label
        self.problems: list[Problem] = []

    def add(self, code: str, path: str, message: str, pointer: str = "",
            severity: str = "error") -> None:
        file = f"{self.label}/{path}" if path else self.label
        self.problems.append(Problem(code, file, pointer, message, severity))  # type: ignore[arg-type]


@dataclass(frozen=True)
class _Manifest:
    name: str
    algorithm: str
    entries: Mapping[str, str]


def check_bag(root: Path, label: str) -> BagCheck:
    """Check the bag in *root*; problems name files as ``<label>/<path in bag>``."""
    found = _Found(label)
    if root.is_symlink():
        found.add("B007", "", "the bag folder is a symbolic link")
        return BagCheck(tuple(found.problems), 0, 0, None)
    if not root.is_dir():
        found.add("B001", "", "not a folder, so not a bag")
        return BagCheck(tuple(found.problems), 0, 0, None)

    tree = scan_tree(root)
    for path, reason in sorted(tree.unsafe.items()):
        found.add("B007", path, reason)
    for path, reason in sorted(tree.unreadable.items()):
        found.add("B015", path, f"cannot be read: {reason}")

    _check_bagit_txt(root, tree, found)
    info = _read_bag_info(root, tree, found)
    if "data" not in tree.folders:
        found.add("B002", "data", "payload folder data/ missing")
    if "fetch.txt" in tree.files:
        found.add("B012", "fetch.txt", "bag lists files to fetch; only complete bags are accepted")

    manifests = _read_manifests(root, tree, "manifest-", found)
    if not manifests:
        found.add("B011", "", "no payload manifest (manifest-<algorithm>.txt) that we can check")
    payload = {p: size for p, size in tree.files.items() if is_payload_path(p)}
    _compare_listing(manifests, payload, tree, found)
    files, octets = _check_payload_digests(root, manifests, payload, found)
    _check_oxum(info, payload, found)
    _check_tag_manifests(root, tree, found)

    problems = sorted(found.problems, key=lambda p: (p.file, p.pointer, p.code, p.message))
    return BagCheck(tuple(problems), files, octets, info)


def _read(root: Path, path: str, found: _Found, code: str = "B015") -> bytes | None:
    try:
        return (root / path).read_bytes()
    except OSError as exc:
        found.add(code, path, f"cannot be read: {exc.strerror or exc}")
        return None


def _check_bagit_txt(root: Path, tree: BagTree, found: _Found) -> None:
    if BAGIT_TXT not in tree.files:
        found.add("B001", BAGIT_TXT, "missing (every bag starts with bagit.txt)")
        return
    data = _read(root, BAGIT_TXT, found)
    for reason in bagit_txt_errors(data) if data is not None else ():
        found.add("B001", BAGIT_TXT, reason)


def _read_bag_info(root: Path, tree: BagTree, found: _Found) -> ParsedTags | None:
    if BAG_INFO_TXT not in tree.files:
        return None
    data = _read(root, BAG_INFO_TXT, found)
    if data is None:
        return None
    info = parse_tags(data)
    for line, reason in info.errors:
        found.add("B010", BAG_INFO_TXT, reason, pointer=f"line {line}" if line else "")
    return info


def _read_manifests(root: Path, tree: BagTree, prefix: str, found: _Found) -> list[_Manifest]:
    """Read the manifests at the bag root whose names start with *prefix*."""
    payload = prefix == "manifest-"
    line_code = "B008" if payload else "B006"
    manifests = []
    for name in sorted(p for p in tree.files if "/" not in p):
        alg = manifest_algorithm(name, prefix)
        if alg is None:
            continue
        if alg not in HEX_LENGTHS:
            found.add("B011", name, f"algorithm {alg!r} is not supported; not checked",
                      severity="warning")
            continue
        data = _read(root, name, found)
        if data is None:
            continue
        parsed = parse_manifest(data, alg)
        for line, reason in parsed.errors:
            found.add(line_code, name, reason, pointer=f"line {line}" if line else "")
        entries = {}
        for path, digest in parsed.entries.items():
            if reason := unsafe_reason(path):
                found.add("B007", name, f"lists unsafe path {path!r}: {reason}")
            elif payload and not is_payload_path(path):
                found.add("B008", name, f"lists {path!r}, which is not under data/")
            elif not payload and is_payload_path(path):
                found.add("B006", name, f"lists payload file {path!r}; it should list tag files only")
            elif not payload and manifest_algorithm(path, "tagmanifest-"):
                found.add("B006", name, f"lists tag manifest {path!r}; it must not")
            else:
                entries[path] = digest
        manifests.append(_Manifest(name, alg, entries))
    return manifests


def _compare_listing(manifests: list[_Manifest], payload: Mapping[str, int],
                     tree: BagTree, found: _Found) -> None:
    """Every payload file in every manifest; every listed file present."""
    listed = set().union(*(m.entries for m in manifests)) if manifests else set()
    for path in sorted(listed | set(payload)):
        inside = [m.name for m in manifests if path in m.entries]
        outside = [m.name for m in manifests if path not in m.entries]
        if path in payload:
            if outside and not inside:
                found.add("B003", path, f"unexpected file (not in {', '.join(outside)})")
            elif outside:
                found.add("B003", path, f"not listed in {', '.join(outside)} "
                                        f"(only in {', '.join(inside)})")
        elif path not in tree.unsafe and path not in tree.unreadable:
            found.add("B002", path, f"missing (listed in {', '.join(inside)})")


def _check_payload_digests(root: Path, manifests: list[_Manifest],
                           payload: Mapping[str, int], found: _Found) -> tuple[int, int]:
    files = octets = 0
    for path in sorted(payload):
        expected = {m.algorithm: m.entries[path] for m in manifests if path in m.entries}
        if not expected:
            continue
        try:
            actual = hash_file(root / path, expected)
        except OSError as exc:
            found.add("B015", path, f"cannot be read: {exc.strerror or exc}")
            continue
        files += 1
        octets += actual.size
        for alg in sorted(expected):
            if actual.digests[alg] != expected[alg]:
                found.add("B004", path, f"checksum mismatch ({alg}): expected "
                                        f"{expected[alg]}, found {actual.digests[alg]}")
    return files, octets


def _check_oxum(info: ParsedTags | None, payload: Mapping[str, int], found: _Found) -> None:
    values = info.values("Payload-Oxum") if info else []
    if not values:
        return
    if len(values) > 1:
        found.add("B010", BAG_INFO_TXT, "Payload-Oxum given more than once")
    match = _OXUM.fullmatch(values[0])
    if not match:
        found.add("B010", BAG_INFO_TXT, f"Payload-Oxum {values[0]!r} is not '<bytes>.<files>'")
        return
    octets, streams = int(match.group(1)), int(match.group(2))
    actual = (sum(payload.values()), len(payload))
    if (octets, streams) != actual:
        found.add("B005", BAG_INFO_TXT, f"Payload-Oxum says {octets} bytes in {streams} files; "
                                        f"data/ holds {actual[0]} bytes in {actual[1]} files")


def _check_tag_manifests(root: Path, tree: BagTree, found: _Found) -> None:
    manifests = _read_manifests(root, tree, "tagmanifest-", found)
    must_cover = [BAGIT_TXT, BAG_INFO_TXT] + [
        p for p in tree.files if "/" not in p and manifest_algorithm(p, "manifest-")
    ]
    for manifest in manifests:
        for path in sorted(p for p in must_cover if p in tree.files):
            if path not in manifest.entries:
                found.add("B006", path, f"not covered by {manifest.name}")
    listed = sorted(set().union(*(m.entries for m in manifests)) if manifests else set())
    for path in listed:
        expected = {m.algorithm: m.entries[path] for m in manifests if path in m.entries}
        if path not in tree.files:
            if path not in tree.unsafe and path not in tree.unreadable:
                names = ", ".join(m.name for m in manifests if path in m.entries)
                found.add("B006", path, f"missing (listed in {names})")
            continue
        try:
            actual = hash_file(root / path, expected)
        except OSError as exc:
            found.add("B015", path, f"cannot be read: {exc.strerror or exc}")
            continue
        for alg in sorted(expected):
            if actual.digests[alg] != expected[alg]:
                found.add("B006", path, f"checksum mismatch ({alg}): expected "
                                        f"{expected[alg]}, found {actual.digests[alg]}")
