"""The import stage: captures in, draft statements written into the statements folder.

Reading inputs and writing files happen here, in one process; drafting
(charset, extraction, metadata) runs in a pool of worker processes with the
network refused. A statement with a capture is three files:

* ``<id>.capture.<ext>``: the capture, byte for byte (``.html``, ``.txt``,
  ``.warc.gz``/``.warc`` for a WARC record);
* ``<id>.txt``: the extracted statement text (the body that is rendered);
* ``<id>.capture_files/``: a saved page's ``_files`` folder, when it has one,
  byte for byte (each file's SHA-256 under ``capture.resources``);
* ``<id>.json``: the metadata, with ``capture``, ``extraction``,
  ``drafted_from`` and ``review`` (``"status": "draft"``), written last.

Importing a capture already in the folder (same SHA-256) writes nothing and
says so; identifiers are chosen in input order, so a batch is reproducible.
"""

from __future__ import annotations

import hashlib
import json
import json.encoder
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from pipeline.core.errors import InputError
from pipeline.core.files import make_dirs, write_atomically
from pipeline.core.records import Problem, StageReport
from pipeline.importer.captures import (
    MAX_RESOURCE_BYTES, Capture, CaptureUnreadable, SavedResources, Skipped, is_url_list, read_captures,
    read_url_list,
)
from pipeline.importer.draft import Draft, draft_capture
from pipeline.importer.sandbox import no_network, refuse_network_for_good

STAGE = "import"
CAPTURE_INFIX = ".capture"
RESOURCES_INFIX = ".capture_files"  # <id>.capture_files/: a saved page's "_files" folder, byte for byte
# A capture is a page; 20 MiB is a whole site or a video, not a statement.
MAX_CAPTURE_BYTES = 20 * 2**20


@dataclass(frozen=True)
class ImportOptions:
    into: Path
    accept: bool = False
    workers: int | None = None
    schema_ref: str = "../schemas/statement.schema.json"


def metadata_document(draft: Draft, identifier: str, options: ImportOptions) -> dict[str, Any]:
    metadata = {"$schema": options.schema_ref, "identifier": identifier, **draft.metadata}
    metadata["capture"] = {"file": f"{identifier}{CAPTURE_INFIX}{draft.suffix}", **metadata["capture"]}
    if options.accept:
        metadata["review"] = {"status": "reviewed", "accepted_in_batch": True,
                              "body_sha256": metadata["extraction"]["text_sha256"],
                              "needs_attention": metadata["review"]["needs_attention"]}
    return metadata


# The derivation's runs (what was kept and dropped: hundreds on a long page) are
# one line each; every other field is indented as json.dumps(indent=2) would.
ONE_LINE_EACH = (("extraction", "kept"), ("extraction", "dropped"))
_ONE_LINE = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode  # json's C encoder
# What _ONE_LINE does, without building json's C encoder anew on every call
# (JSONEncoder.encode does): strings by json's C string encoder, the rest by
# one C encoder made once (no circular check: the metadata is a tree).
_STRING = json.encoder.encode_basestring
_C_ENCODER = json.encoder.c_make_encoder and json.encoder.c_make_encoder(
    None, json.JSONEncoder().default, _STRING, None, ": ", ", ", False, False, True)


def _one_line(value: Any) -> str:
    if isinstance(value, str):
        return _STRING(value)
    return "".join(_C_ENCODER(value, 0)) if _C_ENCODER else _ONE_LINE(value)


def encode_metadata(metadata: dict[str, Any]) -> bytes:
    """The metadata file: readable and editable fields, each derivation run on one line.

    ``json.dumps(indent=...)`` runs json's pure-Python encoder over every
    value; the runs, most of the file, go through the C one instead.
    """
    return (_indented(metadata, "", ()) + "\n").encode("utf-8")


def _indented(value: Any, margin: str, where: tuple[str, ...]) -> str:
    inner = margin + "  "
    if isinstance(value, dict) and value:
        return "{\n" + ",\n".join([f"{inner}{_STRING(str(key))}: {_indented(item, inner, (*where, str(key)))}"
                                   for key, item in value.items()]) + f"\n{margin}}}"
    if isinstance(value, list) and value:
        if where in ONE_LINE_EACH:
            return "[\n" + inner + f",\n{inner}".join(map(_one_line, value)) + f"\n{margin}]"
        return "[\n" + ",\n".join([inner + _indented(item, inner, where) for item in value]) + f"\n{margin}]"
    return _one_line(value)


