"""Digests of files by identity, each file read once per run, in worker processes if asked.

Versions of a package share unchanged files as hard links (one inode, many
names). Checking each name would read the same bytes once per version; this
reads each *file* once: a digest is kept under the file's identity —
(device, inode, size, modification and change times in ns) taken with
``fstat`` on the descriptor that is read — and every name of that file gets
that result. A name whose identity differs when it is opened (replaced,
rewritten, made writable) is hashed again. The times are only as fine as the
file system's clock tick: a file rewritten within the same tick as it was
read, during the run, keeps its digest until the next run (a change after a
run is no different).

:meth:`SharedDigests.prehash` hashes a list of files in a pool of worker
processes (:func:`worker_pool`) before the checks run (the checks then find their digests known);
the results are the same as hashing in one process, file by file.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Iterable, Sequence

from pipeline.bagit.manifest import FileDigest, hash_stream

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
Identity = tuple[int, int, int, int, int]


def _identity(info: os.stat_result) -> Identity:
    # ctime too: a chmod to make the file writable, or a new link, changes it
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def _hash_path(path: str, algorithms: tuple[str, ...]) -> tuple[Identity, FileDigest] | None:
    """One file's identity and digests; None if it cannot be read (the check reports it)."""
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as stream:
        try:
            identity = _identity(os.fstat(fd))
            return identity, hash_stream(stream, algorithms)
        except OSError:
            return None


class SharedDigests:
    """Digests already computed in this run, by file identity."""

    def __init__(self) -> None:
        self._known: dict[Identity, FileDigest] = {}
        self.files_read = 0
        self.bytes_read = 0

    def hash_in_bag(self, root: Path, path: str, algorithms: Sequence[str]) -> FileDigest:
        """Like :func:`pipeline.bagit.digests.hash_in_bag`, reading only files not yet read."""
        fd = os.open(root / path, os.O_RDONLY | _NOFOLLOW)
        with os.fdopen(fd, "rb") as stream:
            identity = _identity(os.fstat(fd))
            known = self._known.get(identity)
            if known is not None and set(algorithms) <= set(known.digests):
                return FileDigest(known.size, {a: known.digests[a] for a in sorted(set(algorithms))})
            digest = hash_stream(stream, algorithms)
        self._remember(identity, digest)
        return digest

    def prehash(self, files: Iterable[Path], algorithms: Sequence[str], pool: ProcessPoolExecutor,
                workers: int) -> None:
        """Hash *files* (each distinct file not yet read, once) in *pool*'s *workers* processes."""
        distinct: dict[tuple[int, int], str] = {}
        for path in files:
            try:
                info = os.lstat(path)
            except OSError:
                continue
            if _identity(info) not in self._known:
                distinct.setdefault((info.st_dev, info.st_ino), str(path))
        paths = sorted(distinct.values())
        if not paths:
            return
        wanted = tuple(sorted(set(algorithms)))
        chunk = max(1, min(64, len(paths) // (workers * 8) or 1))
        for found in pool.map(_hash_path, paths, [wanted] * len(paths), chunksize=chunk):
            if found is not None:
                self._remember(*found)

    def _remember(self, identity: Identity, digest: FileDigest) -> None:
        self.files_read += 1
        self.bytes_read += digest.size
        self._known[identity] = digest


def worker_pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=workers)
