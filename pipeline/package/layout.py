"""What goes into a package's payload: each statement's files, their bag paths,
``data/index.json``, and each payload file's SHA-256 known before anything is written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from pipeline.archive.folder import INDEX_PATH
from pipeline.bagit.paths import unsafe_reason
from pipeline.bagit.writer import PayloadItem, SourceUnreadable, plan_payload
from pipeline.core.records import Problem, RenderedStatement, Withdrawal

INDEX_FIELDS = ("identifier", "title", "date_issued", "document_type", "languages")


def index_record(rendered: Sequence[RenderedStatement], withdrawn: Sequence[Withdrawal] = (),
                 carried: Sequence[dict] = (), refused: Sequence[dict] = ()) -> dict[str, object]:
    """What ``data/index.json`` says: statements by identifier, with their payload
    files, and (when there are any) the statements withdrawn so far, with date and
    reason, and those this run refused (``--archive-rest``; *carried*: their
    entries carried over from the predecessor)."""
    entries = list(carried)
    for item in sorted(rendered, key=lambda r: r.statement.identifier):
        statement = item.statement
        # the record's fields as validation parsed them (a field not kept is a KeyError, never a silent None)
        entry = {key: statement.identifier if key == "identifier" else statement.summary[key] for key in INDEX_FIELDS}
        entry["files"] = {kind: path for kind, path, _, _ in payload_files(item)}
        entries.append(entry)
    entries.sort(key=lambda entry: entry["identifier"])
    index: dict[str, object] = {"statements": entries}
    if refused:
        index["refused"] = list(refused)
    if withdrawn:
        index["withdrawn"] = [w.as_dict() for w in sorted(withdrawn, key=lambda w: w.identifier)]
    return index


def index_json(rendered: Sequence[RenderedStatement], withdrawn: Sequence[Withdrawal] = (),
               carried: Sequence[dict] = (), refused: Sequence[dict] = ()) -> bytes:
    """``data/index.json`` (:func:`index_record`), as bytes."""
    return json_file(index_record(rendered, withdrawn, carried, refused))


def json_file(record: object) -> bytes:
    """The bytes of a package's JSON file: keys sorted, indented, UTF-8, a final newline."""
    return (json.dumps(record, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def payload_files(item: RenderedStatement) -> list[tuple[str, str, Path, str]]:
    """A statement's files in its package: (kind, bag path, source file, expected
    SHA-256 or '' if unknown), in the order the index lists them."""
    statement, identifier = item.statement, item.statement.identifier
    folder = f"data/{identifier}"
    files = []
    if statement.capture_path is not None:  # an imported statement's evidence, byte for byte
        files.append(("capture", f"{folder}/{statement.capture_path.name}", statement.capture_path,
                      statement.capture_sha256))
    # and its saved page's resources folder, each file under its own kind
    files += [(f"capture resource {inside}", f"{folder}/{inside}", path, digest)
              for path, digest, inside in statement.capture_resources]
    files += [("body", f"{folder}/{statement.body_path.name}", statement.body_path, statement.body_sha256),
              ("metadata", f"{folder}/{statement.metadata_path.name}", statement.metadata_path,
               statement.metadata_sha256),
              ("pdf", f"{folder}/{identifier}.pdf", item.pdf_path, item.pdf_sha256)]
    return files


def layout(rendered: Sequence[RenderedStatement], index: bytes) -> tuple[list[PayloadItem], list[Problem]]:
    """Payload items for all statements, after the *index* (``data/index.json``'s
    bytes); P003 for names that cannot be used."""
    problems: list[Problem] = []
    items = [PayloadItem(INDEX_PATH, content=index)]
    seen: dict[str, str] = {INDEX_PATH: "the package index"}
    for item in sorted(rendered, key=lambda r: r.statement.identifier):
        identifier = item.statement.identifier
        if reason := _unusable_segment(identifier):
            problems.append(Problem("P003", str(item.statement.metadata_path), "/identifier",
                                    f"identifier {identifier!r} cannot be a folder name: {reason}"))
            continue
        for _, path, source, _ in payload_files(item):
            if reason := next(filter(None, map(_unusable_segment, path[len(f"data/{identifier}/"):].split("/"))), None):
                problems.append(Problem("P003", str(source), "", f"file name unusable: {reason}"))
            elif path in seen or path == f"data/{identifier}":
                problems.append(Problem(
                    "P003", str(source), "",
                    f"would be stored as {path}, which is already taken by {seen.get(path, path)}; "
                    "rename the file or give the statement another identifier"))
            else:
                seen[path] = str(source)
                items.append(PayloadItem(path, source=source))
    return items, problems


def _unusable_segment(name: str) -> str | None:
    if "/" in name or "\\" in name:
        return "contains a slash"
    return unsafe_reason(name)


def plan(items: list[PayloadItem], rendered: Sequence[RenderedStatement],
          ) -> tuple[dict[str, str], list[Problem]]:
    """Each payload path's SHA-256, known before anything is written.

    Reuses the digests taken when the statement was validated and the PDF
    rendered or loaded (each computed from the bytes themselves) and reads
    only files whose digest is unknown. That is safe because the copy pass
    hashes every byte it copies and refuses files whose SHA-256 differs
    (SourceChanged → P001), so each file is read once, and a build with
    nothing changed reads no payload file at all.
    """
    known: dict[str, str] = {}
    for statement in rendered:
        for _, path, _, digest in payload_files(statement):
            known[path] = digest.lower()
    planned: dict[str, str] = {}
    problems: list[Problem] = []
    for item in items:
        if item.content is None and known.get(item.bag_path):
            planned[item.bag_path] = known[item.bag_path]
            continue
        try:
            (digest,) = plan_payload([item]).values()
        except SourceUnreadable as exc:
            problems.append(Problem("P001", str(item.source), "",
                                    f"missing or cannot be read ({exc.error.strerror or exc.error}); "
                                    "run render again"))
            continue
        planned[item.bag_path] = digest.digests["sha256"]
    return planned, problems
