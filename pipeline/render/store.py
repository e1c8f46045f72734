"""Rendered PDFs on disk, each with the key of everything that made it.

``<identifier>.pdf`` is written aside, fsynced and renamed into place; only
then is ``<identifier>.render.json`` written, naming the PDF's digest and
the render key. A PDF without a matching sidecar, or whose bytes no longer
match the digest in it, is never trusted: it is rendered again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from pipeline.core.files import write_atomically
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
    record = asdict(key)
    if not key.capture_sha256:
        del record["capture_sha256"], record["extractor"]
    return record


def _sidecar(out_dir: Path, identifier: str) -> Path:
    return out_dir / f"{identifier}.render.json"


def store_pdf(statement: Statement, out_dir: Path, key: RenderKey, data: bytes) -> RenderedStatement:
    out_dir.mkdir(parents=True, exist_ok=True)
    pdf_path = out_dir / f"{statement.identifier}.pdf"
    digest = hashlib.sha256(data).hexdigest()
    sidecar = _sidecar(out_dir, statement.identifier)
    if sidecar.exists():
        sidecar.unlink()  # the old key must not vouch for the new bytes
    write_atomically(pdf_path, data)
    record = {"identifier": statement.identifier, "pdf_sha256": digest, "key": key_record(key)}
    write_atomically(sidecar, (json.dumps(record, sort_keys=True, indent=2) + "\n").encode())
    return RenderedStatement(statement, pdf_path, digest, key.variant)


def load_rendered(statement: Statement, out_dir: Path, key: RenderKey) -> RenderedStatement | None:
    """The PDF rendered earlier for exactly this key, if intact; else None."""
    pdf_path = out_dir / f"{statement.identifier}.pdf"
    try:
        record = json.loads(_sidecar(out_dir, statement.identifier).read_text(encoding="utf-8"))
        data = pdf_path.read_bytes()
    except (OSError, ValueError):
        return None
    if record.get("key") != key_record(key):
        return None
    digest = hashlib.sha256(data).hexdigest()
    if digest != record.get("pdf_sha256"):
        return None
    return RenderedStatement(statement, pdf_path, digest, key.variant)
