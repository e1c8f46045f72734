"""Write a BagIt 1.0 bag into a new folder, durably.

The caller says what goes in the payload (files to copy, or bytes) and what
goes in ``bag-info.txt``; this module copies, hashes while copying, writes
the manifests and tag manifests, and fsyncs every file and folder. It never
opens an existing file for writing: every file is created with ``O_EXCL``.

Files are created read-only (0o444): nothing should ever write to a bag
again. Folders stay writable (0o755) on purpose: a read-only folder would
also stop an administrator, a retention job or pytest's temporary-folder
clean-up from removing a bag, while adding nothing a read-only file does not
already give against accidental edits.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Sequence

from pipeline.bagit.links import link_file
from pipeline.bagit.manifest import WRITTEN_ALGORITHMS, FileDigest, format_manifest, hash_stream
from pipeline.bagit.paths import is_payload_path, unsafe_reason
from pipeline.bagit.tagfile import BAG_INFO_TXT, BAGIT_TXT, format_bagit_txt, format_tags
from pipeline.core.files import fsync_dir, make_dirs

FILE_MODE = 0o444
DIR_MODE = 0o755


@dataclass(frozen=True)
class PayloadItem:
    """One payload file: its path in the bag (``data/...``) and where its
    bytes come from — a file to copy (``source``) or ``content``.

    ``shared_from`` is a file of an earlier bag believed to hold the same
    bytes: it is hard-linked instead of copied where the file system allows
    (:mod:`pipeline.bagit.links`), and ``source`` copied otherwise."""

    bag_path: str
    source: Path | None = None
    content: bytes | None = None
    shared_from: Path | None = None


class SourceChanged(Exception):
    """Source files whose bytes differ from the SHA-256 the caller expected."""

    def __init__(self, items: Sequence[PayloadItem]):
        super().__init__(", ".join(str(i.source) for i in items) + " changed before being packaged")
        self.items = tuple(items)


class SourceUnreadable(Exception):
    """A source file could not be read (as opposed to the bag not being writable)."""

    def __init__(self, item: PayloadItem, error: OSError):
        super().__init__(f"{item.source}: {error.strerror or error}")
        self.item, self.error = item, error


@dataclass(frozen=True)
class WrittenBag:
    """What was written: payload digests and the bytes of each tag file."""

    payload: Mapping[str, FileDigest]
    tag_files: Mapping[str, bytes]


def check_layout(items: Sequence[PayloadItem]) -> None:
    """Raise ValueError unless every payload path is safe, under data/, and unique
    (including no file that is also another file's folder)."""
    seen: set[str] = set()
    for item in items:
        path = item.bag_path
        reason = unsafe_reason(path)
        if reason or not is_payload_path(path):
            raise ValueError(f"unusable payload path {path!r}: {reason or 'not under data/'}")
        if (item.source is None) == (item.content is None):
            raise ValueError(f"{path}: give exactly one of source or content")
        if path in seen:
            raise ValueError(f"payload path {path!r} used twice")
        seen.add(path)
    folders = {"/".join(p.split("/")[:i]) for p in seen for i in range(1, p.count("/") + 1)}
    if clash := sorted(seen & folders):
        raise ValueError(f"payload path {clash[0]!r} is both a file and a folder")


def plan_payload(items: Sequence[PayloadItem]) -> dict[str, FileDigest]:
    """Hash every payload item without writing anything (one read per file)."""
    check_layout(items)
    planned: dict[str, FileDigest] = {}
    for item in items:
        planned[item.bag_path] = _hash_item(item)
    return planned


def _hash_item(item: PayloadItem) -> FileDigest:
    if item.content is not None:
        return hash_stream(_BytesReader(item.content), WRITTEN_ALGORITHMS)
    try:
        with open(item.source, "rb") as stream:  # type: ignore[arg-type]
            return hash_stream(stream, WRITTEN_ALGORITHMS)
    except OSError as exc:
        raise SourceUnreadable(item, exc) from exc


class _BytesReader:
    def __init__(self, data: bytes):
        self._view, self._pos = memoryview(data), 0

    def readinto(self, buffer: memoryview) -> int:
        chunk = self._view[self._pos:self._pos + len(buffer)]
        buffer[:len(chunk)] = chunk
        self._pos += len(chunk)
        return len(chunk)


def write_bag(
    root: Path,
    items: Sequence[PayloadItem],
    info: Sequence[tuple[str, str]],
    expected_sha256: Mapping[str, str] | None = None,
    tag_files: Mapping[str, bytes] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> WrittenBag:
    """Write a complete bag into the empty folder *root*.

    *info* are the ``bag-info.txt`` elements; ``Payload-Oxum`` is added here.
    *tag_files* are further tag files (name → bytes) at the bag's top,
    covered by the tag manifests like every other tag file.
    Elements are written sorted by label. With *expected_sha256* (each
    payload path's SHA-256, known before writing), a source whose bytes differ
    raises SourceChanged: each source is read once, hashed while copied.
    OSError means the bag could not be written. *progress* is called with
    (bag path, done, total) after each payload file.
    """
    check_layout(items)
    if any(label == "Payload-Oxum" for label, _ in info):
        raise ValueError("Payload-Oxum is computed by write_bag")
    payload: dict[str, FileDigest] = {}
    changed: list[PayloadItem] = []
    for number, item in enumerate(sorted(items, key=lambda i: i.bag_path), 1):
        digest = _copy_item(root, item)
        if progress:
            progress(item.bag_path, number, len(items))
        if expected_sha256 is not None and expected_sha256.get(item.bag_path) != digest.digests["sha256"]:
            changed.append(item)  # go on: the officer hears of every changed file at once
        payload[item.bag_path] = digest
    if changed:
        raise SourceChanged(changed)

    tags: dict[str, bytes] = {BAGIT_TXT: format_bagit_txt()}
    for name, data in sorted((tag_files or {}).items()):
        if "/" in name or unsafe_reason(name) or name in (BAGIT_TXT, BAG_INFO_TXT) or \
                name.startswith(("manifest-", "tagmanifest-")) or name == "fetch.txt":
            raise ValueError(f"unusable tag file name {name!r}")
        tags[name] = data
    for alg in WRITTEN_ALGORITHMS:
        tags[f"manifest-{alg}.txt"] = format_manifest(
            {path: d.digests[alg] for path, d in payload.items()}
        )
    oxum = f"{sum(d.size for d in payload.values())}.{len(payload)}"
    tags[BAG_INFO_TXT] = format_tags(sorted([*info, ("Payload-Oxum", oxum)]))
    for name, data in tags.items():
        _write_new_file(root / name, data)
    covered = dict(tags)
    for alg in WRITTEN_ALGORITHMS:
        tagmanifest = format_manifest(
            {name: hashlib.new(alg, data).hexdigest() for name, data in covered.items()}
        )
        tags[f"tagmanifest-{alg}.txt"] = tagmanifest
        _write_new_file(root / f"tagmanifest-{alg}.txt", tagmanifest)
    _fsync_tree(root)
    return WrittenBag(payload, tags)


def _copy_item(root: Path, item: PayloadItem) -> FileDigest:
    target = root.joinpath(*item.bag_path.split("/"))
    make_dirs(root, target.parent, mode=DIR_MODE, durable=False)  # the whole tree is fsynced at the end
    if item.shared_from is not None and link_file(item.shared_from, target, FILE_MODE):
        # Hashed as it now is in this bag: the digests come from the bytes the bag holds.
        with open(os.open(target, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)), "rb") as linked:
            return hash_stream(linked, WRITTEN_ALGORITHMS)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "wb") as out:
        if item.content is not None:
            digest = hash_stream(_BytesReader(item.content), WRITTEN_ALGORITHMS, out.write)
        else:
            try:
                source = open(item.source, "rb")  # type: ignore[arg-type]
            except OSError as exc:
                raise SourceUnreadable(item, exc) from exc
            with source:
                digest = hash_stream(source, WRITTEN_ALGORITHMS, out.write)
        out.flush()
        os.fsync(out.fileno())
    return digest


def _write_new_file(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def _fsync_tree(root: Path) -> None:
    """fsync every folder of the bag, deepest first, then the root."""
    folders = [Path(d) for d, _, _ in os.walk(root)]
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        fsync_dir(folder)
