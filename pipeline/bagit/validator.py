"""Check one bag against the BagIt version it declares, collecting every problem found.

RFC 8493 for 1.0, the Internet-Drafts for 0.93–0.97 (:mod:`.versions` holds
their rules). What the bag's version allows but 1.0 would reject is a
warning (B023); a bag with files still to fetch (fetch.txt) is reported
incomplete (B024, a warning, each missing file named) and what is present is
checked as usual.

Three modes, as archivists know them from other BagIt tools:

- ``fast``: structure and ``Payload-Oxum`` only (number of payload files
  and octets against what is on disk); no manifest is read, nothing hashed.
- ``completeness-only``: a *complete* bag (RFC 8493 §3): ``bagit.txt``,
  ``data/``, every payload file in every payload manifest, every listed file
  present, ``fetch.txt`` satisfied; nothing hashed.
- ``full`` (the default): a *valid* bag: complete, and every checksum of
  every payload manifest and tag manifest verified.

Nothing in the bag is trusted: paths in manifests are checked before any
file is opened, links are never followed, and every file is read once for
all the algorithms of the manifests that list it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from pipeline.core.records import Problem
from pipeline.bagit.digests import check_digests
from pipeline.bagit.fetch import FETCH_TXT, FetchEntry, parse_fetch
from pipeline.bagit.findings import Findings, line_pointer
from pipeline.bagit.legacy import split_tag_entries, tag_checksum_files
from pipeline.bagit.completeness import Manifest, check_tag_listing, compare_listing, read_file, read_manifests
from pipeline.bagit.paths import is_payload_path, unsafe_reason
from pipeline.bagit.tagfile import (
    BAG_INFO_TXT, BAGIT_TXT, PACKAGE_INFO_TXT, Declaration, ParsedTags, parse_tags, read_declaration,
)
from pipeline.bagit.disk import BagTree, Identity, scan_tree
from pipeline.bagit.shared_digests import SharedDigests
from pipeline.bagit.versions import CURRENT, BagItVersion

FULL, COMPLETENESS, FAST = "full", "completeness-only", "fast"
MODES = (FULL, COMPLETENESS, FAST)

_OXUM = re.compile(r"([0-9]+)\.([0-9]+)")


@dataclass(frozen=True)
class BagCheck:
    """Problems found in one bag, what was read, and its bag-info file.

    ``files_checked``/``bytes_checked`` count payload files hashed (full mode)
    or, in the other modes, found and measured. ``uncovered_tag_files`` are tag
    files that no tag manifest lists (RFC 8493 allows them);
    ``tag_manifest_gaps`` are ``(tag file, tag manifest)`` for a tag file that
    one tag manifest lists and another does not. ``to_fetch`` are the payload
    files fetch.txt lists that are not there yet: the bag is incomplete, and
    what is present was checked as usual.
    """

    problems: tuple[Problem, ...]
    files_checked: int
    bytes_checked: int
    info: ParsedTags | None
    version: str | None = None
    uncovered_tag_files: tuple[str, ...] = ()
    tag_manifest_gaps: tuple[tuple[str, str], ...] = ()
    to_fetch: tuple[str, ...] = ()


def check_bag(root: Path, label: str, *, mode: str = FULL,
              shared: SharedDigests | None = None) -> BagCheck:
    """Check the bag in *root* by the rules of the BagIt version it declares
    (see :mod:`.versions`); problems name files as ``<label>/<path in bag>``.
    *shared* keeps digests of files already read in this run (:mod:`.shared_digests`)."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
    found = Findings(label)
    if root.is_symlink():
        found.add("B007", "", "the bag folder is a symbolic link")
        return BagCheck(found.sorted(), 0, 0, None)
    if not root.is_dir():
        found.add("B001", "", "not a folder, so not a bag")
        return BagCheck(found.sorted(), 0, 0, None)

    if shared is not None and mode == FULL:
        # hashed in its processes, if any, while we go on listing and parsing;
        # not the tag manifests, which no manifest lists
        def listed(path: str, identity: Identity) -> None:
            if not path.startswith("tagmanifest-"):
                shared.expect_file(root, path, identity)
        tree = scan_tree(root, listed)
        shared.flush()
    else:
        tree = scan_tree(root)
    for path, reason in sorted(tree.unsafe.items()):
        found.add("B007", path, reason)
    for path, reason in sorted(tree.unreadable.items()):
        found.add("B015", path, f"cannot be read: {reason}")

    declaration = _check_bagit_txt(root, tree, found)
    rules = declaration.rules if declaration else CURRENT
    encoding = declaration.encoding if declaration else "utf-8"
    version = declaration.version if declaration else None
    info = _read_bag_info(root, tree, found, rules, encoding)
    if "data" not in tree.folders:
        found.add("B002", "data", "payload folder data/ missing")
    payload = {p: size for p, size in tree.files.items() if is_payload_path(p)}
    fetch = _read_fetch(root, tree, found, rules, encoding)
    pending = _check_fetch(fetch, payload, tree, found)
    to_fetch = tuple(sorted(pending))
    _check_oxum(info, payload, bool(pending), found, required=mode == FAST)
    if mode == FAST:
        return BagCheck(found.sorted(), len(payload), sum(payload.values()), info, version,
                        to_fetch=to_fetch)

    listed = read_manifests(root, tree, "manifest-", found, version=rules, encoding=encoding)
    manifests, tags_listed = split_tag_entries(listed)
    if not manifests:
        found.add("B011", "", "no payload manifest (manifest-<algorithm>.txt) that we can check")
    _check_fetch_listed(fetch, manifests, found, rules)
    compare_listing(manifests, payload, tree, pending, found, rules)
    tag_manifests = read_manifests(root, tree, "tagmanifest-", found, version=rules, encoding=encoding)
    if not rules.tag_manifests:
        for manifest in tag_manifests:
            found.add("B023", manifest.name, f"tag manifests came with BagIt 0.95; in this "
                                             f"{rules.number} bag it is checked all the same",
                      severity="warning")
    gaps = check_tag_listing(tag_manifests, tree, found, rules)
    uncovered, partial = _coverage(gaps, len(tag_manifests))
    if tag_manifests:
        for path in uncovered:
            found.add("B020", path, "not covered by any tag manifest, so changes to it "
                                    "cannot be detected", severity="warning")
        for path, name in partial:
            found.add("B020", path, f"not covered by {name} (RFC 8493: every tag manifest "
                                    "should list the same files)", severity="warning")
    tag_manifests += tags_listed + tag_checksum_files(root, tree, rules, encoding, found)
    if mode == COMPLETENESS:
        present = [p for p in payload if any(p in m.entries for m in manifests)]
        return BagCheck(found.sorted(), len(present), sum(payload[p] for p in present),
                        info, version, uncovered, partial, to_fetch)
    files, octets = check_digests(root, manifests, payload, "B004", found, shared)
    tags = {p: size for p, size in tree.files.items() if not is_payload_path(p)}
    check_digests(root, tag_manifests, tags, "B006", found, shared)
    return BagCheck(found.sorted(), files, octets, info, version, uncovered, partial, to_fetch)


