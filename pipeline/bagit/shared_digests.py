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

A check hands the files it has just listed, with the identity each had when
listed (``lstat``), to :meth:`SharedDigests.expect`. With a pool of hashing
processes (:func:`worker_pool`) they are hashed there, in batches of about
:data:`BATCH_BYTES`, while the check goes on parsing; when it needs a digest
it waits only for that file's batch. The process that hashes a file opens it
without following links and calls ``fstat`` on the descriptor before and after
reading; a digest is used for a listed name only if that identity is the one
listed, so it is a digest of the very file object that was listed, read whole
and unchanged (a file swapped, rewritten or re-linked between listing and
hashing is read again where it is checked). The checking process therefore
does not open the file a second time.
Processes, not threads: hashlib releases the GIL, but a hashing thread takes
it back several times per file and waits for it while this process parses
(measured: hashing 1.6–1.8× slower beside a busy main thread).
:meth:`SharedDigests.prehash` does the same for a list of files and waits for
all of them. The results are the same as hashing in one process, file by
file: a file whose identity is not the one listed is read again where it is
checked.
"""

from __future__ import annotations

import os
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence, TypeVar

from pipeline.core.identity import Identity
from pipeline.core.identity import identity as _identity
from pipeline.bagit.manifest import WRITTEN_ALGORITHMS, FileDigest, hash_stream, hash_unbuffered

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
T = TypeVar("T")
#: Bytes (and at most BATCH_FILES files) per task of a hashing process: a task per
#: file would cost more in hand-overs than hashing a typical 50 KB PDF.
BATCH_BYTES = 8 << 20
BATCH_FILES = 256


def _hash_path(path: str, algorithms: tuple[str, ...]) -> tuple[Identity, int, tuple[str, ...]] | None:
    """One file's identity, size and hex digests (in *algorithms*' order); None if it
    cannot be read (the check reports it)."""
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, "rb", buffering=0) as stream:
        try:
            before = _identity(os.fstat(fd))
            size, digests = hash_unbuffered(stream, algorithms)
            after = _identity(os.fstat(fd))
        except OSError:
            return None
    return (after, size, digests) if after == before else None  # written to while read: read again where checked


def _hash_batch(root: str, paths: Sequence[str], algorithms: tuple[str, ...],
                ) -> list[tuple[Identity, int, tuple[str, ...]]]:
    """One task of a hashing process: identity, bytes read and hex digests (in
    *algorithms*' order) of the files of *paths* (in folder *root*) that could be read.
    Plain tuples: a third of the time to pass back that dataclasses take. The paths
    are joined to *root* here, not by the process that hands them over, whose time
    every result waits for."""
    join = os.path.join
    return [found for path in paths if (found := _hash_path(join(root, path), algorithms)) is not None]


class SharedDigests:
    """Digests already computed in this run, by file identity; hashed in
    *pool*'s processes where the caller asks for it ahead (:meth:`expect`)."""

    def __init__(self, pool: Executor | None = None) -> None:
        self._known: dict[Identity, FileDigest] = {}
        self._pool = pool
        # path in the bag last listed → identity when listed, until it is checked; by the path
        # as given, not joined to the folder (60,000 joins in a package of 10,000 statements)
        self._listed: dict[str, Identity] = {}
        self._listed_root: Path | None = None
        self._pending: dict[tuple[int, int], Future] = {}  # (device, inode) → its batch, while hashed
        self._batches: dict[Future, list[tuple[int, int]]] = {}  # a batch not yet collected → its files
        self._algorithms: dict[Future, tuple[str, ...]] = {}  # a batch not yet collected → what it hashes
        self._sent: set[tuple[int, int]] = set()  # (device, inode) of every file handed to the pool
        self._batch: list[tuple[str, tuple[int, int]]] = []  # (path in root, (device, inode)) not yet sent
        self._batch_size = 0
        self._batch_algorithms: set[str] = set()
        self.files_read = 0
        self.bytes_read = 0
        self._root: tuple[Path | None, str] = (None, "")  # the bag folder last seen, and as text

    def _full(self, root: Path, path: str) -> str:
        """*path* in *root*, as text: the folder converted once per bag, not once per file
        (30,000 times in a package of 10,000 statements, twice each)."""
        if root is not self._root[0]:
            self._root = (root, os.fspath(root))
        return os.path.join(self._root[1], path)

    def without_pool(self) -> "SharedDigests":
        """The digests known so far, alone (to hand to worker processes)."""
        copy = SharedDigests()
        copy._known = dict(self._known)
        return copy

    def hash_in_bag(self, root: Path, path: str, algorithms: Sequence[str]) -> FileDigest:
        """Like :func:`pipeline.bagit.digests.hash_in_bag`, reading only files not yet
        read: a listed file (:meth:`expect`) whose digest is known under the identity
        it was listed with is not opened again."""
        wanted = set(algorithms)
        listed = self._listed.pop(path, None) if self._is_listed_root(root) else None
        if listed is not None:
            if listed not in self._known and (batch := self._pending.get(listed[:2])) is not None:
                self._collect(batch)  # being hashed in the pool: wait for it rather than read it twice
            if (known := self._known.get(listed)) is not None and wanted <= known.digests.keys():
                return _only(known, wanted)
        # not listed, not hashed ahead, or not the file listed: read it here
        fd = os.open(self._full(root, path), os.O_RDONLY | _NOFOLLOW)
        with os.fdopen(fd, "rb", buffering=0) as stream:
            identity = _identity(os.fstat(fd))
            if identity not in self._known and (batch := self._pending.get(identity[:2])) is not None:
                self._collect(batch)
            if (known := self._known.get(identity)) is not None and wanted <= known.digests.keys():
                return _only(known, wanted)
            digest = hash_stream(stream, wanted)
        self._remember(identity, digest)
        return digest

    def run_aside(self, task: Callable[..., T], *args: object) -> "Future[T]":
        """*task*(*args*) in a process of the pool while this one goes on, or here
        and now without a pool (other reading a check can do beside the hashing)."""
        if self._pool is not None:
            return self._pool.submit(task, *args)
        done: Future[T] = Future()
        done.set_result(task(*args))
        return done

    def expect(self, root: Path, files: Mapping[str, Identity],
               algorithms: Sequence[str] = WRITTEN_ALGORITHMS) -> None:
        """Note *files* (paths in *root* → identity when listed) as listed, and start
        hashing them in the pool, if there is one (:meth:`expect_file`); returns at once."""
        for path, identity in files.items():
            self.expect_file(root, path, identity, algorithms)
        self.flush()

    def expect_file(self, root: Path, path: str, identity: Identity,
                    algorithms: Sequence[str] = WRITTEN_ALGORITHMS) -> None:
        """Note *path* in *root* as listed with *identity*; with a pool, add it to
        the next batch to hash there, each distinct file once, in batches of
        similar size (:meth:`flush` sends the last)."""
        if not self._is_listed_root(root):
            self.flush()  # a batch holds the files of one folder
            self._listed, self._listed_root = {}, root  # those of the last bag are checked, or never will be
        self._listed[path] = identity
        inode = identity[:2]
        if self._pool is None or inode in self._sent or identity in self._known:
            return  # nothing to hash ahead, or another name of a file already handed over or read
        self._sent.add(inode)
        self._batch.append((path, inode))
        self._batch_size += identity[2]
        self._batch_algorithms.update(algorithms)
        if self._batch_size >= BATCH_BYTES or len(self._batch) >= BATCH_FILES:
            self.flush()

    def _is_listed_root(self, root: Path) -> bool:
        return root is self._listed_root or root == self._listed_root

    def flush(self) -> None:
        """Send the files noted and not yet sent to the pool."""
        if self._batch:
            self._send(self._batch, tuple(sorted(self._batch_algorithms)))
        self._batch, self._batch_size, self._batch_algorithms = [], 0, set()

    def prehash(self, files: Iterable[Path], algorithms: Sequence[str] = WRITTEN_ALGORITHMS) -> None:
        """Hash *files* (each distinct file not yet read, once) in the pool and wait for all."""
        listed = {}
        for path in files:
            try:
                info = os.lstat(path)
            except OSError:
                continue  # the check reports it
            if _identity(info) not in self._known:
                listed[str(path)] = _identity(info)
        self.expect(Path("/"), listed, algorithms)  # absolute paths: joined to "/" they stay as they are
        self._listed.clear()  # checked later, by name in their package, which lists them again
        while self._batches:
            self._collect(next(iter(self._batches)))

    def _send(self, files: list[tuple[str, tuple[int, int]]], algorithms: tuple[str, ...]) -> None:
        assert self._pool is not None
        assert self._listed_root is not None
        batch = self._pool.submit(_hash_batch, os.fspath(self._listed_root), tuple(path for path, _ in files),
                                  algorithms)
        self._batches[batch] = [inode for _, inode in files]
        self._algorithms[batch] = algorithms
        self._pending.update((inode, batch) for _, inode in files)

    def _collect(self, batch: Future) -> None:
        """Remember a batch's digests (waiting for it); its files are no longer pending."""
        for inode in self._batches.pop(batch, ()):
            self._pending.pop(inode, None)
        try:
            found = batch.result()
        except Exception:  # noqa: BLE001 - a lost worker process: its files are hashed where checked
            found = []
        algorithms = self._algorithms.pop(batch, ())
        known = self._known
        for identity, size, digests in found:  # _remember, inline: once per file of the run
            known[identity] = FileDigest(size, dict(zip(algorithms, digests)))
            self.bytes_read += size
        self.files_read += len(found)

    def _remember(self, identity: Identity, digest: FileDigest) -> None:
        self.files_read += 1
        self.bytes_read += digest.size
        self._known[identity] = digest


def _only(known: FileDigest, wanted: set[str]) -> FileDigest:
    """*known* with the digests of *wanted* alone (itself when that is all it has:
    one object less per file, 30,000 in a package of 10,000 statements)."""
    if known.digests.keys() == wanted:
        return known
    return FileDigest(known.size, {a: known.digests[a] for a in sorted(wanted)})


#: How much lower the hashing processes run than the process that hands them files.
WORKER_NICENESS = 3


def yield_to_parent() -> None:
    """Run this (worker) process at a lower priority than the one that started it.

    The checking process lists, parses and compares while its workers hash:
    with two workers on two cores, three processes want the CPU, and at equal
    priority each gets two thirds of a core, so the checking process, the one
    every result waits for, runs a third slower than it could (measured: the
    speed-up of ``--workers 2`` stayed at 1.6× with CPU for 1.65×). Three
    steps lower, two workers weigh about as much as it does to the scheduler,
    so it keeps a core of its own and they share the other (and take both when
    it waits); by much more, other programs on a busy machine would starve
    them. Nothing they compute changes. Where priorities cannot be lowered,
    this does nothing.
    """
    try:
        os.nice(WORKER_NICENESS)
    except (AttributeError, OSError):  # no os.nice (Windows), or refused: same results, only slower
        pass


def worker_pool(workers: int) -> Executor:
    return ProcessPoolExecutor(max_workers=workers, initializer=yield_to_parent)
