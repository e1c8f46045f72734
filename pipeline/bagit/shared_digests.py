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

With a pool of hashing processes (:func:`worker_pool`), a check hands the
files it has just listed to the pool (:meth:`SharedDigests.expect`), in
batches of about :data:`BATCH_BYTES`, and goes on listing and parsing while
they are hashed; when it needs a digest it waits only for that file's batch.
Processes, not threads: hashlib releases the GIL, but a hashing thread takes
it back several times per file and waits for it while this process parses
(measured: hashing 1.6–1.8× slower beside a busy main thread).
:meth:`SharedDigests.prehash` does the same for a list of files and waits for
all of them. The results are the same as hashing in one process, file by
file: a file whose identity changed since its batch read it is read again
where it is checked.
"""

from __future__ import annotations

import os
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from pipeline.bagit.manifest import WRITTEN_ALGORITHMS, FileDigest, hash_stream

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
Identity = tuple[int, int, int, int, int]
#: Bytes (and at most BATCH_FILES files) per task of a hashing process: a task per
#: file would cost more in hand-overs than hashing a typical 50 KB PDF.
BATCH_BYTES = 8 << 20
BATCH_FILES = 256


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
            return _identity(os.fstat(fd)), hash_stream(stream, algorithms)
        except OSError:
            return None


def _hash_batch(paths: Sequence[str], algorithms: tuple[str, ...]) -> list[tuple[Identity, FileDigest]]:
    """One task of a hashing process: the files of *paths* that could be read."""
    return [found for path in paths if (found := _hash_path(path, algorithms)) is not None]


class SharedDigests:
    """Digests already computed in this run, by file identity; hashed in
    *pool*'s processes where the caller asks for it ahead (:meth:`expect`)."""

    def __init__(self, pool: Executor | None = None) -> None:
        self._known: dict[Identity, FileDigest] = {}
        self._pool = pool
        self._pending: dict[str, Future] = {}  # path → its batch, for files handed to the pool
        self._batches: dict[Future, list[str]] = {}  # a batch not yet collected → its paths
        self._sent: set[tuple[int, int]] = set()  # (device, inode) of every file handed to the pool
        self.files_read = 0
        self.bytes_read = 0

    def without_pool(self) -> "SharedDigests":
        """The digests known so far, alone (to hand to worker processes)."""
        copy = SharedDigests()
        copy._known = dict(self._known)
        return copy

    def hash_in_bag(self, root: Path, path: str, algorithms: Sequence[str]) -> FileDigest:
        """Like :func:`pipeline.bagit.digests.hash_in_bag`, reading only files not yet read."""
        full = os.path.join(root, path)
        fd = os.open(full, os.O_RDONLY | _NOFOLLOW)
        with os.fdopen(fd, "rb") as stream:
            identity = _identity(os.fstat(fd))
            known = self._known.get(identity)
            if known is None and (batch := self._pending.get(full)) is not None:
                self._collect(batch)  # being hashed in the pool: wait for it rather than read it twice
                known = self._known.get(identity)
            if known is not None and set(algorithms) <= set(known.digests):
                return FileDigest(known.size, {a: known.digests[a] for a in sorted(set(algorithms))})
            digest = hash_stream(stream, algorithms)
        self._remember(identity, digest)
        return digest

    def expect(self, root: Path, files: Mapping[str, tuple[int, tuple[int, int]]],
               algorithms: Sequence[str] = WRITTEN_ALGORITHMS) -> None:
        """Start hashing *files* (paths in *root* → (size, (device, inode))) in the
        pool, if there is one, each distinct file once, in batches of similar
        size; returns at once."""
        if self._pool is None:
            return
        wanted = tuple(sorted(set(algorithms)))
        batch: list[str] = []
        size = 0
        for path, (length, inode) in files.items():
            if inode in self._sent:
                continue  # another name of a file already handed over (a hard link)
            self._sent.add(inode)
            batch.append(os.path.join(root, path))
            size += length
            if size >= BATCH_BYTES or len(batch) >= BATCH_FILES:
                self._send(batch, wanted)
                batch, size = [], 0
        if batch:
            self._send(batch, wanted)

    def prehash(self, files: Iterable[Path], algorithms: Sequence[str] = WRITTEN_ALGORITHMS) -> None:
        """Hash *files* (each distinct file not yet read, once) in the pool and wait for all."""
        listed = {}
        for path in files:
            try:
                info = os.lstat(path)
            except OSError:
                continue  # the check reports it
            if _identity(info) not in self._known:
                listed[str(path)] = (info.st_size, (info.st_dev, info.st_ino))
        self.expect(Path("/"), listed, algorithms)  # absolute paths: joined to "/" they stay as they are
        while self._batches:
            self._collect(next(iter(self._batches)))

    def _send(self, paths: list[str], algorithms: tuple[str, ...]) -> None:
        assert self._pool is not None
        batch = self._pool.submit(_hash_batch, tuple(paths), algorithms)
        self._batches[batch] = paths
        self._pending.update(dict.fromkeys(paths, batch))

    def _collect(self, batch: Future) -> None:
        """Remember a batch's digests (waiting for it); its files are no longer pending."""
        for path in self._batches.pop(batch, ()):
            self._pending.pop(path, None)
        try:
            found = batch.result()
        except Exception:  # noqa: BLE001 - a lost worker process: its files are hashed where checked
            found = []
        for identity, digest in found:
            self._remember(identity, digest)

    def _remember(self, identity: Identity, digest: FileDigest) -> None:
        self.files_read += 1
        self.bytes_read += digest.size
        self._known[identity] = digest


def worker_pool(workers: int) -> Executor:
    return ProcessPoolExecutor(max_workers=workers)
