"""What each page shows, computed from the holdings (no HTML here).

* :func:`entry_of`: a statement's row in the list and in the search index.
* :func:`statement_view`: its page: title block, files, versions, diffs, events.
* :func:`package_views`: what each package added, changed and withdrew.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from pipeline.catalogue.content import StatementText, plain_text, read_text, search_words, text_of
from pipeline.catalogue.history import distinct_versions, metadata_changes, text_changes
from pipeline.catalogue.holdings import Copy, Holdings, Package
from pipeline.catalogue.pages import direction, language
from pipeline.catalogue.thumbnails import thumbnail_name
from pipeline.events.log import LoggedEvent

FILE_LABELS = {"pdf": "PDF/A", "metadata": "Metadata (JSON)", "body": "Original text"}


def year_of(date: str) -> str:
    return date[:4] if len(date) >= 4 and date[:4].isdigit() else ""


def entry_of(copy: Copy, text: StatementText, withdrawn: bool) -> dict[str, Any]:
    """The list row and search words of a statement's newest copy (JSON-ready)."""
    record = text.metadata
    languages = [language(t) for t in record.get("languages", [])] if isinstance(record.get("languages"), list) else []
    return {
        "identifier": copy.identifier,
        "title": text_of(record.get("title")) or copy.identifier,
        "issuer": text_of(record.get("issuer")),
        "date_issued": text_of(record.get("date_issued")),
        "year": year_of(text_of(record.get("date_issued"))),
        "document_type": text_of(record.get("document_type")),
        "languages": languages,
        "lang": languages[0] if languages else "und",
        "dir": direction(languages[0]) if languages else "ltr",
        "withdrawn": withdrawn,
        "words": search_words(record, plain_text(text.body)),
    }


def relative_link(target: Path, page_folder: Path) -> str:
    return os.path.relpath(target, page_folder).replace(os.sep, "/")


@dataclass(frozen=True)
class Version:
    package: str
    packages: tuple[str, ...]  # every package holding these same bytes
    files: tuple[dict[str, str], ...]
    metadata_changes: tuple = ()
    text_changes: tuple = ()
    first: bool = False


def statement_view(holdings: Holdings, identifier: str, out: Path, archive_dir: Path,
                   events: Sequence[LoggedEvent]) -> dict[str, Any]:
    """Everything the statement's page shows. Reads the files of each distinct version."""
    copies = holdings.copies[identifier]
    package_dirs = {p.name: p.path for p in holdings.packages}
    page_folder = out / "statements"
    starts = distinct_versions([c.key for c in copies])
    texts: dict[int, StatementText] = {}

    def text(i: int) -> StatementText:
        if i not in texts:
            copy = copies[i]
            meta, body = copy.file("metadata"), copy.file("body")
            texts[i] = read_text(package_dirs[copy.package], (meta.bag_path, meta.sha256),
                                 (body.bag_path, body.sha256))
        return texts[i]

    versions = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(copies)
        changes_meta, changes_text = (), ()
        if n:
            before, after = text(starts[n - 1]), text(start)
            changes_meta = metadata_changes(before.metadata, after.metadata)
            changes_text = text_changes(plain_text(before.body), plain_text(after.body))
        versions.append(Version(copies[start].package, tuple(c.package for c in copies[start:end]),
                                _files(copies[end - 1], package_dirs, page_folder),
                                changes_meta, changes_text, n == 0))
    newest = copies[-1]
    current = text(starts[-1])
    record = current.metadata
    tags = record.get("languages") if isinstance(record.get("languages"), list) else []
    lang = language(tags[0]) if tags else "und"
    pdf = newest.file("pdf")
    return {
        "identifier": identifier,
        "record": record,
        "facts": _facts(record),
        "lang": lang,
        "dir": direction(lang),
        "body": current.body,
        "files": _files(newest, package_dirs, page_folder),
        "newest_package": newest.package,
        "thumbnail": f"../{thumbnail_name(pdf.sha256)}" if pdf else "",
        "pdf_link": next((f["href"] for f in _files(newest, package_dirs, page_folder) if f["kind"] == "pdf"), ""),
        "versions": list(reversed(versions)),
        "withdrawal": holdings.withdrawal(identifier),
        "events": [_event(e) for e in events],
    }


def _files(copy: Copy, package_dirs: Mapping[str, Path], page_folder: Path) -> tuple[dict[str, str], ...]:
    return tuple({"kind": f.kind, "label": FILE_LABELS[f.kind], "sha256": f.sha256, "name": f.bag_path,
                  "href": relative_link(package_dirs[copy.package] / f.bag_path, page_folder),
                  "package": copy.package} for f in copy.files)


def _facts(record: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The title block's facts, in the PDF's order and with the PDF's labels."""
    source = record.get("source") if isinstance(record.get("source"), dict) else {}
    rights = record.get("rights") if isinstance(record.get("rights"), dict) else {}
    facts = [("Issued by", text_of(record.get("issuer"))), ("Speaker", text_of(record.get("speaker"))),
             ("Date issued", text_of(record.get("date_issued"))),
             ("Language", text_of(record.get("languages"))),
             ("Subjects", "; ".join(text_of(s) for s in record.get("subjects", []))
              if isinstance(record.get("subjects"), list) else text_of(record.get("subjects"))),
             ("Identifier", text_of(record.get("identifier"))),
             ("Source", text_of(source.get("url"))), ("Source note", text_of(source.get("note"))),
             ("Rights", text_of(rights.get("statement")) +
              (f" (access: {text_of(rights.get('access'))})" if rights.get("access") else ""))]
    return [(label, value) for label, value in facts if value]


def _event(event: LoggedEvent) -> dict[str, str]:
    return {"date_time": event.date_time, "type": event.event_type, "outcome": event.outcome,
            "detail": event.detail, "identifier": event.identifier,
            "agents": ", ".join(a.value for a in event.agents)}


def package_views(holdings: Holdings, events_by_package: Mapping[str, Sequence[LoggedEvent]],
                  out: Path) -> list[dict[str, Any]]:
    """Each package with what it added, changed, withdrew or no longer holds, newest first."""
    views = []
    previous: dict[str, Package] = {}
    by_package: dict[str, dict[str, tuple]] = {}
    for copies in holdings.copies.values():
        for c in copies:
            by_package.setdefault(c.package, {})[c.identifier] = c.key
    for package in holdings.packages:
        before = previous.get(package.group)
        held = by_package.get(package.name, {})
        old = by_package.get(before.name, {}) if before else {}
        withdrawn = {w.identifier for w in package.withdrawn}
        views.append({
            "name": package.name, "version": package.version, "date": package.date, "group": package.group,
            "info": package.info, "statements": len(held),
            "added": sorted(set(held) - set(old)),
            "changed": sorted(i for i in held if i in old and old[i] != held[i]),
            "withdrawn": [{"identifier": w.identifier, "date": w.date, "reason": w.reason}
                          for w in package.withdrawn],
            "dropped": sorted(set(old) - set(held) - withdrawn),
            "predecessor": before.name if before else "",
            "events": [_event(e) for e in events_by_package.get(package.name, ())],
            "links": [(name, relative_link(package.path / name, out / "packages"))
                      for name in ("bag-info.txt", "manifest-sha256.txt", "data/index.json")],
        })
        previous[package.group] = package
    return list(reversed(views))
