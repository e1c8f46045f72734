"""Metadata and bodies that passed validation before, kept so an unchanged
record or body is not checked again.

A build validates every record every time, and at 10,000 statements JSON
Schema alone costs seconds, all of it to say again what it said yesterday.
``<build>/validate/passed-files.json`` lists the SHA-256 of each metadata
file whose own checks (the strict JSON parse, placeholders, the schema, the
rules the schema cannot express) found nothing, together with a fingerprint
of what decides those checks: the schema's bytes, jsonschema's version and the
format checkers it has, and the source of the validating code. The checks are
pure functions of the metadata bytes, so for the same bytes and the same
fingerprint they could only find nothing again; that is the only case they
are skipped. A different fingerprint, a damaged or missing file: everything
is checked. Bodies are kept the same way, in a list of their own (the same
bytes pass as a body and fail as a record): their own checks (UTF-8, not
empty, no control characters) are pure functions of their bytes too.

Only passes are kept, and only those of the last run, so the file stays the
size of the statements folder. Everything that depends on more than the
bytes (the file name, which body goes with which record, the capture,
identifiers used twice) is checked on every run. Like the check stage's verdicts beside the PDFs, the
file lives in the build folder, the officer's own working space.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Iterable

from pipeline.core.files import write_atomically
from pipeline.core.sources import source_digest

CACHE_NAME = "passed-files.json"


def validator_fingerprint(schema_bytes: bytes, format_checks: Iterable[str]) -> str:
    """Digest of what decides a record's own checks (see the module docstring):
    the validating code and the layer it reads statements with."""
    from importlib.metadata import version

    digest = hashlib.sha256(f"jsonschema {version('jsonschema')}; formats {sorted(format_checks)}\n".encode())
    digest.update(hashlib.sha256(schema_bytes).digest())
    digest.update(source_digest("validate", "statements"))
    return digest.hexdigest()


#: The kinds of file whose passes are kept, each in a list of its own.
KINDS = {"metadata": "passed", "body": "passed_bodies"}


class PassedFiles:
    """The digests of files that passed their own checks under one fingerprint,
    by kind (:data:`KINDS`); *folder* None: none kept."""

    def __init__(self, folder: Path | None, fingerprint: str) -> None:
        self.folder, self.fingerprint = folder, fingerprint
        self._before: dict[str, frozenset[str]] = {kind: frozenset() for kind in KINDS}
        self._now: dict[str, set[str]] = {kind: set() for kind in KINDS}
        self._kept = False  # whether the file holds this fingerprint's passes
        if folder is not None:
            try:
                stored = json.loads((folder / CACHE_NAME).read_text(encoding="utf-8"))
                if stored.get("fingerprint") == fingerprint and all(
                        isinstance(stored.get(key), list) for key in KINDS.values()):
                    self._before = {kind: frozenset(d for d in stored[key] if isinstance(d, str))
                                    for kind, key in KINDS.items()}
                    self._kept = True
            except (OSError, ValueError, AttributeError):
                pass  # no usable cache: everything is checked

    def passed_before(self, sha256: str, kind: str = "metadata") -> bool:
        return sha256 in self._before[kind]

    def passed(self, sha256: str, kind: str = "metadata") -> None:
        self._now[kind].add(sha256)

    def save(self) -> None:
        """Keep this run's passes (written only when they differ from what is kept)."""
        if self.folder is None or (self._kept and self._now == self._before):
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            record = {"fingerprint": self.fingerprint,
                      **{key: sorted(self._now[kind]) for kind, key in KINDS.items()}}
            # Not made durable: a cache lost in a crash costs one slower run, never a verdict.
            write_atomically(self.folder / CACHE_NAME, (json.dumps(record, indent=0) + "\n").encode(),
                             durable=False)
        except OSError:
            pass  # a cache that cannot be written only costs time on the next run