def _existing_captures(into: Path) -> tuple[dict[str, str], set[str]]:
    """capture SHA-256 → identifier, for statements already in the folder; and identifiers taken."""
    by_digest: dict[str, str] = {}
    # A resources folder left by a batch cut short keeps its name: never written into again.
    taken: set[str] = {p.name[:-len(RESOURCES_INFIX)] for p in into.glob(f"*{RESOURCES_INFIX}")}
    for path in sorted(into.glob("*.json")):
        taken.add(path.stem)
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        digest = record.get("capture", {}).get("sha256") if isinstance(record, dict) else None
        if isinstance(digest, str):
            by_digest.setdefault(digest, path.stem)
    return by_digest, taken


def _inputs(paths: Iterable[Path]) -> Iterator[Capture | Skipped | Problem]:
    paths = list(paths)
    lists = [p for p in paths if is_url_list(p)]
    urls = frozenset(u for p in lists for u in read_url_list(p)) if lists else None
    found: set[str] = set()
    for path in paths:
        if path in lists:
            continue
        if not path.is_file() or path.is_symlink():
            yield Problem("I002", str(path), "", "not a regular file (links are not followed): give the capture itself")
            continue
        if path.stat().st_size > MAX_CAPTURE_BYTES and not path.name.lower().endswith((".warc", ".warc.gz", ".wacz")):
            yield Problem("I002", str(path), "", f"is {path.stat().st_size:,} bytes; a page capture is at most "
                                                 f"{MAX_CAPTURE_BYTES:,}: is this a whole site?")
            continue
        try:
            for item in read_captures(path, urls=urls):
                if isinstance(item, Capture) and item.source_url:
                    found.add(item.source_url)
                yield item
        except CaptureUnreadable as exc:
            yield Problem(exc.code, str(path), "", str(exc))
    for url in sorted((urls or set()) - found):
        where = ", ".join(str(p) for p in lists)
        yield Problem("I008", where, "", f"{url} is in none of the WARC or WACZ files given; capture it first "
                                         "(import never fetches anything)")


def _start_worker() -> None:
    refuse_network_for_good()


