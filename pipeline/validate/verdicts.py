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
identifiers used twice) is checked on every run. Like the check stage's
verdicts beside the PDFs, the file lives in the build folder, the officer's
own working space (:mod:`pipeline.core.kept`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Iterable

from pipeline.core.kept import read_kept, write_kept
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
        kept = read_kept(folder / CACHE_NAME, fingerprint) if folder is not None else None
        # whether the file holds this fingerprint's passes (none usable: everything is checked)
        self._kept = kept is not None and all(isinstance(kept.get(key), list) for key in KINDS.values())
        if self._kept:
            self._before = {kind: frozenset(d for d in kept[key] if isinstance(d, str))
                            for kind, key in KINDS.items()}

    def passed_before(self, sha256: str, kind: str = "metadata") -> bool:
        return sha256 in self._before[kind]

    def passed(self, sha256: str, kind: str = "metadata") -> None:
        self._now[kind].add(sha256)

    def save(self) -> None:
        """Keep this run's passes (written only when they differ from what is kept)."""
        if self.folder is None or (self._kept and self._now == self._before):
            return
        write_kept(self.folder / CACHE_NAME, self.fingerprint,
                   {key: sorted(self._now[kind]) for kind, key in KINDS.items()})
