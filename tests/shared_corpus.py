"""The shared corpus of real statements, as statements in our own schema.

``../shared/corpus`` (beside the checkout; CI has it, a user's clone may not)
holds twenty real statements, each a body plus a JSON file of the *facts* known
about it, in a different shape from our metadata. :func:`write_shared_corpus`
does what a records officer would: writes our metadata from those facts and
copies the body bytes unchanged, into a folder the caller chooses (a tmp dir).
Nothing from the corpus is ever copied into the repository.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

SHARED_CORPUS = Path(
    os.environ.get("STATEMENT_ARCHIVE_SHARED_CORPUS")
    or Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
)
SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "statement.schema.json"

BODY_SUFFIXES = (".txt", ".md", ".html")

# Free-text document types of the facts files → our enum. First match wins,
# so the more specific phrases come first.
_DOCUMENT_TYPES: tuple[tuple[str, str], ...] = (
    ("joint statement", "joint statement"),
    ("briefing", "press briefing"),
    ("media note", "media note"),
    ("press statement", "press statement"),
    ("press release", "press release"),
    ("communiqu", "communiqué"),
    ("interview", "interview"),
    ("remarks", "remarks"),
    ("letter", "letter"),
    ("decree", "decree"),
    ("decision", "decision"),
    ("besluit", "decision"),
    ("address", "address"),
    ("speech", "speech"),
    ("statement", "statement"),
)


def document_type(free_text: str) -> str:
    """Our ``document_type`` for a free-text type such as 'press briefing transcript'."""
    lowered = free_text.lower()
    for phrase, ours in _DOCUMENT_TYPES:
        if phrase in lowered:
            return ours
    raise ValueError(f"no document_type for {free_text!r}: extend _DOCUMENT_TYPES")


def identifier_for(stem: str) -> str:
    """A lower-case identifier, safe as a file name, from a corpus file's stem."""
    slug = re.sub(r"[^a-z0-9._-]+", "-", stem.lower()).strip("-._")
    return re.sub(r"\.{2,}", ".", slug)[:100]


def facts_files(corpus: Path = SHARED_CORPUS) -> list[Path]:
    """The facts files of the corpus, sorted (README and bodies excluded)."""
    return sorted(p for p in corpus.glob("*.json") if p.is_file())


def body_file(facts: dict[str, Any], corpus: Path = SHARED_CORPUS) -> Path:
    return corpus / facts["file"]


def metadata_from_facts(facts: dict[str, Any], identifier: str) -> dict[str, Any]:
    """Our metadata record for one statement, from its facts file."""
    retrieved = facts.get("retrieved_from") or {}
    note_parts = [facts.get("source_url_note", "")]
    if retrieved:
        note_parts.append(
            f"Text taken from the GitHub repository {retrieved['repository']} at commit "
            f"{retrieved['commit']}, file {retrieved['path']}"
            + (f" ({retrieved['how']})" if retrieved.get("how") else "") + "."
        )
    note = " ".join(p for p in note_parts if p)
    quirks = facts.get("awkward_features") or []
    description = facts.get("date_note", "")
    if quirks:
        description = (description + " " if description else "") + (
            "Kept byte for byte as found; features of the text: " + "; ".join(quirks) + "."
        )
    metadata: dict[str, Any] = {
        "identifier": identifier,
        "title": facts["title"],
        "issuer": facts["issuer"],
        "document_type": document_type(facts["document_type"]),
        "date_issued": facts["date"],
        "languages": list(facts.get("languages") or [facts["language"]]),
        "source": {"url": facts["source_url"], **({"note": note} if note else {})},
        "rights": {"statement": facts["licence"], "access": "public"},
    }
    if facts.get("speaker"):
        metadata["speaker"] = facts["speaker"]
    if description:
        metadata["description"] = description
    if "CC0" in facts["licence"]:
        metadata["rights"]["licence"] = "CC0-1.0"
    return metadata


def write_shared_corpus(dest: Path, corpus: Path = SHARED_CORPUS) -> list[str]:
    """Write every corpus statement into ``dest`` in our layout; return the identifiers.

    ``dest/<identifier>.json`` is our metadata; ``dest/<identifier><suffix>`` is
    a byte-for-byte copy of the body.
    """
    dest.mkdir(parents=True, exist_ok=True)
    identifiers = []
    for path in facts_files(corpus):
        facts = json.loads(path.read_text(encoding="utf-8"))
        body = body_file(facts, corpus)
        if body.suffix not in BODY_SUFFIXES:
            raise ValueError(f"{body.name}: unexpected body suffix")
        identifier = identifier_for(path.stem)
        record = metadata_from_facts(facts, identifier)
        (dest / f"{identifier}.json").write_text(
            json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
        shutil.copyfile(body, dest / f"{identifier}{body.suffix}")
        identifiers.append(identifier)
    return identifiers