def _drafts(captures: list[Capture], workers: int | None) -> Iterator[Draft]:
    workers = max(1, min(workers or os.cpu_count() or 1, len(captures)))
    if workers == 1:
        with no_network():
            for capture in captures:
                yield draft_capture(capture)
        return
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_start_worker) as pool:
        yield from pool.map(draft_capture, captures, chunksize=max(1, min(16, len(captures) // (workers * 4))))


def import_captures(
    paths: Iterable[Path], options: ImportOptions, *,
    progress: Callable[[int, int, str, str], None] | None = None,
) -> StageReport:
    """Draft a statement from every capture in ``paths`` into ``options.into``.

    Returns a report whose items say for each capture: ``drafted``,
    ``unchanged`` (already imported), ``refused`` or ``skipped``, and which
    drafts need attention (their warnings are the report's warnings).
    """
    into = options.into
    if not into.is_dir():
        raise InputError(f"{into}: no such folder to import into")
    problems: list[Problem] = []
    items: list[dict[str, Any]] = []
    captures: list[Capture] = []
    for item in _inputs(paths):
        if isinstance(item, Problem):
            problems.append(item)
            items.append({"input": item.file, "outcome": "refused", "why": item.message})
        elif isinstance(item, Skipped):
            code = "I007" if "datapackage" in item.reason else ("I001" if item.refused else "I009")
            problems.append(Problem(code, item.origin, "", item.reason, "error" if item.refused else "warning"))
            items.append({"input": item.origin, "outcome": "refused" if item.refused else "skipped",
                          "why": item.reason})
        else:
            captures.append(item)
    by_digest, taken = _existing_captures(into)
    fresh = []
    for capture in captures:  # already imported: nothing to extract, nothing to write
        if capture.sha256 in by_digest:
            items.append(_unchanged(capture.origin, capture.sha256, by_digest[capture.sha256]))
        else:
            fresh.append(capture)
    captures, total = fresh, len(fresh)
    written = False
    for index, (capture, draft) in enumerate(zip(captures, _drafts(captures, options.workers)), 1):
        outcome = _write(capture, draft, options, by_digest, taken, problems)
        written = written or outcome["outcome"] in ("drafted", "accepted")
        items.append(outcome)
        if progress:
            progress(index, total, draft.origin, outcome["outcome"])
    if written:
        # One flush for the batch rather than four fsyncs per capture: every
        # file is already complete (written aside and renamed), and the
        # inputs are still there, so a batch cut short by a crash is redone
        # by running it again (captures already imported are skipped).
        os.sync()
    return StageReport(STAGE, tuple(problems), tuple(items))


def _unchanged(origin: str, sha256: str, identifier: str) -> dict[str, Any]:
    return {"input": origin, "outcome": "unchanged", "identifier": identifier,
            "why": f"this capture (sha256 {sha256[:12]}…) is already imported as {identifier}"}


def _write_in_place(path: Path, data: bytes) -> None:
    """Create or overwrite *path* itself: never through a link left in its place."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(handle.fileno(), 0o644)  # as write_atomically: the umask does not decide
        handle.write(data)


def _archive_resources(resources: SavedResources, target: Path) -> dict[str, Any]:
    """Copy the saved folder's files into *target* (new), byte for byte; their manifest."""
    os.mkdir(target)
    files = []
    for inside, source, _ in resources.files:
        fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as handle:
            data = handle.read(MAX_RESOURCE_BYTES + 1)
        destination = target / inside
        make_dirs(target, destination.parent, durable=False)
        _write_in_place(destination, data)
        files.append({"path": inside, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    return {
        "folder": target.name, "saved_as": resources.folder, "files": files,
        **({"not_archived": [{"path": p, "why": why} for p, why in resources.not_archived]}
           if resources.not_archived else {}),
        "note": "the page's saved resources (images, styles, scripts), archived as evidence byte for byte; "
                "never opened by the extraction or the rendition, never fetched or followed",
    }


def _write(capture: Capture, draft: Draft, options: ImportOptions, by_digest: dict[str, str], taken: set[str],
           problems: list[Problem]) -> dict[str, Any]:
    if draft.refusal:
        problems.append(Problem("I001", draft.origin, "", f"{draft.refusal}; nothing was imported"))
        return {"input": draft.origin, "outcome": "refused", "why": draft.refusal}
    if draft.capture_sha256 in by_digest:  # the same capture twice in one batch
        return _unchanged(draft.origin, draft.capture_sha256, by_digest[draft.capture_sha256])
    identifier, number = draft.slug, 1
    while identifier in taken:
        number += 1
        identifier = f"{draft.slug[:95]}-{number}"
    taken.add(identifier)
    by_digest[draft.capture_sha256] = identifier
    problems.extend(draft.problems)
    metadata = metadata_document(draft, identifier, options)
    folder = options.into
    # The metadata last, aside and renamed: a statement exists only once its
    # capture and text are complete. Those two are written in place: until
    # the metadata names them no statement claims them, and a crash leaves
    # them to be rewritten when the batch is run again.
    _write_in_place(folder / metadata["capture"]["file"], capture.evidence)
    _write_in_place(folder / f"{identifier}.txt", draft.body)
    attention = [p.message for p in draft.problems]
    if capture.resources is not None:
        resources = capture.resources
        metadata["capture"]["resources"] = _archive_resources(resources, folder / f"{identifier}{RESOURCES_INFIX}")
        for inside, why in resources.not_archived:
            problem = Problem("I012", draft.origin, "/capture/resources",
                              f"{resources.folder}/{inside} is {why}; not archived", "warning")
            problems.append(problem)
            attention.append(problem.message)
        metadata["review"] = {**metadata["review"], "needs_attention": list(attention)}
    write_atomically(folder / f"{identifier}.json", encode_metadata(metadata), durable=False)
    return {"input": draft.origin, "outcome": "drafted" if not options.accept else "accepted",
            "identifier": identifier, "needs_attention": attention,
            "status": metadata["review"]["status"]}
