"""Helpers for the bag, package and verify tests: small statements on disk."""

from __future__ import annotations

import datetime
import hashlib
import json
import os
from pathlib import Path

from pipeline.core.records import RenderedStatement, Statement

DATE = datetime.date(2026, 11, 28)
AGENT = "statement-archive/test"
#: When the events of a package written by a test happened (the CLI passes its clock in).
EVENT_TIME = datetime.datetime(2026, 11, 28, 9, 30, tzinfo=datetime.timezone.utc)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_statement(folder: Path, identifier: str, body: str = "Body text.\n",
                   pdf: bytes | None = None, body_suffix: str = ".md") -> RenderedStatement:
    """Write metadata, body and a fake PDF for *identifier* under *folder*."""
    folder.mkdir(parents=True, exist_ok=True)
    metadata = {
        "identifier": identifier,
        "title": f"Statement {identifier} – “quoted”",
        "date_issued": "2026-11-01",
        "document_type": "press-release",
        "languages": ["en"],
        "issuer": "Ministry",
    }
    metadata_bytes = json.dumps(metadata, indent=1).encode("utf-8")
    metadata_path = folder / f"{identifier}.json"
    metadata_path.write_bytes(metadata_bytes)
    body_path = folder / f"{identifier}{body_suffix}"
    body_bytes = body.encode("utf-8")
    body_path.write_bytes(body_bytes)
    pdf_bytes = pdf if pdf is not None else b"%PDF-1.7\n% fake " + identifier.encode() + b"\n%%EOF\n"
    pdf_path = folder / "rendered" / f"{identifier}.pdf"
    pdf_path.parent.mkdir(exist_ok=True)
    pdf_path.write_bytes(pdf_bytes)
    statement = Statement(
        identifier=identifier,
        metadata_path=metadata_path,
        body_path=body_path,
        media_type="text/markdown",
        metadata_bytes=metadata_bytes,
        metadata_sha256=sha256(metadata_bytes),
        body_sha256=sha256(body_bytes),
    )
    return RenderedStatement(statement, pdf_path, sha256(pdf_bytes), "pdfa-3b")


def tree_digest(root: Path) -> dict[str, str]:
    """Every entry under *root* → sha256 of its bytes (or its kind), links not followed."""
    out: dict[str, str] = {}
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(dirs + files):
            path = Path(folder, name)
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                out[rel] = "link:" + os.readlink(path)
            elif path.is_dir():
                out[rel] = "dir"
            else:
                out[rel] = sha256(path.read_bytes())
    return out


def make_writable(path: Path) -> None:
    """Bag files are read-only (0o444); tests that tamper must chmod first."""
    os.chmod(path, 0o644)


def tamper(path: Path, data: bytes) -> None:
    make_writable(path)
    path.write_bytes(data)


def flip_byte(path: Path, offset: int = 0) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    tamper(path, bytes(data))


PACKAGE = "statements-2026-11-28-v0001"


def write_package_bag(parent: Path, payload: dict[str, bytes] | None = None) -> Path:
    """A version-1 package written by our writer directly (no statements
    needed), with every bag-info field our own rules ask for."""
    from pipeline.bagit.writer import PayloadItem, plan_payload, write_bag

    payload = payload or {
        "data/index.json": b'{"statements": ["a"]}\n',
        "data/a/a.pdf": b"%PDF-1.7\n% fake\n%%EOF\n",
        "data/a/a.md": b"# A statement\n\nBody text.\n",
        "data/b/c/deep.txt": "Ελληνικά – deep\n".encode("utf-8"),
        "data/b/x y%.txt": b"spaces and a percent sign\n",
    }
    root = parent / PACKAGE
    root.mkdir()
    items = [PayloadItem(path, content=data) for path, data in payload.items()]
    info = [("Bag-Group-Identifier", "statements"), ("Bag-Software-Agent", AGENT),
            ("Bagging-Date", DATE.isoformat()), ("External-Identifier", PACKAGE),
            ("Package-Version", "1")]
    write_bag(root, items, info, expected_sha256={path: d.digests["sha256"] for path, d in plan_payload(items).items()})
    return root
