"""Rendered PDFs on disk, each with the key of everything that made it.

``<identifier>.pdf`` is written aside, fsynced and renamed into place; only
then is ``<identifier>.render.json`` written, naming the PDF's digest and
the render key (and the file's identity: :func:`load_rendered`). A PDF
without a matching sidecar, or whose bytes no longer match the digest in it,
is never trusted: it is rendered again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.files import write_atomically
from pipeline.core.identity import identity
from pipeline.core.records import RenderedStatement, Statement


@dataclass(frozen=True)
class RenderKey:
    metadata_sha256: str
    body_sha256: str
    media_type: str
    renderer: str  # digest of software versions, fonts, templates, options
    variant: str
    # Imported statements only: the capture's digest and the extractors'
    # versions, so a new extractor re-renders these and nothing else.
    capture_sha256: str = ""
    extractor: str = ""

    @classmethod
    def of(cls, statement: Statement, renderer: str, variant: str, extractor: str = "") -> "RenderKey":
        if statement.capture_path is None:
            return cls(statement.metadata_sha256, statement.body_sha256, statement.media_type, renderer, variant)
        return cls(statement.metadata_sha256, statement.body_sha256, statement.media_type, renderer, variant,
                   statement.capture_sha256, extractor)


def key_record(key: RenderKey) -> dict[str, str]:
    """The key as stored; a statement without a capture keeps the key it had
    before captures existed, so adding them re-rendered nothing."""
    record = dict(vars(key))  # its fields: str values only, so no deep copy (asdict) is needed
    if not key.capture_sha256:
        del record["capture_sha256"], record["extractor"]
    return record


def _sidecar(out_dir: Path | str, identifier: str) -> str:
    """The sidecar's path, as text: made for every statement of every build."""
    return f"{out_dir}/{identifier}.render.json"


def store_pdf(statement: Statement, out_dir: Path, key: RenderKey, data: bytes) -> RenderedStatement:
    out_dir.mkdir(parents=True, exist_ok=True)
    pdf_path = out_dir / f"{statement.identifier}.pdf"
    digest = hashlib.sha256(data).hexdigest()
    sidecar = Path(_sidecar(out_dir, statement.identifier))
    if sidecar.exists():
        sidecar.unlink()  # the old key must not vouch for the new bytes
    write_atomically(pdf_path, data)
    record = {"identifier": statement.identifier, "pdf_sha256": digest, "key": key_record(key),
              "stat": _identity(pdf_path)}
    write_atomically(sidecar, (json.dumps(record, sort_keys=True, indent=2) + "\n").encode())
    return RenderedStatement(statement, pdf_path, digest, key.variant)


def load_rendered(statement: Statement, out_dir: Path, key: RenderKey) -> RenderedStatement | None:
    """The PDF rendered earlier for exactly this key, if intact; else None.

    Its SHA-256 is taken from its bytes, unless the file is provably the one
    this store wrote: the same inode, size, modification and change times
    (to the nanosecond, or the file system clock's tick) as when it was
    stored. Any write, rename over, copy, chmod or link changes one of them
    (the change time cannot be set back by a program), and then the bytes
    are read and hashed as before. A build with
    nothing changed then reads no PDF; every PDF that goes into a package is
    hashed again as it is copied there (P001 if it differs).
    """
    try:
        with open(_sidecar(out_dir, statement.identifier), encoding="utf-8") as handle:
            record = json.load(handle)
        if record.get("key") != key_record(key):
            return None
        pdf_path = out_dir / f"{statement.identifier}.pdf"
        if record.get("stat") is not None and record["stat"] == _identity(pdf_path):
            digest = record.get("pdf_sha256")
            return RenderedStatement(statement, pdf_path, digest, key.variant) if isinstance(digest, str) else None
        data = pdf_path.read_bytes()
    except (OSError, ValueError, AttributeError):
        return None
    digest = hashlib.sha256(data).hexdigest()
    if digest != record.get("pdf_sha256"):
        return None
    return RenderedStatement(statement, pdf_path, digest, key.variant)


def _identity(path: Path) -> list[int]:
    """What changes whenever the file's bytes may have (:mod:`pipeline.core.identity`), as JSON keeps it."""
    return list(identity(path.stat()))
