"""Rules for statements imported from a web capture (see ``statement-archive import``).

A draft is refused until an officer has reviewed it; the capture named in
the metadata must be the file beside it, with the SHA-256 recorded at
import; a reviewed body must still be the text the reviewer approved.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from pipeline.core.records import Problem
from pipeline.statements.files import Unreadable, printable

# A capture is a page (or one WARC record); larger is a whole site.
MAX_CAPTURE_BYTES = 20 * 2**20


@dataclass(frozen=True)
class CaptureFinding:
    problems: list[Problem]
    path: Path | None = None
    media_type: str = ""
    sha256: str = ""


def check_capture(metadata: Any, metadata_path: Path, body: bytes, file: str,
                  read: Callable[[Path, int], bytes]) -> CaptureFinding:
    if not isinstance(metadata, dict) or not isinstance(metadata.get("capture"), dict):
        if isinstance(metadata, dict) and "review" in metadata:
            return CaptureFinding([Problem("V032", file, "/capture",
                                           "`review` is only for statements imported from a capture; "
                                           "this one names no capture")])
        return CaptureFinding([])
    capture, review = metadata["capture"], metadata.get("review")
    problems: list[Problem] = []
    if not isinstance(review, dict) or review.get("status") != "reviewed":
        problems.append(Problem("V031", file, "/review/status",
                                "this statement is an imported draft: check its text against the capture "
                                f"and its metadata, then run `statement-archive review {metadata.get('identifier', '?')}`"))
    elif isinstance(review.get("body_sha256"), str) and review["body_sha256"] != hashlib.sha256(body).hexdigest():
        problems.append(Problem("V034", file, "/review/body_sha256",
                                "the body is not the text the reviewer approved (it changed after review): "
                                "review it again"))
    name, identifier = capture.get("file"), metadata.get("identifier")
    if not isinstance(name, str) or not isinstance(identifier, str) or not name.startswith(f"{identifier}.capture."):
        return CaptureFinding(problems + [Problem("V032", file, "/capture/file",
                                                  f"the capture must be named {identifier}.capture.<ext> "
                                                  "beside the metadata")])
    path = metadata_path.with_name(name)
    try:
        data = read(path, MAX_CAPTURE_BYTES)
    except Unreadable as exc:
        return CaptureFinding(problems + [Problem("V032" if exc.code == "V021" else exc.code, file, "/capture/file",
                                                  f"{printable(name)} {exc}")])
    digest = hashlib.sha256(data).hexdigest()
    if digest != capture.get("sha256"):
        problems.append(Problem("V033", file, "/capture/sha256",
                                f"{printable(name)} has SHA-256 {digest}, not the {capture.get('sha256')} recorded "
                                "at import: the capture was changed or replaced; restore the original"))
    return CaptureFinding(problems, path, str(capture.get("media_type", "")), digest)