def _coverage(gaps: tuple[tuple[str, str], ...], manifests: int,
              ) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """Split gaps into files no tag manifest lists and files only some list."""
    missing: dict[str, list[str]] = {}
    for path, name in gaps:
        missing.setdefault(path, []).append(name)
    uncovered = tuple(p for p, names in missing.items() if len(names) >= max(1, manifests))
    return uncovered, tuple((p, n) for p, n in gaps if p not in uncovered)


def _check_bagit_txt(root: Path, tree: BagTree, found: Findings) -> Declaration | None:
    if BAGIT_TXT not in tree.files:
        found.add("B001", BAGIT_TXT, "missing (every bag starts with bagit.txt)")
        return None
    data = read_file(root, BAGIT_TXT, found)
    if data is None:
        return None
    declaration = read_declaration(data)
    for reason in declaration.errors:
        found.add("B001", BAGIT_TXT, reason)
    for reason in declaration.warnings:
        found.add("B023", BAGIT_TXT, reason, severity="warning")
    return declaration


def _read_bag_info(root: Path, tree: BagTree, found: Findings, rules: BagItVersion,
                   encoding: str) -> ParsedTags | None:
    name = rules.info_file  # package-info.txt before 0.96
    other = BAG_INFO_TXT if name != BAG_INFO_TXT else PACKAGE_INFO_TXT
    if other in tree.files:
        found.add("B023", other, f"BagIt {rules.number} names this file {name}; {other} is "
                                 "read as an ordinary tag file", severity="warning")
    if name not in tree.files:
        return None
    data = read_file(root, name, found)
    if data is None:
        return None
    info = parse_tags(data, version=rules, encoding=encoding)
    for line, reason in info.errors:
        found.add("B010", name, reason, pointer=line_pointer(line))
    for line, reason in info.warnings:
        found.add("B023", name, reason, pointer=line_pointer(line), severity="warning")
    return info


