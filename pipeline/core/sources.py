"""The pipeline's own source as a digest, for caches keyed by the code that reached a verdict.

A kept verdict (a check that passed, a record that validated) may be reused
only while the code that reached it is unchanged. Every source file of the
packages named goes in, not a list of the modules they use today: a list
would go stale silently when the code starts using another.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

PIPELINE = Path(__file__).resolve().parents[1]


def source_digest(*packages: str) -> bytes:
    """SHA-256 over each ``.py`` file of ``pipeline/<package>`` for *packages*: its
    path inside ``pipeline/`` and its bytes, in path order."""
    digest = hashlib.sha256()
    for package in packages:
        for source in sorted((PIPELINE / package).rglob("*.py")):
            digest.update(source.relative_to(PIPELINE).as_posix().encode() + b"\0" + source.read_bytes())
    return digest.digest()
