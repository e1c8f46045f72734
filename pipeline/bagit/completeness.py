"""Completeness (RFC 8493 §3): manifests read, and compared with what is on disk.

No file is hashed here. A path in a manifest is checked before it is used:
unsafe paths (absolute, ``..``) and paths that reach through a symbolic link
are reported and never looked up.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from pipeline.bagit.findings import Findings, line_pointer
from pipeline.bagit.manifest import HEX_LENGTHS, manifest_algorithm, parse_manifest
from pipeline.bagit.paths import is_payload_path, unsafe_reason
from pipeline.bagit.paths import portability_hazards
from pipeline.bagit.tagfile import BAG_INFO_TXT, BAGIT_TXT
from pipeline.bagit.disk import BagTree


@dataclass(frozen=True)
class Manifest:
    name: str
    algorithm: str
    entries: Mapping[str, str]


def read_file(root: Path, path: str, found: Findings) -> bytes | None:
    try:
        return (root / path).read_bytes()
    except OSError as exc:
        found.add("B015", path, f"cannot be read: {exc.strerror or exc}")
        return None


def linked_ancestor(path: str, tree: BagTree) -> str | None:
    """The folder of *path* that is a symbolic link (or other unsafe entry), if any."""
    parts = path.split("/")
    for end in range(1, len(parts)):
        prefix = "/".join(parts[:end])
        if prefix in tree.unsafe:
            return prefix
    return None


def read_manifests(root: Path, tree: BagTree, prefix: str, found: Findings,
                   *, legacy: bool) -> list[Manifest]:
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
        data = read_file(root, name, found)
        if data is None:
            continue
        parsed = parse_manifest(data, alg, legacy=legacy)
        for line, reason in parsed.errors:
            found.add(line_code, name, reason, pointer=line_pointer(line))
        for line, path in parsed.duplicates:
            found.add("B016", name, f"{path!r} is listed again (a path is listed once "
                                    "per manifest)", pointer=line_pointer(line))
        for line, path in parsed.starred:
            found.add("B017", name, f"'*' before {path!r} (md5sum binary mode) is not "
                                    "BagIt; read as the path after it", line_pointer(line),
                      severity="warning")
        for line, path in parsed.bare_percent:
            found.add(line_code, name, f"{path!r} has a '%' that is not encoded as %25 "
                                       "(BagIt 1.0 requires it); read literally",
                      pointer=line_pointer(line))
        entries = {}
        for path, digest in parsed.entries.items():
            if reason := unsafe_reason(path):
                found.add("B007", name, f"lists unsafe path {path!r}: {reason}")
            elif link := linked_ancestor(path, tree):
                found.add("B007", name, f"lists {path!r}, which is reached through "
                                        f"{link!r} ({tree.unsafe[link]}); not followed")
            elif payload and not is_payload_path(path):
                found.add("B008", name, f"lists {path!r}, which is not under data/")
            elif not payload and is_payload_path(path):
                found.add("B006", name, f"lists payload file {path!r}; it should list tag files only")
            else:
                entries[path] = digest
        manifests.append(Manifest(name, alg, entries))
    return manifests


def compare_listing(manifests: Sequence[Manifest], payload: Mapping[str, int],
                    tree: BagTree, pending: Iterable[str], found: Findings) -> None:
    """Every payload file in every manifest; every listed file present
    (or, if *pending*, still to be fetched: reported as incomplete elsewhere)."""
    listed = set().union(*(m.entries for m in manifests)) if manifests else set()
    waiting = set(pending)
    for path in sorted(listed | set(payload)):
        inside = [m.name for m in manifests if path in m.entries]
        outside = [m.name for m in manifests if path not in m.entries]
        if path in payload:
            if outside and not inside:
                found.add("B003", path, f"unexpected file (not in {', '.join(outside)})")
            elif outside:
                found.add("B003", path, f"not listed in {', '.join(outside)} "
                                        f"(only in {', '.join(inside)})")
        elif path in waiting:
            continue
        elif path not in tree.unsafe and path not in tree.unreadable:
            found.add("B002", path, f"missing (listed in {', '.join(inside)})")
    for group, reason in portability_hazards(set(payload) | listed):
        for path in group:
            others = ", ".join(repr(p) for p in group if p != path)
            found.add("B018", path, f"this name and {others} {reason}: copied to Windows "
                                    "or macOS, one would overwrite the other", severity="warning")


def check_tag_listing(manifests: Sequence[Manifest], tree: BagTree,
                      found: Findings) -> tuple[str, ...]:
    """Tag manifests cover the tag files we rely on, and what they list exists.

    Returns the other tag files no tag manifest covers (RFC 8493 allows them;
    our own packages do not, see :mod:`pipeline.verify`).
    """
    must_cover = [BAGIT_TXT, BAG_INFO_TXT] + [
        p for p in tree.files if "/" not in p and manifest_algorithm(p, "manifest-")
    ]
    for manifest in manifests:
        for path in sorted(p for p in must_cover if p in tree.files):
            if path not in manifest.entries:
                found.add("B006", path, f"not covered by {manifest.name}")
    listed = set().union(*(m.entries for m in manifests)) if manifests else set()
    for path in sorted(listed):
        if path not in tree.files and path not in tree.unsafe and path not in tree.unreadable:
            names = ", ".join(m.name for m in manifests if path in m.entries)
            found.add("B006", path, f"missing (listed in {names})")
    tag_files = [p for p in tree.files if not is_payload_path(p)
                 and not ("/" not in p and manifest_algorithm(p, "tagmanifest-"))]
    if manifests:  # those we rely on were reported above when not covered
        tag_files = [p for p in tag_files if p not in must_cover]
    return tuple(sorted(p for p in tag_files if p not in listed))