def _read_fetch(root: Path, tree: BagTree, found: Findings, rules: BagItVersion,
                encoding: str) -> tuple[FetchEntry, ...]:
    if FETCH_TXT not in tree.files:
        return ()
    data = read_file(root, FETCH_TXT, found)
    if data is None:
        return ()
    parsed = parse_fetch(data, version=rules, encoding=encoding)
    for line, reason in parsed.errors:
        found.add("B019", FETCH_TXT, reason, pointer=line_pointer(line))
    return parsed.entries


def _check_fetch(entries: tuple[FetchEntry, ...], payload: Mapping[str, int],
                 tree: BagTree, found: Findings) -> set[str]:
    """Entries must name safe payload paths; return those not yet fetched."""
    pending = set()
    for entry in entries:
        where = line_pointer(entry.line)
        if reason := unsafe_reason(entry.path):
            found.add("B007", FETCH_TXT, f"lists unsafe path {entry.path!r}: {reason}", where)
        elif not is_payload_path(entry.path):
            found.add("B019", FETCH_TXT, f"lists {entry.path!r}, which is not under data/ "
                                         "(only payload files may be fetched)", where)
        elif entry.path in payload:
            size = payload[entry.path]
            if entry.length is not None and entry.length != size:
                found.add("B019", entry.path, f"fetch.txt says {entry.length} bytes, the file "
                                              f"has {size}: fetched incompletely or altered", where)
        elif entry.path not in tree.unsafe and entry.path not in tree.unreadable:
            pending.add(entry.path)
            size = "" if entry.length is None else f", {entry.length} bytes"
            found.add("B024", entry.path, f"not yet fetched (fetch.txt lists it from "
                                          f"{entry.url}{size}): the bag is incomplete; what is "
                                          "present was checked", where, severity="warning")
    return pending


def _check_fetch_listed(entries: tuple[FetchEntry, ...], manifests: list[Manifest],
                        found: Findings, rules: BagItVersion) -> None:
    """A fetched file must be in every payload manifest (1.0), in one (before)."""
    for entry in entries:
        missing = [m.name for m in manifests if entry.path not in m.entries]
        if not rules.every_manifest_lists_every_file and len(missing) < len(manifests):
            continue
        if is_payload_path(entry.path) and not unsafe_reason(entry.path) and missing:
            found.add("B019", FETCH_TXT, f"lists {entry.path!r}, which is not in "
                                         f"{', '.join(missing)}", line_pointer(entry.line))


def _check_oxum(info: ParsedTags | None, payload: Mapping[str, int], incomplete: bool,
                found: Findings, *, required: bool) -> None:
    values = info.values("Payload-Oxum") if info else []
    if not values:
        if required:
            found.add("B022", BAG_INFO_TXT, "no Payload-Oxum, so a fast check is impossible; "
                                            "check with --completeness-only or in full")
        return
    if len(values) > 1:
        found.add("B010", BAG_INFO_TXT, "Payload-Oxum given more than once")
    match = _OXUM.fullmatch(values[0])
    if not match:
        found.add("B010", BAG_INFO_TXT, f"Payload-Oxum {values[0]!r} is not '<bytes>.<files>'")
        return
    if incomplete:
        return  # the Oxum counts the complete payload; B012 already says what is missing
    octets, streams = int(match.group(1)), int(match.group(2))
    actual = (sum(payload.values()), len(payload))
    if (octets, streams) != actual:
        found.add("B005", BAG_INFO_TXT, f"Payload-Oxum says {octets} bytes in {streams} files; "
                                        f"data/ holds {actual[0]} bytes in {actual[1]} files")
