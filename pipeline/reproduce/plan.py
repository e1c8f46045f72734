"""What a package says made its PDFs, read into statements that point at its own files.

Nothing is extracted: each statement's metadata and body are the package's
own files under ``data/<identifier>/``, read once here and compared with the
digests ``renditions.json`` records; the templates are the package's
``data/_provenance/templates/``. A package written before provenance was
recorded yields a plan with nothing to reproduce and a D004 saying what is
missing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from pipeline.core.records import Problem, Statement, fingerprint_lines
from pipeline.statements.strictjson import parse_json

PROVENANCE = Path("data") / "_provenance"
RENDITIONS = PROVENANCE / "renditions.json"
TEMPLATES = PROVENANCE / "templates"
FORMAT = "statement-archive renditions 1"
_RENDERER_FIELDS = ("software", "weasyprint", "text_stack", "fonts_fingerprint", "fonts",
                    "templates_digest", "catalogues_digest", "uncompressed", "fingerprint")
_ENTRY_FIELDS = ("identifier", "pdf", "pdf_sha256", "metadata", "metadata_sha256", "body", "body_sha256",
                 "media_type", "variant", "renderer")


@dataclass(frozen=True)
class Rendition:
    """One archived PDF and the statement (the package's own files) it was rendered from."""

    statement: Statement
    pdf_path: Path
    variant: str


@dataclass(frozen=True)
class ReproductionPlan:
    package: str
    path: Path
    templates_dir: Path
    renderer: Mapping[str, Any] = field(hash=False, compare=False)  # renditions.json "renderer"
    renditions: tuple[Rendition, ...] = ()
    problems: tuple[Problem, ...] = ()


def read_plan(path: Path, name: str | None = None) -> ReproductionPlan:
    name = name or path.name
    renditions_file = path / RENDITIONS
    if not renditions_file.is_file():
        missing = [str(p) for p in (RENDITIONS, TEMPLATES, PROVENANCE / "fonts")
                   if not (path / p).exists()]
        return ReproductionPlan(name, path, path / TEMPLATES, {}, (), (Problem(
            "D004", f"{name}/{RENDITIONS}", "",
            f"nothing to reproduce from: the package lacks {', '.join(missing)} (it was written before "
            "packages recorded what made their PDFs); its PDFs are checked by verify, not re-rendered",
            "warning"),))
    where = f"{name}/{RENDITIONS}"
    record, problems = parse_json(_read(renditions_file), where)
    if problems or not isinstance(record, dict):
        return _malformed(name, path, where, "is not valid JSON")
    renderer = record.get("renderer")
    entries = record.get("statements")
    if record.get("format") != FORMAT or not isinstance(renderer, dict) or not isinstance(entries, list):
        return _malformed(name, path, where, f"is not a {FORMAT!r} record")
    if missing := [f for f in _RENDERER_FIELDS if f not in renderer]:
        return _malformed(name, path, where, f"renderer lacks {', '.join(missing)}")
    if (recomputed := _fingerprint(renderer)) != renderer["fingerprint"]:
        return _malformed(name, path, where, f"renderer fingerprint {renderer['fingerprint']} is not the "
                          f"SHA-256 of its recorded inputs ({recomputed})")
    renditions, problems = [], []
    for number, entry in enumerate(entries):
        rendition, problem = _rendition(name, path, where, number, entry, renderer["fingerprint"])
        if problem:
            problems.append(problem)
        else:
            renditions.append(rendition)
    if not (path / TEMPLATES).is_dir():
        problems.append(Problem("D005", f"{name}/{TEMPLATES}", "", "the templates folder is missing"))
        renditions = []
    return ReproductionPlan(name, path, path / TEMPLATES, renderer, tuple(renditions), tuple(problems))


def _fingerprint(renderer: Mapping[str, Any]) -> str:
    lines = fingerprint_lines(str(renderer["software"]), str(renderer["weasyprint"]),
                              str(renderer["text_stack"]), str(renderer["fonts_fingerprint"]),
                              str(renderer["templates_digest"]), str(renderer["catalogues_digest"]),
                              bool(renderer["uncompressed"]), renderer.get("rendition_date"))
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _rendition(name: str, path: Path, where: str, number: int, entry: Any,
               fingerprint: str) -> tuple[Rendition | None, Problem | None]:
    pointer = f"/statements/{number}"
    if not isinstance(entry, dict) or any(not isinstance(entry.get(f), str) for f in _ENTRY_FIELDS):
        return None, Problem("D005", where, pointer, f"an entry needs {', '.join(_ENTRY_FIELDS)}")
    identifier = entry["identifier"]
    if entry["renderer"] != fingerprint:
        return None, Problem("D005", where, pointer, f"{identifier} names another renderer than the package's")
    files = {kind: _inside(path, entry[kind]) for kind in ("pdf", "metadata", "body")}
    if bad := [entry[kind] for kind, file in files.items() if file is None]:
        return None, Problem("D005", where, pointer, f"{identifier}: {', '.join(bad)} missing or outside data/")
    metadata_bytes, body_bytes = _read(files["metadata"]), _read(files["body"])
    for kind, data in (("metadata", metadata_bytes), ("body", body_bytes)):
        if hashlib.sha256(data).hexdigest() != entry[f"{kind}_sha256"].lower():
            return None, Problem("D005", f"{name}/{entry[kind]}", "",
                                 f"not the bytes {identifier}'s PDF was rendered from "
                                 "(SHA-256 differs from renditions.json)")
    metadata, problems = parse_json(metadata_bytes, f"{name}/{entry['metadata']}")
    if problems or not isinstance(metadata, dict):
        return None, Problem("D005", f"{name}/{entry['metadata']}", "", "the metadata record is not valid JSON")
    capture: dict[str, Any] = {}
    if "capture" in entry:  # imported from a web capture: the PDF embeds it as its Source
        capture_file = _inside(path, str(entry["capture"]))
        if capture_file is None or not isinstance(metadata.get("capture"), dict):
            return None, Problem("D005", where, pointer, f"{identifier}: its capture {entry['capture']} is missing")
        if hashlib.sha256(_read(capture_file)).hexdigest() != str(entry.get("capture_sha256", "")).lower():
            return None, Problem("D005", f"{name}/{entry['capture']}", "",
                                 f"not the capture {identifier}'s PDF was rendered from (SHA-256 differs)")
        capture = {"capture_path": capture_file, "capture_sha256": str(entry["capture_sha256"]).lower(),
                   "capture_media_type": str(metadata["capture"].get("media_type", ""))}
    statement = Statement(identifier, files["metadata"], files["body"], entry["media_type"], metadata_bytes,
                          entry["metadata_sha256"].lower(), entry["body_sha256"].lower(), **capture)
    return Rendition(statement, files["pdf"], entry["variant"]), None


def _inside(package: Path, relative: str) -> Path | None:
    """The package's own file at *relative* (under data/, no '..', no links), else None."""
    parts = Path(relative).parts
    if not parts or parts[0] != "data" or ".." in parts or Path(relative).is_absolute():
        return None
    target = package.joinpath(*parts)
    if target.is_symlink() or not target.is_file():
        return None
    return target


def _read(path: Path) -> bytes:
    return path.read_bytes()


def _malformed(name: str, path: Path, where: str, why: str) -> ReproductionPlan:
    return ReproductionPlan(name, path, path / TEMPLATES, {}, (), (Problem(
        "D005", where, "", f"{why}; the package's PDFs cannot be re-rendered from it"),))
