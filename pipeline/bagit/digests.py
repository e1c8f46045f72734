"""Validity (RFC 8493 §3): every checksum in every manifest, payload and tag.

Each file is read once for all the algorithms that list it, and opened with
``O_NOFOLLOW``: the tree scan already refused links, and this stops a link
swapped in after the scan from being followed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Mapping, Sequence

from pipeline.bagit.findings import Findings
from pipeline.bagit.completeness import Manifest
from pipeline.bagit.manifest import FileDigest, hash_stream

if TYPE_CHECKING:
    from pipeline.bagit.shared_digests import SharedDigests


def hash_in_bag(root: Path, path: str, algorithms: Sequence[str]) -> FileDigest:
    fd = os.open(root / path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb", buffering=0) as stream:
        return hash_stream(stream, algorithms)


def check_digests(root: Path, manifests: Sequence[Manifest], present: Mapping[str, int],
                  code: str, found: Findings, shared: SharedDigests | None = None) -> tuple[int, int]:
    """Hash each file of *present* listed in *manifests*; report mismatches as *code*.

    With *shared*, a file already read in this run (another name of it, a
    hard link in another version) is not read again.

    Returns the number of files and bytes read.
    """
    files = octets = 0
    listed = set().union(*(m.entries for m in manifests)) if manifests else set()
    for path in sorted(listed & set(present)):
        expected = {m.algorithm: m.entries[path] for m in manifests if path in m.entries}
        try:
            actual = (shared.hash_in_bag if shared is not None else hash_in_bag)(root, path, sorted(expected))
        except OSError as exc:
            found.add("B015", path, f"cannot be read: {exc.strerror or exc}")
            continue
        files += 1
        octets += actual.size
        for alg in sorted(expected):
            if actual.digests[alg] != expected[alg]:
                found.add(code, path, f"checksum mismatch ({alg}): expected "
                                      f"{expected[alg]}, found {actual.digests[alg]}")
    return files, octets
