"""What only BagIt 0.93 and 0.94 had: tag files listed in the payload manifest,
and tag checksum files.

0.93 and 0.94 (draft-kunze-bagit-00, -01) let a payload manifest list tag
files ("Any tag (top-level) FILENAME may optionally appear in a manifest"),
and record a tag file's checksum in a one-line *tag checksum file* named
``<tag file>.<algorithm>`` (``manifest-sha1.txt.md5``). Both are read here as
tag manifests, so their checksums are verified like any other; 0.95 replaced
them with ``tagmanifest-<algorithm>.txt``.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Sequence

from pipeline.bagit.findings import Findings, line_pointer
from pipeline.bagit.completeness import Manifest, read_file
from pipeline.bagit.manifest import HEX_LENGTHS, parse_manifest
from pipeline.bagit.paths import is_payload_path
from pipeline.bagit.disk import BagTree
from pipeline.bagit.versions import BagItVersion


def split_tag_entries(manifests: Sequence[Manifest]) -> tuple[list[Manifest], list[Manifest]]:
    """Payload manifests with their payload entries only, and the tag entries
    some of them list (0.93, 0.94) as tag manifests of the same name."""
    payload, tags = [], []
    for manifest in manifests:
        tag_entries = {p: d for p, d in manifest.entries.items() if not is_payload_path(p)}
        payload.append(replace(manifest, entries={p: d for p, d in manifest.entries.items()
                                                  if is_payload_path(p)}))
        if tag_entries:
            tags.append(replace(manifest, entries=tag_entries))
    return payload, tags


def tag_checksum_files(root: Path, tree: BagTree, version: BagItVersion, encoding: str,
                       found: Findings) -> list[Manifest]:
    """The ``<tag file>.<algorithm>`` files of a 0.93 or 0.94 bag, as one-entry manifests."""
    if not version.tag_checksum_files:
        return []
    out = []
    for name in sorted(p for p in tree.files if "/" not in p):
        tagged, dot, alg = name.rpartition(".")
        if not dot or alg not in HEX_LENGTHS or tagged not in tree.files:
            continue
        data = read_file(root, name, found)
        if data is None:
            continue
        parsed = parse_manifest(data, alg, version=version, encoding=encoding)
        for line, reason in parsed.errors:
            found.add("B006", name, reason, pointer=line_pointer(line))
        if set(parsed.entries) != {tagged}:
            found.add("B006", name, f"a tag checksum file lists exactly its tag file "
                                    f"{tagged!r}; found {sorted(parsed.entries)}")
            continue
        out.append(Manifest(name, alg, dict(parsed.entries)))
    return out
