"""Checking packages in worker processes, each shared file read once.

With one worker, packages are checked in turn in this process, and a file
with names in several versions (hard links) is read once
(:class:`pipeline.bagit.shared_digests.SharedDigests`). With more, checking a
package is mostly not hashing (listing, parsing manifests, path rules), so
whole packages go to the workers, not just the hashing: first every distinct
file of the chosen packages is hashed once across the workers, then each
worker checks whole packages with those digests at hand (a file that changed
identity since is read again). The results are the same, in the same order.

With a budget, packages go out in rounds of one per worker and no new round
starts once the budget is spent; each worker then keeps its own digests, so a
shared file is read at most once per worker.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Callable, Sequence

from pipeline.archive.package_check import verify_bag
from pipeline.bagit.manifest import WRITTEN_ALGORITHMS
from pipeline.bagit.shared_digests import SharedDigests, worker_pool
from pipeline.bagit.validator import FULL
from pipeline.core.records import PackageVerification

_worker: tuple[Path, str, SharedDigests | None] | None = None


def check_packages(archive_dir: Path, chosen: Sequence[str], mode: str, workers: int,
                   keep_going: Callable[[], bool] | None,
                   files_of: Callable[[Path, Sequence[str]], list[Path]]) -> list[PackageVerification]:
    """Each package of *chosen* checked on its own, in *chosen*'s order, for as
    long as *keep_going* allows (at least one)."""
    shared = SharedDigests() if mode == FULL else None
    if workers <= 1 or len(chosen) < 2:
        results: list[PackageVerification] = []
        for entry in chosen:
            if keep_going is not None and results and not keep_going():
                break
            results.append(verify_bag(archive_dir / entry, label=entry, mode=mode, package_rules=True,
                                      shared=shared))
        return results
    if shared is not None and keep_going is None:
        with worker_pool(workers) as pool:
            shared.prehash(files_of(archive_dir, chosen), WRITTEN_ALGORITHMS, pool, workers)
    with ProcessPoolExecutor(max_workers=workers, initializer=_start_worker,
                             initargs=(archive_dir, mode, shared)) as pool:
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
    _worker = (archive_dir, mode, shared)


def _check_one(entry: str) -> PackageVerification:
    assert _worker is not None, "called outside a worker started by check_packages"
    archive_dir, mode, shared = _worker
    return verify_bag(archive_dir / entry, label=entry, mode=mode, package_rules=True, shared=shared)
