"""Checking packages with more than one core, each shared file read once.

With one worker, packages are checked in turn in this process, and a file
with names in several versions (hard links) is read once
(:class:`pipeline.bagit.shared_digests.SharedDigests`). With more, in full
mode, files are hashed in that many worker processes, in batches of similar
size, and then:

- few packages (fewer than two per worker; a large archive is often one
  package of many statements): they are checked here in turn, each one's
  files hashed in the workers *while* this process lists them, parses the
  manifests and applies the path rules (as much work as hashing, for
  typical 50 KB PDFs); a check waits only for the batch of the file it needs;
- many packages: every distinct file is hashed first, then worker
  processes check whole packages with those digests at hand.

Either way a digest counts for a name only if the hashing process read the
file object that was listed under it (same identity; the name is not opened
again here), a file that changed in between is read again, and the results
are the same, in the same order, as with one worker.

With a budget, packages go out to worker processes in rounds of one per
worker and no new round starts once the budget is spent; each worker then
keeps its own digests, so a shared file is read at most once per worker.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from pathlib import Path
from typing import Callable, Sequence

from pipeline.archive.package_check import verify_bag
from pipeline.bagit.shared_digests import SharedDigests, worker_pool, yield_to_parent
from pipeline.bagit.validator import FULL
from pipeline.core.records import PackageVerification

_worker: tuple[Path, str, SharedDigests | None] | None = None


def check_packages(archive_dir: Path, chosen: Sequence[str], mode: str, workers: int,
                   keep_going: Callable[[], bool] | None,
                   files_of: Callable[[Path, Sequence[str]], list[Path]]) -> list[PackageVerification]:
    """Each package of *chosen* checked on its own, in *chosen*'s order, for as
    long as *keep_going* allows (at least one)."""
    if workers <= 1 or len(chosen) < 2 or (keep_going is None and mode == FULL and len(chosen) < 2 * workers):
        with worker_pool(workers) if workers > 1 and mode == FULL else nullcontext() as pool:
            shared = SharedDigests(pool) if mode == FULL else None
            results: list[PackageVerification] = []
            for entry in chosen:
                if keep_going is not None and results and not keep_going():
                    break
                results.append(verify_bag(archive_dir / entry, label=entry, mode=mode, package_rules=True,
                                          shared=shared))
            return results
    known = None
    if keep_going is None:
        with worker_pool(workers) as pool:
            hashed = SharedDigests(pool)
            hashed.prehash(files_of(archive_dir, chosen))
        known = hashed.without_pool()
    with ProcessPoolExecutor(max_workers=workers, initializer=_start_worker,
                             initargs=(archive_dir, mode, known or (SharedDigests() if mode == FULL else None))) as pool:
        if keep_going is None:
            return list(pool.map(_check_one, chosen))
        results = []
        for start in range(0, len(chosen), workers):
            if results and not keep_going():
                break
            results += pool.map(_check_one, chosen[start:start + workers])
        return results


def _start_worker(archive_dir: Path, mode: str, shared: SharedDigests | None) -> None:
    global _worker
    yield_to_parent()
    _worker = (archive_dir, mode, shared)


def _check_one(entry: str) -> PackageVerification:
    assert _worker is not None, "called outside a worker started by check_packages"
    archive_dir, mode, shared = _worker
    return verify_bag(archive_dir / entry, label=entry, mode=mode, package_rules=True, shared=shared)
