"""The catalogue stage: archive/ in, a static site out (see the package docstring).

Every page has a key: the SHA-256 of everything it is made from (the files'
digests in each package holding the statement, its withdrawal and events,
the templates, the label catalogues, this software's version). A page whose
key is unchanged is not even rendered; a page that is rendered is written
only when its bytes differ. So an unchanged archive writes nothing, and a new
package rewrites the pages whose content it changes.
"""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from pipeline import SOFTWARE_AGENT
from pipeline.archive.folder import archive_lock
from pipeline.catalogue.content import ContentUnusable, read_text, read_verified
from pipeline.catalogue.holdings import Holdings, read_holdings
from pipeline.catalogue.pages import Labels, direction, environment, render
from pipeline.catalogue.site import SiteWriter
from pipeline.catalogue.thumbnails import RENDERER, ThumbnailFailed, first_page_png, thumbnail_name
from pipeline.catalogue.views import entry_of, package_views, statement_view
from pipeline.core.records import Problem, StageReport
from pipeline.events.log import LoggedEvent

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
        by_statement, by_package = _events_by_object(holdings.events)
        entries = _entries(holdings, writer, problems)
        options.progress(f"catalogue: {len(entries)} statement(s) in {len(holdings.packages)} package(s)")
        _thumbnails(holdings, writer, problems, options.workers)
        for identifier in entries:
            _statement_page(holdings, identifier, writer, env, labels, base, archive_dir,
                            by_statement.get(identifier, ()), problems)
        packages = package_views(holdings, by_package, out)
        for view in packages:
            _page(writer, env, labels, base, f"packages/{view['name']}.html", "package.html.j2",
                  {"package": view, "root": "../"})
    rows = [entries[i] for i in sorted(entries, key=lambda i: (entries[i]["title"].lower(), i))]
    index_js = _search_index(rows)
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
    writer.put("search-index.js", index_js)
    _page(writer, env, labels, base, "index.html", "home.html.j2",
          {"counts": _counts(holdings, rows), "verification": _last_verification(holdings.events),
           "packages": packages, "root": ""})
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


def _events_by_object(events: tuple[LoggedEvent, ...]) -> tuple[dict, dict]:
    statements: dict[str, list[LoggedEvent]] = {}
    packages: dict[str, list[LoggedEvent]] = {}
    for event in events:
        for link in event.objects:
            target = statements if link.type == "statement" else packages if link.type == "package" else None
            if target is not None and event not in target.setdefault(link.value, []):
                target[link.value].append(event)
    return statements, packages


def _entries(holdings: Holdings, writer: SiteWriter, problems: list[Problem]) -> dict[str, dict[str, Any]]:
    """Each statement's list row and search words, from its newest copy (cached by digest)."""
    try:
        cache = json.loads((writer.out / CACHE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        cache = {}
    used: dict[str, Any] = {}
    entries: dict[str, dict[str, Any]] = {}
    package_dirs = {p.name: p.path for p in holdings.packages}
    for identifier, copies in holdings.copies.items():
        newest = copies[-1]
        meta, body = newest.file("metadata"), newest.file("body")
        if meta is None or body is None:
            problems.append(Problem("K003", str(package_dirs[newest.package]), f"data/{identifier}",
                                    "metadata or body not in the package; the statement is not listed"))
            continue
        withdrawn = holdings.withdrawal(identifier) is not None
        key = f"{identifier}:{meta.sha256}:{body.sha256}:{withdrawn}"
        entry = cache.get(key) if isinstance(cache, dict) else None
        if not isinstance(entry, dict):
            try:
                text = read_text(package_dirs[newest.package], (meta.bag_path, meta.sha256),
                                 (body.bag_path, body.sha256))
            except ContentUnusable as exc:
                problems.append(Problem("K003", str(package_dirs[newest.package]), f"data/{identifier}",
                                        f"{exc}; the statement is not listed"))
                continue
            entry = entry_of(newest, text, withdrawn)
        used[key] = entry
        entries[identifier] = entry
    writer.put(CACHE_NAME, (json.dumps(used, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8"))
    return entries


def _thumbnail_key(pdf_sha256: str) -> str:
    return hashlib.sha256(f"{RENDERER}\n{pdf_sha256}".encode()).hexdigest()


def _render_thumbnail(job: tuple[Path, str, str]) -> tuple[str, bytes | None, str]:
    package_dir, bag_path, sha256 = job
    try:
        return sha256, first_page_png(read_verified(package_dir, bag_path, sha256)), ""
    except (ContentUnusable, ThumbnailFailed) as exc:
        return sha256, None, str(exc)


def _thumbnails(holdings: Holdings, writer: SiteWriter, problems: list[Problem], workers: int | None) -> None:
    jobs: dict[str, tuple[Path, str, str]] = {}
    package_dirs = {p.name: p.path for p in holdings.packages}
    for copies in holdings.copies.values():
        pdf = copies[-1].file("pdf")
        if pdf is None:
            continue
        name = thumbnail_name(pdf.sha256)
        if not writer.unchanged(name, _thumbnail_key(pdf.sha256)) and pdf.sha256 not in jobs:
            jobs[pdf.sha256] = (package_dirs[copies[-1].package], pdf.bag_path, pdf.sha256)
    todo = [jobs[k] for k in sorted(jobs)]
    workers = workers or os.cpu_count() or 1
    if len(todo) > 20 and workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            results = list(pool.map(_render_thumbnail, todo, chunksize=16))
    else:
        results = [_render_thumbnail(job) for job in todo]
    for (package_dir, bag_path, _), (sha256, png, error) in zip(todo, results):
        if png is None:
            problems.append(Problem("K004", f"{package_dir}/{bag_path}", "",
                                    f"no thumbnail: {error}", "warning"))
        else:
            writer.put(thumbnail_name(sha256), png, _thumbnail_key(sha256))


def _statement_page(holdings: Holdings, identifier: str, writer: SiteWriter, env: Any, labels: Labels,
                    base: str, archive_dir: Path, events: tuple | list, problems: list[Problem]) -> None:
    relative = f"statements/{identifier}.html"
    copies = holdings.copies[identifier]
    withdrawal = holdings.withdrawal(identifier)
    parts = [base, relative, repr(withdrawal)] + [e.identifier for e in events] + [
        f"{c.package} {f.kind} {f.bag_path} {f.sha256}" for c in copies for f in c.files]
    key = hashlib.sha256("\n".join(parts).encode()).hexdigest()  # cheaper than _digest, 10,000 times
    if writer.unchanged(relative, key):
        return
    try:
        view = statement_view(holdings, identifier, writer.out, archive_dir, events)
    except ContentUnusable as exc:
        problems.append(Problem("K003", relative, "", f"{exc}; no page for {identifier}"))
        return
    label_lang, translations = labels.for_language(view["lang"])
    writer.put(relative, render(env, "statement.html.j2", translations, page_lang=label_lang,
                                page_dir=direction(label_lang), root="../", **view), key)


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
