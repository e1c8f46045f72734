"""A statement's metadata and body as the catalogue shows and searches them.

Files are read without following links and must match the SHA-256 their
package's manifest records (K003 otherwise: the catalogue never shows bytes
the package does not vouch for). Bodies are decoded and laid out exactly as
for the PDF (``pipeline.statements``), so HTML passes the same sanitiser.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import nh3

from pipeline.core.records import BODY_MEDIA_TYPES
from pipeline.statements.body import BodyDecodeError, decode_body
from pipeline.statements.files import Unreadable, read_file
from pipeline.statements.markup import BodyLayout, layout_body

_FILE_LIMIT = 64 * 2**20
_WORDS = re.compile(r"\S+")
#: Metadata fields listed, searched and shown in the title block, in that order.
LISTED = ("title", "issuer", "date_issued", "document_type", "languages")


class ContentUnusable(Exception):
    """A statement file cannot be read, or differs from its manifest digest."""


def read_verified(package_dir: Path, bag_path: str, sha256: str) -> bytes:
    path = package_dir / bag_path
    try:
        data = read_file(path, _FILE_LIMIT, package_dir)
    except (Unreadable, OSError) as exc:
        raise ContentUnusable(f"{path}: cannot be read ({exc})") from None
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ContentUnusable(f"{path}: differs from the SHA-256 in the package manifest; "
                              "run `statement-archive verify`")
    return data


@dataclass(frozen=True)
class StatementText:
    """Metadata (parsed) and the body (decoded and laid out)."""

    metadata: Mapping[str, Any]
    body_text: str
    body: BodyLayout
    media_type: str


def read_text(package_dir: Path, metadata: tuple[str, str], body: tuple[str, str]) -> StatementText:
    """*metadata* and *body* are (bag path, SHA-256)."""
    try:
        record = json.loads(read_verified(package_dir, *metadata).decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ContentUnusable(f"{package_dir / metadata[0]}: not JSON ({exc})") from None
    if not isinstance(record, dict):
        raise ContentUnusable(f"{package_dir / metadata[0]}: not a JSON object")
    media_type = BODY_MEDIA_TYPES.get(Path(body[0]).suffix)
    if media_type is None:
        raise ContentUnusable(f"{package_dir / body[0]}: not a known body type")
    try:
        text = decode_body(read_verified(package_dir, *body))
    except BodyDecodeError as exc:
        raise ContentUnusable(f"{package_dir / body[0]}: {exc}") from None
    return StatementText(record, text, layout_body(text, media_type), media_type)


def plain_text(layout: BodyLayout) -> str:
    """The words a reader sees, for search and diffs."""
    if layout.paragraphs:
        return "\n\n".join(layout.paragraphs)
    spaced = re.sub(r"<(?:/p|br|/li|/h[1-6]|/tr|/td|/th|/dt|/dd)>", "\\g<0>\n", layout.html)
    return html.unescape(nh3.clean(spaced, tags=set()))


def text_of(value: Any) -> str:
    """A metadata value as one line of text (lists joined, objects flattened)."""
    if isinstance(value, list):
        return ", ".join(text_of(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(text_of(v) for _, v in sorted(value.items()))
    return "" if value is None else str(value)


def search_words(record: Mapping[str, Any], body: str) -> str:
    """Every distinct word of the metadata and body, lower-cased, in first-seen order.

    Searching is substring matching per word (CJK has no spaces, so a Chinese
    word is found inside its run), and a word counts once however often it
    occurs, which keeps the index small.
    """
    words: list[str] = []
    for value in [text_of(record.get(k)) for k in sorted(record) if k != "$schema"] + [body]:
        words += _WORDS.findall(value.lower())
    return " ".join(dict.fromkeys(words))
