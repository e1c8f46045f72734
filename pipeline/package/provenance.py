"""``data/_provenance/``: what made the package's PDFs, carried as payload.

So that the package describes itself (and ``verify --reproduce`` can render
every PDF again from the package alone), it holds::

    data/_provenance/README.txt          what these files are, in plain words
    data/_provenance/renditions.json     each PDF's render key and the inputs of its fingerprint
    data/_provenance/schema/<file>       the JSON Schema that validated the records ($id: its version)
    data/_provenance/templates/…         the templates and stylesheet used
    data/_provenance/locale/…            the message catalogues used (gettext .po)
    data/_provenance/fonts/<lock>        fonts.lock (and extra.lock): file, SHA-256, source, licence

Nothing here carries a date or a path of the machine: the bytes change only
when the software, templates, catalogues, fonts or schema change (and then a
new version is right). A statement identifier never starts with ``_``
(schema pattern ``^[a-z0-9]…``), so the folder cannot meet a statement's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from pipeline.bagit.writer import PayloadItem
from pipeline.core.records import Provenance, RenderedStatement

PROVENANCE_DIR = "data/_provenance"
RENDITIONS_PATH = f"{PROVENANCE_DIR}/renditions.json"
RENDITIONS_FORMAT = "statement-archive renditions 1"

README = """\
What made the PDFs of this package

renditions.json   For every statement: its PDF, the SHA-256 of the PDF, of the
                  metadata record and of the body, the body's media type, the
                  PDF/A variant, and "renderer": the SHA-256 (hex) of the lines
                  in renderer.fingerprint_inputs joined by a newline (UTF-8).
                  Those lines are: the pipeline's name and version; the
                  WeasyPrint version; the text stack (the versions of Pango,
                  HarfBuzz and fontconfig, and whether HarfBuzz's subsetter
                  and vector library were present); the SHA-256 of the font
                  list (each line "file:sha256" and a newline, in lock
                  order); the templates digest; "catalogues " and the
                  catalogues digest; whether PDFs were left uncompressed
                  ("True" or "False"); "rendition date " and the run's
                  rendition date (or "None").
                  A folder digest is the SHA-256 over, for each file in path
                  order: its path inside the folder, a zero byte, and the
                  32-byte SHA-256 of its bytes (catalogues: *.po files only).
                  Every PDF's creation date is the rendition date: the
                  record's own rendition_date if it has one, else
                  renderer.rendition_date; with neither, the PDF has none.
                  No clock is read, and the issue date is never used.
                  A statement imported from a web capture also names its
                  capture (capture, capture_sha256); its metadata record
                  says which extractor, and which version, made its text.
schema/           The JSON Schema every metadata record was valid against;
                  its $id ends with its version.
templates/        The Jinja2 template and stylesheet the PDFs were made with.
locale/           The message catalogues (gettext .po) for the labels.
fonts/            The font locks: file, SHA-256, source package, version,
                  path in the source, SPDX licence, tab-separated.
"""


def provenance_items(provenance: Provenance, renditions: bytes) -> list[PayloadItem]:
    """The payload items of ``data/_provenance/``, contents read now (they are small);
    *renditions*: ``renditions.json``'s bytes (:func:`renditions_record`, made into a file)."""
    items = fixed_provenance_items(provenance)
    items.insert(1, PayloadItem(RENDITIONS_PATH, content=renditions))
    return items


def fixed_provenance_items(provenance: Provenance) -> list[PayloadItem]:
    """Those items but ``renditions.json``: what does not depend on the statements."""
    items = [
        PayloadItem(f"{PROVENANCE_DIR}/README.txt", content=README.encode("utf-8")),
        PayloadItem(f"{PROVENANCE_DIR}/schema/{provenance.schema_path.name}",
                    content=provenance.schema_path.read_bytes()),
    ]
    for folder, name, pattern in ((provenance.templates_dir, "templates", "*"),
                                  (provenance.catalogues_dir, "locale", "*.po")):
        for path in _files(folder, pattern):
            items.append(PayloadItem(f"{PROVENANCE_DIR}/{name}/{path.relative_to(folder).as_posix()}",
                                     content=path.read_bytes()))
    for lock in provenance.font_locks:
        items.append(PayloadItem(f"{PROVENANCE_DIR}/fonts/{lock.name}", content=lock.read_bytes()))
    return items


def is_statement_path(bag_path: str) -> bool:
    """A payload path inside a statement's folder (not the index, not provenance)."""
    return bag_path.count("/") >= 2 and not bag_path.split("/")[1].startswith("_")


def renditions_record(provenance: Provenance, rendered: Sequence[RenderedStatement]) -> dict[str, object]:
    """What ``renditions.json`` says (see README above)."""
    facts = provenance.facts
    record = {
        "format": RENDITIONS_FORMAT,
        "schema": {"id": provenance.schema_id, "file": f"schema/{provenance.schema_path.name}"},
        "renderer": {
            "fingerprint": facts.fingerprint,
            "fingerprint_inputs": list(facts.fingerprint_inputs),
            "software": facts.software_agent,
            "weasyprint": facts.weasyprint,
            "text_stack": facts.text_stack,
            "fonts_fingerprint": facts.fonts_fingerprint,
            "fonts": [{"file": f, "sha256": d, "licence": lic} for f, d, lic in facts.fonts],
            "templates_digest": facts.templates_digest,
            "catalogues_digest": facts.catalogues_digest,
            "uncompressed": facts.uncompressed,
            "rendition_date": facts.rendition_date,
        },
        "statements": [_entry(r, facts.fingerprint) for r in sorted(rendered, key=lambda r: r.statement.identifier)],
    }
    return record


def _entry(item: RenderedStatement, fingerprint: str) -> dict[str, str]:
    s = item.statement
    folder = f"data/{s.identifier}"
    return {
        "identifier": s.identifier,
        "pdf": f"{folder}/{s.identifier}.pdf", "pdf_sha256": item.pdf_sha256,
        "metadata": f"{folder}/{s.metadata_path.name}", "metadata_sha256": s.metadata_sha256,
        "body": f"{folder}/{s.body_path.name}", "body_sha256": s.body_sha256,
        "media_type": s.media_type, "variant": item.variant, "renderer": fingerprint,
        "rendition_date": s.summary["rendition_date"],  # the record's own, if any
        **({"capture": f"{folder}/{s.capture_path.name}", "capture_sha256": s.capture_sha256}
           if s.capture_path is not None else {}),
    }


def _files(folder: Path, pattern: str) -> list[Path]:
    # Regular files only, never through a link: what is carried is what was read.
    return sorted(p for p in folder.rglob(pattern) if p.is_file() and not p.is_symlink())
