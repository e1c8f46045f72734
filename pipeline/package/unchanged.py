"""Whether a build has anything new, told without making the package's JSON files.

A build with nothing new must still compare what it would package with the
newest package's manifest, file by file. Every statement file's SHA-256 is
known from validation and rendering, but ``data/index.json`` and
``data/_provenance/renditions.json`` are made from the records, and at
10,000 statements json's indenting encoder (pure Python) takes most of a
second to make them again only to hash them.

So their digests are remembered, in the build folder: for each record, the
SHA-256 of its compact JSON (json's C encoder, sorted keys: the same tokens in
the same order as the indented file, so the same compact text means the same
file) and the SHA-256 of the file's bytes, under a fingerprint of what
writes those bytes (Python's version and ``pipeline/package``'s source).
:func:`planned_unchanged` gives every payload digest from those and the
digests already known; it is used only to say "nothing changed": when it
says anything else, or knows too little, the package is planned and written
from the bytes themselves, as always, and its digests remembered again.
Like the other kept verdicts (:mod:`pipeline.core.kept`), the file is the
officer's working state: a lost or damaged one costs one slower build, never
a different package.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Sequence

from pipeline.archive.folder import INDEX_PATH
from pipeline.bagit.manifest import sha256_bytes
from pipeline.core.kept import read_kept, write_kept
from pipeline.core.records import Provenance, RenderedStatement
from pipeline.core.sources import source_digest
from pipeline.package.layout import payload_files
from pipeline.package.provenance import RENDITIONS_PATH, fixed_provenance_items

MEMO_NAME = "json-digests.json"


def _fingerprint() -> str:
    digest = hashlib.sha256(f"python {sys.version}\n".encode())
    digest.update(source_digest("package"))
    return digest.hexdigest()


def _compact(record: object) -> str:
    text = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class JsonDigests:
    """SHA-256 of a package JSON file's bytes by its record's compact JSON; *folder* None: none kept."""

    def __init__(self, folder: Path | None) -> None:
        self.folder, self.fingerprint = folder, _fingerprint() if folder else ""
        kept = read_kept(folder / MEMO_NAME, self.fingerprint) if folder is not None else None
        digests = kept.get("digests") if kept is not None else None
        # nothing usable kept: the package is planned from its bytes
        self._kept = {k: v for k, v in digests.items() if isinstance(v, str)} if isinstance(digests, dict) else {}
        self._now: dict[str, str] = {}

    def known(self, record: object) -> str | None:
        return self._kept.get(_compact(record))

    def remember(self, record: object, sha256: str) -> None:
        self._now[_compact(record)] = sha256

    def save(self) -> None:
        """Keep this build's digests (only the last build's: two entries)."""
        if self.folder is not None and self._now and self._now != self._kept:
            write_kept(self.folder / MEMO_NAME, self.fingerprint, {"digests": self._now})


def planned_unchanged(rendered: Sequence[RenderedStatement], index: object, renditions: object | None,
                      provenance: Provenance | None, memo: JsonDigests) -> dict[str, str] | None:
    """Each payload path's SHA-256 for a package of *rendered* with this *index* and
    *renditions* record (:func:`~pipeline.package.layout.index_record`,
    :func:`~pipeline.package.provenance.renditions_record`), from known digests
    only; None when one is not known (then plan from the bytes)."""
    index_sha256 = memo.known(index)
    if index_sha256 is None:
        return None
    planned = {INDEX_PATH: index_sha256}
    for item in rendered:
        for _, path, _, digest in payload_files(item):
            if not digest:
                return None
            planned[path] = digest.lower()
    if provenance is not None:
        renditions_sha256 = memo.known(renditions)
        if renditions_sha256 is None:
            return None
        planned[RENDITIONS_PATH] = renditions_sha256
        planned.update((item.bag_path, sha256_bytes(item.content)) for item in fixed_provenance_items(provenance))
    return planned
