"""The machine's own ceiling for parallel verify: hashing alone, in 1 and in N processes.

    python bench/hash_ceiling.py FILE-LIST PROCESSES

Reads the paths in FILE-LIST (one a line) and computes SHA-256 and SHA-512 of
each (what a package's two manifests need) with verify's own hashing loop
(``pipeline.bagit.manifest.hash_unbuffered``), and nothing else: no listing,
no identity, no manifest, no comparison. With PROCESSES > 1 the list is split in that many
interleaved shares, each hashed in a forked process. ``bench/versions.py
--one-package`` runs it beside ``verify --workers 1`` and ``--workers 2`` in
the same rounds: on a machine whose two cores do not give twice the hashing
(shared caches, memory bandwidth, a neighbour on the host), the ratio of 2
processes to 1 here is the bound that ``verify``'s speed-up is measured
against, not 2.
"""

from __future__ import annotations

import os
import sys
from multiprocessing import get_context
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.bagit.manifest import hash_unbuffered  # noqa: E402  (verify's own hashing loop)


def hash_files(paths: list[str]) -> int:
    """Bytes read; each file opened as verify's hashing processes open it, hashed by the same loop."""
    total = 0
    for path in paths:
        with os.fdopen(os.open(path, os.O_RDONLY), "rb", buffering=0) as stream:
            total += hash_unbuffered(stream, ("sha256", "sha512"))[0]
    return total


def main(argv: list[str]) -> int:
    listing, processes = argv[0], int(argv[1])
    with open(listing, encoding="utf-8") as lines:
        paths = lines.read().splitlines()
    if processes <= 1:
        hash_files(paths)
        return 0
    with get_context("fork").Pool(processes) as pool:
        pool.map(hash_files, [paths[k::processes] for k in range(processes)])
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
