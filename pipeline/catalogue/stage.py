"""The catalogue stage: archive/ in, a static site out (see the package docstring).

Every page has a key: the SHA-256 of everything it shows (for a statement:
the packages where each version was first archived, its files' digests, its
withdrawal and events, the templates, the label catalogues, this software's
version). A page whose key is unchanged is not even rendered; a page that is
rendered is written only when its bytes differ. A statement's page names no
package later than the one where its current bytes were first archived, and
a build's repeated events for the statements it carries unchanged are
counted on the package's page, so an unchanged archive writes nothing and a
new package rewrites only the pages whose content it changes.

The statement pages, their list rows and the thumbnails (nearly all of a cold
build) are made in worker processes (:mod:`.workers`); the lists, facets,
search index, home and package pages are made here from the rows.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from pipeline import SOFTWARE_AGENT
from pipeline.archive.folder import archive_lock
from pipeline.catalogue.history import events_by_object
from pipeline.catalogue.holdings import Holdings, read_holdings
from pipeline.catalogue.pages import Labels, direction, environment, render
from pipeline.catalogue.site import SiteWriter
from pipeline.catalogue.thumbnails import RENDERER, thumbnail_name
from pipeline.catalogue.views import StatementSource, open_tails, package_views
from pipeline.catalogue.workers import PageJob, ThumbnailJob, WorkerSetup, run_jobs
from pipeline.core.records import Problem, StageReport
from pipeline.events.entry import LoggedEvent

CACHE_NAME = ".catalogue-cache.json"
STATIC = ("catalogue.css", "catalogue.js")
FACETS = ("issuer", "year", "language", "document_type")


@dataclass(frozen=True)
class CatalogueOptions:
    templates: Path
    locale_dir: Path | None = None
    workers: int | None = None
    progress: Callable[[str], None] = lambda text: None


def build_catalogue(archive_dir: Path, out: Path, options: CatalogueOptions) -> StageReport:
    """Write the catalogue of *archive_dir* into *out*. Raises InputError for an unusable *out*."""
    writer = SiteWriter(out, archive_dir)
    with archive_lock(archive_dir, shared=True):
        holdings = read_holdings(archive_dir)
        problems = list(holdings.problems)
        env = environment(options.templates)
        labels = Labels(options.locale_dir)
        base = _digest([SOFTWARE_AGENT, RENDERER, labels.digest(), _templates_digest(options.templates),
                        os.path.relpath(archive_dir.absolute(), out.absolute())])
        events = events_by_object(holdings.events, holdings.copies)
        options.progress(f"catalogue: {len(holdings.copies)} statement(s) in {len(holdings.packages)} package(s)")
        entries, row_keys = _statements(holdings, writer, base, events.statements, problems, options)
        packages = package_views(holdings, events, out)
        for view in packages:
            _page(writer, env, labels, base, f"packages/{view['name']}.html", "package.html.j2",
                  {"package": view, "root": "../"})
    order = sorted(entries, key=lambda i: (entries[i]["title"].lower(), i))
    rows = [entries[i] for i in order]
    index_key = _digest([base, [row_keys[i] for i in order]])  # the rows are made from what their keys name
    if not writer.unchanged("search-index.js", index_key):
        writer.put("search-index.js", _search_index(rows), index_key)
    rows = [{k: v for k, v in row.items() if k != "words"} for row in rows]  # the pages need no words
    facets = _facets(rows)
    _page(writer, env, labels, base, "statements.html", "list.html.j2",
          {"rows": rows, "facets": facets, "facet": None, "root": ""})
    for kind, values in facets.items():
        grouped: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            for value in _facet_values(row, kind):
                grouped.setdefault(value, []).append(row)
        for value in values:
            subset = grouped[value["value"]]
            _page(writer, env, labels, base, value["page"], "list.html.j2",
                  {"rows": subset, "facets": facets, "facet": {"kind": kind, **value}, "root": "../"})
    _page(writer, env, labels, base, "index.html", "home.html.j2",
          {"counts": _counts(holdings, rows), "verification": _last_verification(holdings.events),
           "packages": [{k: v for k, v in p.items() if k != "held"} for p in packages], "root": ""})
    for name in STATIC:
        writer.put(name, (options.templates / name).read_bytes())
    writer.finish()
    summary = {"out": str(out), "statements": len(rows), "packages": len(holdings.packages),
               "written": len(writer.written), "removed": len(writer.removed),
               "kept": len(writer.produced) - len(writer.written)}
    return StageReport("catalogue", tuple(problems), (summary,))


def _digest(parts: list[Any]) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def _templates_digest(templates: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(templates.glob("*")):
        if path.is_file():
            h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def _page(writer: SiteWriter, env: Any, labels: Labels, base: str, relative: str, template: str,
          context: Mapping[str, Any], lang: str = "en") -> None:
    key = _digest([base, relative, template, lang, context])
    if writer.unchanged(relative, key):
        return
    label_lang, translations = labels.for_language(lang)
    writer.put(relative, render(env, template, translations, page_lang=label_lang,
                                page_dir=direction(label_lang), **context), key)


def _statements(holdings: Holdings, writer: SiteWriter, base: str, events: Mapping[str, list],
                problems: list[Problem], options: CatalogueOptions) -> tuple[dict[str, dict], dict[str, str]]:
    """Each statement's page, thumbnail and list row (cached by digest), made by workers
    where its inputs changed; returns the rows and their keys."""
    try:
        cache = json.loads((writer.out / CACHE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        cache = {}
    cache = cache if isinstance(cache, dict) else {}
    tails = open_tails(holdings)
    entries: dict[str, dict[str, Any]] = {}
    row_keys: dict[str, str] = {}
    jobs: list[PageJob | ThumbnailJob] = []
    thumbnails: set[str] = set()
    for identifier, copies in holdings.copies.items():
        newest = copies[-1]
        meta, body, pdf = newest.file("metadata"), newest.file("body"), newest.file("pdf")
        withdrawal = holdings.withdrawal(identifier)
        source = StatementSource(identifier, copies, tails[identifier], withdrawal,
                                 tuple(events.get(identifier, ())))
        relative = f"statements/{identifier}.html"
        page_key = hashlib.sha256("\n".join([base, relative] + source.digest_parts()).encode()).hexdigest()
        row_key = f"{identifier}:{meta and meta.sha256}:{body and body.sha256}:{withdrawal is not None}"
        row = cache.get(row_key)
        if isinstance(row, dict):
            entries[identifier], row_keys[identifier] = row, row_key
        page_wanted = not writer.unchanged(relative, page_key)
        if page_wanted or identifier not in entries:
            jobs.append(PageJob(source, page_key if page_wanted else None, identifier not in entries))
            row_keys[identifier] = row_key
        if pdf is not None and pdf.sha256 not in thumbnails:
            thumbnails.add(pdf.sha256)
            if not writer.unchanged(thumbnail_name(pdf.sha256), _thumbnail_key(pdf.sha256)):
                jobs.append(ThumbnailJob(newest.package, pdf.bag_path, pdf.sha256))
    setup = WorkerSetup(options.templates, options.locale_dir, writer.out,
                        tuple((p.name, p.path) for p in holdings.packages))
    for job, done in zip(jobs, run_jobs(setup, jobs, options.workers)):
        for relative, size, key, written in done.files:
            writer.record(relative, size, key or _thumbnail_key(job.sha256), written)
        if done.problem:
            code, where, message = done.problem
            problems.append(Problem(code, where, "", message, "warning" if code == "K004" else "error"))
        if done.entry is not None:
            entries[job.source.identifier] = done.entry
    used = {row_keys[i]: entries[i] for i in sorted(entries)}
    if used.keys() != cache.keys() or not writer.keep(CACHE_NAME):  # 30 MB of JSON at 10,000
        writer.put(CACHE_NAME, (json.dumps(used, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8"))
    return entries, row_keys


def _thumbnail_key(pdf_sha256: str) -> str:
    return hashlib.sha256(f"{RENDERER}\n{pdf_sha256}".encode()).hexdigest()


def _facet_values(row: Mapping[str, Any], kind: str) -> list[str]:
    value = row["languages"] if kind == "language" else [row[kind]]
    return [v for v in value if v]


def _facets(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    facets: dict[str, list[dict[str, Any]]] = {}
    for kind in FACETS:
        counts: dict[str, int] = {}
        for row in rows:
            for value in _facet_values(row, kind):
                counts[value] = counts.get(value, 0) + 1
        facets[kind] = [{"value": v, "count": counts[v],
                         "page": f"facets/{kind}-{hashlib.sha256(v.encode()).hexdigest()[:16]}.html"}
                        for v in sorted(counts, key=lambda v: (-counts[v], v) if kind != "year" else v)]
    return facets


def _search_index(rows: list[dict[str, Any]]) -> bytes:
    """A script assigning one global: fetch() of a JSON file is refused from file://."""
    data = [[r["identifier"], r["words"]] for r in rows]
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"window.CATALOGUE_INDEX = {text};\n".encode("utf-8")


def _counts(holdings: Holdings, rows: list[dict[str, Any]]) -> dict[str, int]:
    versions = sum(len({c.key for c in copies}) for copies in holdings.copies.values())
    languages = {lang for r in rows for lang in r["languages"]}
    withdrawals = {w.identifier for p in holdings.packages for w in p.withdrawn}
    return {"statements": len(rows), "packages": len(holdings.packages), "versions": versions,
            "withdrawals": len(withdrawals), "languages": len(languages)}


def _last_verification(events: tuple[LoggedEvent, ...]) -> dict[str, Any] | None:
    checks = [e for e in events if e.event_type == "fixity check"]
    if not checks:
        return None
    last = max(e.date_time for e in checks)
    latest = [e for e in checks if e.date_time == last]
    outcomes = sorted({e.outcome for e in latest})
    return {"date_time": last, "packages": len(latest),
            "outcome": "failure" if "failure" in outcomes else outcomes[-1] if outcomes else "",
            "failures": [o.value for e in latest if e.outcome == "failure" for o in e.objects]}
