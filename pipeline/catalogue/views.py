"""What each page shows, computed from the holdings (no HTML here).

* :func:`entry_of`: a statement's row in the list and in the search index.
* :func:`statement_view`: its page: title block, files, versions, diffs, events.
* :func:`package_views`: what each package added, changed and withdrew.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from pipeline.catalogue.content import StatementText, plain_text, search_words, text_of
from pipeline.catalogue.history import EventsByObject, distinct_versions, metadata_changes, text_changes
from pipeline.catalogue.holdings import Copy, Holdings, Package
from pipeline.catalogue.pages import direction, language
from pipeline.catalogue.thumbnails import thumbnail_name
from pipeline.events.entry import LoggedEvent

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
    package: str  # where these bytes were first archived; the page links its copies
    packages: tuple[str, ...]  # every package holding these same bytes, when that list is closed
    files: tuple[dict[str, str], ...]
    metadata_changes: tuple = ()
    text_changes: tuple = ()
    first: bool = False
    held_since: bool = False  # every later package holds the same bytes (the list is open)


@dataclass(frozen=True)
class StatementSource:
    """What a statement's page is made from, without reading a file: small enough to
    hash for the page's key and to send to a worker process.

    Only what the page shows is here. An unchanged statement's page links the
    package where its current bytes were first archived, not the newest one,
    so a new package that holds the same bytes leaves its source (and its
    page) as it was.
    """

    identifier: str
    copies: tuple[Copy, ...]
    open_tail: bool  # the current version is held by every later package of its group
    withdrawal: Any
    events: tuple[LoggedEvent, ...]

    def digest_parts(self) -> list[str]:
        starts = distinct_versions([c.key for c in self.copies])
        parts = [repr(self.withdrawal), str(self.open_tail)] + [e.identifier for e in self.events]
        for n, start in enumerate(starts):
            end = starts[n + 1] if n + 1 < len(starts) else len(self.copies)
            shown = self.copies[start:end] if end < len(self.copies) or not self.open_tail else self.copies[start:start + 1]
            parts += [f"{c.package}" for c in shown]
            parts += [f"{f.kind} {f.bag_path} {f.sha256}" for f in self.copies[start].files]
        return parts


def open_tails(holdings: Holdings) -> dict[str, bool]:
    """Per statement: is its newest copy's run of packages the tail of its group
    (so "every later package holds the same files unchanged" is true)?"""
    groups: dict[str, list[str]] = {}
    group_of: dict[str, str] = {}
    for p in holdings.packages:
        groups.setdefault(p.group, []).append(p.name)
        group_of[p.name] = p.group
    result = {}
    for identifier, copies in holdings.copies.items():
        start = distinct_versions([c.key for c in copies])[-1]
        run = [c.package for c in copies[start:]]
        group = groups[group_of[run[0]]]
        result[identifier] = group[group.index(run[0]):] == run
    return result


def statement_view(source: StatementSource, package_links: Mapping[str, str],
                   read: Any) -> tuple[dict[str, Any], StatementText]:
    """Everything the statement's page shows, and its current text.

    *package_links*: each package's folder relative to the statement pages;
    *read(copy)*: the copy's StatementText.
    """
    copies = source.copies
    starts = distinct_versions([c.key for c in copies])
    texts: dict[int, StatementText] = {}

    def text(i: int) -> StatementText:
        if i not in texts:
            texts[i] = read(copies[i])
        return texts[i]

    versions = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(copies)
        changes_meta, changes_text = (), ()
        if n:
            before, after = text(starts[n - 1]), text(start)
            changes_meta = metadata_changes(before.metadata, after.metadata)
            changes_text = text_changes(plain_text(before.body), plain_text(after.body))
        held_since = end == len(copies) and source.open_tail
        versions.append(Version(copies[start].package,
                                () if held_since else tuple(c.package for c in copies[start:end]),
                                _files(copies[start], package_links), changes_meta, changes_text, n == 0,
                                held_since))
    current = text(starts[-1])
    record = current.metadata
    tags = record.get("languages") if isinstance(record.get("languages"), list) else []
    lang = language(tags[0]) if tags else "und"
    files = versions[-1].files
    pdf = next((f for f in files if f["kind"] == "pdf"), None)
    return {
        "identifier": source.identifier,
        "record": record,
        "facts": _facts(record),
        "lang": lang,
        "dir": direction(lang),
        "body": current.body,
        "files": files,
        "current": versions[-1],
        "thumbnail": f"../{thumbnail_name(pdf['sha256'])}" if pdf else "",
        "pdf_link": pdf["href"] if pdf else "",
        "versions": list(reversed(versions)),
        "withdrawal": source.withdrawal,
        "events": [_event(e) for e in source.events],
    }, current


def _files(copy: Copy, package_links: Mapping[str, str]) -> tuple[dict[str, str], ...]:
    return tuple({"kind": f.kind, "label": FILE_LABELS[f.kind], "sha256": f.sha256, "name": f.bag_path,
                  "href": f"{package_links[copy.package]}/{f.bag_path}", "package": copy.package}
                 for f in copy.files)


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


def package_views(holdings: Holdings, events: EventsByObject, out: Path) -> list[dict[str, Any]]:
    """Each package with what it added, changed, withdrew or no longer holds, newest first."""
    views = []
    previous: dict[str, Package] = {}
    by_package: dict[str, dict[str, Copy]] = {}
    for copies in holdings.copies.values():
        for c in copies:
            by_package.setdefault(c.package, {})[c.identifier] = c
    for package in holdings.packages:
        before = previous.get(package.group)
        held = {i: c.key for i, c in by_package.get(package.name, {}).items()}
        old = {i: c.key for i, c in by_package.get(before.name, {}).items()} if before else {}
        folder = relative_link(package.path, out / "packages")
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
            "events": [_event(e) for e in events.packages.get(package.name, ())],
            "carried_events": [{"type": t, "outcome": o, "detail": d, "statements": n}
                               for (t, o, d), n in sorted(events.carried.get(package.name, {}).items())],
            "links": [(name, relative_link(package.path / name, out / "packages"))
                      for name in ("bag-info.txt", "manifest-sha256.txt", "data/index.json")],
            # every statement it holds, linked to this package's own copies (the statement
            # pages link where the bytes were first archived: the same bytes, one click on)
            "held": [(i, [(f.kind, f"{folder}/{f.bag_path}") for f in c.files])
                     for i, c in sorted(by_package.get(package.name, {}).items())],
        })
        previous[package.group] = package
    return list(reversed(views))
