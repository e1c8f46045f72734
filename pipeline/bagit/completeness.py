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
from pipeline.bagit.versions import CURRENT, BagItVersion
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
    if not tree.unsafe:
        return None  # the usual bag: nothing unsafe to pass through
    parts = path.split("/")
    for end in range(1, len(parts)):
        prefix = "/".join(parts[:end])
        if prefix in tree.unsafe:
            return prefix
    return None


def read_manifests(root: Path, tree: BagTree, prefix: str, found: Findings, *,
                   version: BagItVersion = CURRENT, encoding: str = "utf-8") -> list[Manifest]:
    """Read the manifests at the bag root whose names start with *prefix*,
    by the rules of *version*, in the declared *encoding*."""
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
        parsed = parse_manifest(data, alg, version=version, encoding=encoding)
        if parsed.base64:
            found.add("B023", name, f"checksums in base64 on {len(parsed.base64)} line(s) (BagIt "
                                    f"{version.number} says base64; 1.0 requires hex); read",
                      pointer=line_pointer(parsed.base64[0]), severity="warning")
        for line, reason in parsed.errors:
            found.add(line_code, name, reason, pointer=line_pointer(line))
        for line, path in parsed.duplicates:
            found.add("B016", name, f"{path!r} is listed again (a path is listed once "
                                    "per manifest)", pointer=line_pointer(line))
        for line, path in parsed.starred:
            found.add("B017", name, f"'*' before {path!r} (md5sum binary mode) is not "
                                    "BagIt; read as the path after it", line_pointer(line),
                      severity="warning")
        strict = "25" in version.path_escapes
        for line, path in parsed.bare_percent:
            found.add(line_code if strict else "B023", name,
                      f"{path!r} has a '%' that is not encoded as %25 (BagIt 1.0 requires it; "
                      f"{'' if strict else version.number + ' does not; '}read literally)",
                      pointer=line_pointer(line), severity="error" if strict else "warning")
        entries = {}
        for path, digest in parsed.entries.items():
            if reason := unsafe_reason(path):
                found.add("B007", name, f"lists unsafe path {path!r}: {reason}")
            elif link := linked_ancestor(path, tree):
                found.add("B007", name, f"lists {path!r}, which is reached through "
                                        f"{link!r} ({tree.unsafe[link]}); not followed")
            elif payload and not is_payload_path(path) and version.tags_in_payload_manifest:
                found.add("B023", name, f"lists tag file {path!r} (BagIt {version.number} allows "
                                        "it; 1.0 lists payload files only); checked as a tag file",
                          severity="warning")
                entries[path] = digest
            elif payload and not is_payload_path(path):
                found.add("B008", name, f"lists {path!r}, which is not under data/")
            elif not payload and is_payload_path(path):
                found.add("B006", name, f"lists payload file {path!r}; it should list tag files only")
            else:
                entries[path] = digest
        manifests.append(Manifest(name, alg, entries))
    return manifests


def compare_listing(manifests: Sequence[Manifest], payload: Mapping[str, int],
                    tree: BagTree, pending: Iterable[str], found: Findings,
                    version: BagItVersion = CURRENT) -> None:
    """Every payload file in every manifest (in at least one, for 0.95–0.97);
    every listed file present (or, if *pending*, still to be fetched: reported
    as incomplete elsewhere)."""
    listed = set().union(*(m.entries for m in manifests)) if manifests else set()
    waiting = set(pending)
    for path in sorted(listed | set(payload)):
        inside = [m.name for m in manifests if path in m.entries]
        outside = [m.name for m in manifests if path not in m.entries]
        if path in payload:
            if outside and not inside:
                found.add("B003", path, f"unexpected file (not in {', '.join(outside)})")
            elif outside and version.every_manifest_lists_every_file:
                found.add("B003", path, f"not listed in {', '.join(outside)} "
                                        f"(only in {', '.join(inside)})")
            elif outside:
                found.add("B023", path, f"not listed in {', '.join(outside)} (only in "
                                        f"{', '.join(inside)}): BagIt {version.number} needs one "
                                        "manifest, 1.0 every one", severity="warning")
        elif path in waiting:
            continue
        elif path not in tree.unsafe and path not in tree.unreadable:
            found.add("B002", path, f"missing (listed in {', '.join(inside)})")
    for group, reason in portability_hazards(set(payload) | listed):
        for path in group:
            others = ", ".join(repr(p) for p in group if p != path)
            found.add("B018", path, f"this name and {others} {reason}: copied to Windows "
                                    "or macOS, one would overwrite the other", severity="warning")


def check_tag_listing(manifests: Sequence[Manifest], tree: BagTree, found: Findings,
                      version: BagItVersion = CURRENT) -> tuple[tuple[str, str], ...]:
    """Tag manifests list every payload manifest (BagIt 1.0), and what they list exists.

    Returns ``(tag file, tag manifest)`` for each tag file that a tag manifest
    does not list (``tag manifest`` is ``""`` when there is none at all):
    RFC 8493 says each tag manifest SHOULD list every tag file, ``bagit.txt``
    and the bag-info file among them; our own packages must, see
    :mod:`pipeline.verify`.
    """
    payload_manifests = [p for p in tree.files if "/" not in p and manifest_algorithm(p, "manifest-")]
    required = payload_manifests if version.tag_manifests_list_manifests else []
    for manifest in manifests:
        for path in sorted(required):
            if path not in manifest.entries:
                found.add("B006", path, f"not covered by {manifest.name}")
    listed = set().union(*(m.entries for m in manifests)) if manifests else set()
    for path in sorted(listed):
        if path not in tree.files and path not in tree.unsafe and path not in tree.unreadable:
            names = ", ".join(m.name for m in manifests if path in m.entries)
            found.add("B006", path, f"missing (listed in {names})")
    tag_files = sorted(p for p in tree.files if not is_payload_path(p) and p not in required
                       and not ("/" not in p and manifest_algorithm(p, "tagmanifest-")))
    if not manifests:
        return tuple((path, "") for path in tag_files)
    return tuple((path, m.name) for path in tag_files for m in manifests if path not in m.entries)
