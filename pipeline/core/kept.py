"""What a stage keeps between runs in the build folder, keyed by what decided it.

A stage may keep what it found (records that validated, digests of files it
made) so that the next run need not find it again, but only under a
fingerprint of what decides it: the code, its tools, the rules its inputs
are held to. One JSON file per kind, read back only under the same
fingerprint. It is the officer's working state, not the archive: a missing,
damaged or unwritable file costs one slower run, never another result, so it
is not made durable.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipeline.core.files import write_atomically


def read_kept(path: Path, fingerprint: str) -> dict[str, Any] | None:
    """What was kept at *path* under *fingerprint* (without it), or None: nothing
    kept, a damaged file, or another fingerprint."""
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(stored, dict) or stored.get("fingerprint") != fingerprint:
        return None
    return {key: value for key, value in stored.items() if key != "fingerprint"}


def write_kept(path: Path, fingerprint: str, content: dict[str, Any]) -> None:
    """Keep *content* at *path* under *fingerprint*; a folder that cannot be written
    only costs time on the next run."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {"fingerprint": fingerprint, **content}
        write_atomically(path, (json.dumps(record, indent=0) + "\n").encode(), durable=False)
    except OSError:
        pass
