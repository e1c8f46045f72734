"""Reviewing an imported draft: what to show the officer, and marking it reviewed.

The officer sees the capture's dropped furniture and the kept text in the
capture's own order, and the drafted fields with where each came from. Marking
it reviewed records the SHA-256 of the body as approved, so a later edit of
the text is caught by validation (V034) rather than archived unreviewed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.core.errors import InputError
from pipeline.importer.draft import FILL_IN
from pipeline.importer.stage import encode_metadata
from pipeline.statements.files import Unreadable, read_file

_LIMIT = 20 * 2**20


@dataclass(frozen=True)
class ReviewCase:
    identifier: str
    metadata_path: Path
    metadata: dict[str, Any]
    body: str
    body_sha256: str


def load_review(statements_dir: Path, identifier: str) -> ReviewCase:
    folder = statements_dir.resolve()
    path = folder / f"{identifier}.json"
    if "/" in identifier or identifier.startswith(".") or not path.is_relative_to(folder):
        raise InputError(f"I010 {identifier}: not an identifier")
    try:
        metadata = json.loads(read_file(path, _LIMIT, folder))
        body = read_file(folder / f"{identifier}.txt", _LIMIT, folder)
    except (Unreadable, FileNotFoundError, ValueError) as exc:
        raise InputError(f"I010 {path}: cannot be reviewed ({exc}); import the capture first") from None
    if not isinstance(metadata, dict) or "review" not in metadata or "capture" not in metadata:
        raise InputError(f"I010 {path}: not an imported statement (no `capture` and `review`); nothing to review")
    return ReviewCase(identifier, path, metadata, body.decode("utf-8", "replace"), hashlib.sha256(body).hexdigest())


def review_lines(case: ReviewCase, width: int = 100) -> list[str]:
    """The page as imported: '-' furniture dropped, '+' the statement kept, in capture order."""
    extraction = case.metadata.get("extraction", {})
    ranges = [("+", r) for r in extraction.get("kept", [])] + [("-", r) for r in extraction.get("dropped", [])]
    ranges.sort(key=lambda item: (item[1].get("lines") or [0])[0])
    out = [f"{case.identifier}: {extraction.get('tool')} {extraction.get('version')} "
           f"({extraction.get('ranges', '')})", ""]
    for mark, run in ranges:
        lines = run.get("lines") or [0, 0]
        out.append(f"{mark} lines {lines[0]}-{lines[1]}  {run.get('why', '')}: {run.get('text', '')}"[:width * 2])
    out += ["", "The text that will be rendered:", ""]
    out += [f"  | {line}" for line in case.body.splitlines()]
    out += ["", "Drafted fields (check each):"]
    for name, where in sorted(case.metadata.get("drafted_from", {}).items()):
        value = case.metadata.get(name.split(".")[0], "")
        if "." in name and isinstance(value, dict):
            value = value.get(name.split(".", 1)[1], "")
        out.append(f"  {name}: {json.dumps(value, ensure_ascii=False)[:120]}  ← {where}")
    attention = case.metadata.get("review", {}).get("needs_attention", [])
    if attention:
        out += ["", "Needs attention:"] + [f"  ! {item}" for item in attention]
    return out


def reviewed_metadata(case: ReviewCase, *, by: str, at: str) -> bytes:
    """The metadata with ``review`` marked reviewed; nothing else changes.

    Refused while a drafted field still says "fill in": a reviewed statement
    must not carry a placeholder into the archive as if it were a fact.
    """
    unfilled = sorted(name for name, value in _leaves(case.metadata) if isinstance(value, str) and FILL_IN in value)
    if unfilled:
        raise InputError(f"I010 {case.metadata_path}: still to fill in: {', '.join(unfilled)}; "
                         "edit the metadata, then review again")
    metadata = dict(case.metadata)
    review = {"status": "reviewed", "body_sha256": case.body_sha256, "reviewed_at": at}
    if by:
        review["reviewed_by"] = by
    if case.metadata["review"].get("needs_attention"):
        review["needs_attention"] = case.metadata["review"]["needs_attention"]
    metadata["review"] = review
    return encode_metadata(metadata)


def _leaves(value: Any, pointer: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [leaf for key, item in value.items() if key not in ("drafted_from", "review", "extraction")
                for leaf in _leaves(item, f"{pointer}/{key}")]
    if isinstance(value, list):
        return [leaf for index, item in enumerate(value) for leaf in _leaves(item, f"{pointer}/{index}")]
    return [(pointer, value)]
