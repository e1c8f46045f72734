"""Write statements (metadata + body) into a folder, as an officer would."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pipeline.core.records import BODY_MEDIA_TYPES, Statement


def metadata_for(identifier: str, **overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "identifier": identifier,
        "title": f"Test statement {identifier}",
        "issuer": "Ministry of Foreign Affairs of Examplia",
        "document_type": "statement",
        "date_issued": "2024-03-15",
        "languages": ["en"],
        "subjects": ["testing"],
        "source": {"note": "written for the test suite"},
        "rights": {"statement": "Public domain (test data)", "access": "public"},
    }
    record.update(overrides)
    return record


def write_statement(folder: Path, identifier: str, body: bytes | str, suffix: str = ".txt", **overrides: Any) -> Statement:
    """Write ``identifier.json`` and the body; return the Statement record for it."""
    folder.mkdir(parents=True, exist_ok=True)
    metadata = metadata_for(identifier, **overrides)
    metadata_bytes = (json.dumps(metadata, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    body_bytes = body.encode("utf-8") if isinstance(body, str) else body
    metadata_path = folder / f"{identifier}.json"
    body_path = folder / f"{identifier}{suffix}"
    metadata_path.write_bytes(metadata_bytes)
    body_path.write_bytes(body_bytes)
    return Statement(
        identifier=identifier,
        metadata_path=metadata_path,
        body_path=body_path,
        media_type=BODY_MEDIA_TYPES[suffix],
        metadata_bytes=metadata_bytes,
        metadata_sha256=hashlib.sha256(metadata_bytes).hexdigest(),
        body_sha256=hashlib.sha256(body_bytes).hexdigest(),
    )
