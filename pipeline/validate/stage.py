"""The validate stage: every statement's metadata and body, every problem at once.

Layout: ``statements/<identifier>.json`` is the metadata; the body is the file
with the same stem and suffix ``.txt``, ``.md`` or ``.html``. Other files
(README and the like) are ignored. Each file is read once; the digests of
those bytes go into the :class:`Statement` records, so later stages can tell
if a file changed after validation. The folder is untrusted: it is listed and
read by :mod:`pipeline.statements.files` (no links followed, sizes bounded).
A record's own checks (the schema, the rules it cannot express) are
:mod:`pipeline.validate.record`'s; what needs more than one file (its body,
its capture, identifiers used twice, withdrawals) is checked here.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable, Iterable

from jsonschema import Draft202012Validator

from pipeline.validate.capture import check_capture
from pipeline.statements.body import BodyDecodeError, decode_body, forbidden_controls
from pipeline.core.errors import InputError
from pipeline.statements.strictjson import parse_accepted, parse_json
from pipeline.statements.strictjson import short as _short
from pipeline.core.records import BODY_MEDIA_TYPES, Problem, StageReport, Statement, Withdrawal, summary_of
from pipeline.statements.withdrawals import WITHDRAWALS_NAME, read_withdrawals
from pipeline.validate.record import (
    identifier_problem, load_validator, metadata_problems, schema_bytes, validator_for,
)
from pipeline.validate.skeleton import skeleton_bytes
from pipeline.validate.verdicts import PassedFiles, validator_fingerprint
from pipeline.statements.files import (
    Unreadable,
    link_description,
    list_folder,
    printable,
    read_file,
)

STAGE = "validate"
# A statement is a few pages; 5 MiB of text is some 800,000 words. Anything
# larger is a mistake (a whole site, a binary) and would take minutes to render.
DEFAULT_MAX_BODY_BYTES = 5 * 2**20
DEFAULT_MAX_METADATA_BYTES = 2**20


def validate_statements(
    statements_dir: Path, schema_path: Path, *,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES, max_metadata_bytes: int = DEFAULT_MAX_METADATA_BYTES,
    verdict_cache: Path | None = None,
) -> tuple[list[Statement], StageReport]:
    """Check every statement in ``statements_dir``; return the valid ones and a report.

    Problems never stop the walk: the report lists every problem of every
    record. Only statements without errors are returned. A body larger than
    ``max_body_bytes`` or metadata larger than ``max_metadata_bytes`` is
    refused (V017) without being read.

    With *verdict_cache* (a folder), a record whose exact bytes passed its own
    checks under the same schema and code before is not checked against the
    schema again (:mod:`pipeline.validate.verdicts`); the result is the same.
    """
    schema = schema_bytes(Path(schema_path))
    validator = validator_for(str(schema_path), schema)
    passes = PassedFiles(verdict_cache, validator_fingerprint(schema, validator.format_checker.checkers)
                            if verdict_cache else "")
    folder = Path(statements_dir).resolve()
    if not folder.is_dir():
        raise InputError(f"{statements_dir}: no such folder of statements")
    listing = list_folder(folder)
    files = listing.candidates

    inside = len(str(folder)) + 1  # every path listed is folder / something
    shown_folder = printable(folder.name)

    def display(path: Path) -> str:
        return f"{shown_folder}/{printable(str(path)[inside:])}"

    problems: list[Problem] = []
    # Files are grouped by their path without the suffix, as text: Paths hash and
    # compare part by part, which at 20,000 files cost more than reading them.
    bodies: dict[str, list[Path]] = defaultdict(list)
    metadata_files: list[tuple[str, Path]] = []
    others: list[tuple[str, Path]] = []
    for path in files:
        relative = str(path)[inside:]
        stem, suffix = _split_suffix(relative)
        kind = _kind_of(relative, stem, suffix)
        if kind == "metadata":
            metadata_files.append((stem, path))
        elif kind == "body":
            bodies[stem].append(path)
        elif kind == "wrong case":
            problems.append(Problem("V029", display(path), "", (
                f"the extension {printable(suffix)} is not lower case: rename the file to "
                f"{printable(path.stem + suffix.lower())} (statement files are .json, .txt, .md, .html)")))
        elif kind == "other":
            others.append((stem, path))
    stems = {stem for stem, _ in metadata_files}
    problems += [Problem("V028", display(path), "", (
        "not part of any statement, so it is not archived (statements are <identifier>.json "
        "with a .txt, .md or .html body; README files are ignored)"), "warning")
        for stem, path in others if stem not in stems]  # those are named by V008

    def read(path: Path, limit: int) -> bytes:
        return read_file(path, limit, folder)

    problems += [
        Problem("V019", display(path), "", f"{link_description(path, folder)}: not descended; "
                                           "put the statements themselves in the statements folder", "warning")
        for path in listing.linked_folders
    ]
    checked: list[tuple[Statement | None, Any, str]] = []  # (statement, identifier, file)
    for stem, path in metadata_files:
        found, statement, identifier = _check_record(
            path, bodies.get(stem, []), files, validator, display,
            lambda p: read(p, max_metadata_bytes), lambda p: read(p, max_body_bytes), read, passes,
        )
        problems += found
        checked.append((statement, identifier, display(path)))

    users: dict[str, list[str]] = defaultdict(list)
    for _, identifier, file in checked:
        if isinstance(identifier, str):
            users[identifier].append(file)
    for identifier, used_by in sorted(users.items()):
        for file in used_by[1:]:
            problems.append(Problem("V007", file, "/identifier",
                                    f"identifier `{identifier}` is also used by {used_by[0]}; identifiers must be unique"))
    shared = {i for i, used_by in users.items() if len(used_by) > 1}

    for stem, paths in bodies.items():
        if stem not in stems:
            for path in paths:
                problems.append(Problem("V016", display(path), "",
                                        f"body file without metadata: add {printable(path.stem)}.json to archive it", "warning"))
    if not metadata_files:
        problems.append(Problem("V014", folder.name, "", "no statements here: expected <identifier>.json files"))

    passes.save()
    problems.sort(key=lambda p: p.file)  # stable: each file's problems stay in the order found
    statements = [s for s, identifier, _ in checked if s is not None and identifier not in shared]
    items = tuple(
        {"identifier": s.identifier, "metadata": display(s.metadata_path), "body": display(s.body_path),
         "media_type": s.media_type, "metadata_sha256": s.metadata_sha256, "body_sha256": s.body_sha256,
         "schema": validator.schema["$id"],
         **({"capture": display(s.capture_path), "capture_sha256": s.capture_sha256} if s.capture_path else {})}
        for s in statements
    )
    return statements, StageReport(STAGE, tuple(problems), items)


def schema_version(schema_path: Path) -> str:
    """The statement schema's ``$id`` (``urn:statement-archive:schema:statement:1.3.0``):
    which schema, and which version of it, validated the records."""
    return load_validator(Path(schema_path)).schema["$id"]


_IGNORED_STEMS = ("readme",)


def _split_suffix(relative: str) -> tuple[str, str]:
    """*relative* without its suffix, and the suffix, as :class:`~pathlib.PurePath` splits them."""
    dot = relative.rfind(".")
    if 0 < dot - relative.rfind("/") - 1 and dot < len(relative) - 1:
        return relative[:dot], relative[dot:]
    return relative, ""


def _kind_of(relative: str, stem: str, suffix: str) -> str:
    """metadata, body, ignored (a README, the withdrawals file, a capture), wrong case, or other;
    *relative* is the path inside the statements folder, *stem* the same without *suffix*."""
    folders, _, name_stem = stem.rpartition("/")
    if name_stem.lower() in _IGNORED_STEMS or relative == WITHDRAWALS_NAME:
        return "ignored"
    if stem.endswith(".capture") or any(p.endswith(".capture_files") for p in folders.split("/")):
        # <id>.capture.html (or .txt), <id>.capture_files/…: an imported statement's capture, checked with it
        return "ignored"
    if suffix == ".json":
        return "metadata"
    if suffix in BODY_MEDIA_TYPES:
        return "body"
    if suffix.lower() == ".json" or suffix.lower() in BODY_MEDIA_TYPES:
        return "wrong case"
    return "other"


def _check_record(
    path: Path, body_paths: list[Path], files: list[Path], validator: Draft202012Validator,
    display: Callable[[Path], str], read_metadata: Callable[[Path], bytes], read_body: Callable[[Path], bytes],
    read: Callable[[Path, int], bytes], passes: PassedFiles,
) -> tuple[list[Problem], Statement | None, Any]:
    """All problems of one statement: its metadata, then its body."""
    file = display(path)
    try:
        data = read_metadata(path)
    except Unreadable as exc:
        return [Problem(exc.code, file, "", str(exc))], None, None
    metadata_sha256 = hashlib.sha256(data).hexdigest()
    known = passes.passed_before(metadata_sha256)  # these bytes passed their own checks before
    metadata, problems = (parse_accepted(data), []) if known else parse_json(data, file)
    identifier = metadata.get("identifier") if isinstance(metadata, dict) else None
    if metadata is not None or not problems:
        own = [] if known else metadata_problems(validator, metadata, file)
        if not (problems or own):
            passes.passed(metadata_sha256)
        problems += own
        if isinstance(identifier, str) and identifier != path.stem:
            problems.append(Problem("V011", file, "/identifier",
                                    f"identifier `{_short(identifier)}` does not match the file name "
                                    f"{printable(path.name)}; rename the file or correct the identifier"))
    if not body_paths:
        others = ", ".join(printable(p.name) for p in files if p.with_suffix("") == path.with_suffix("") and p != path)
        stem = printable(path.stem)
        problems.append(Problem("V008", file, "", f"no body file {stem}.txt, {stem}.md or {stem}.html"
                                + (f" (found only: {others})" if others else "")))
        return problems, None, identifier
    if len(body_paths) > 1:
        names = ", ".join(printable(p.name) for p in body_paths)
        problems.append(Problem("V010", file, "", f"more than one body file: {names}; keep exactly one"))
        return problems, None, identifier
    body_path = body_paths[0]
    try:
        body = read_body(body_path)
    except Unreadable as exc:
        return problems + [Problem(exc.code, display(body_path), "", str(exc))], None, identifier
    body_sha256 = hashlib.sha256(body).hexdigest()
    known = passes.passed_before(body_sha256, "body")  # these bytes passed as a body before
    own = [] if known else _body_problems(body, display(body_path))
    if not own:
        passes.passed(body_sha256, "body")
    problems += own
    capture = check_capture(metadata, path, body, file, read)
    problems += capture.problems
    if problems:
        return problems, None, identifier
    statement = Statement(
        identifier=identifier, metadata_path=path, body_path=body_path,
        media_type=BODY_MEDIA_TYPES[body_path.suffix], metadata_bytes=data,
        metadata_sha256=metadata_sha256, body_sha256=body_sha256,
        capture_path=capture.path, capture_media_type=capture.media_type, capture_sha256=capture.sha256,
        capture_resources=capture.resources, summary=summary_of(metadata),
    )
    return problems, statement, identifier


def _body_problems(data: bytes, file: str) -> list[Problem]:
    try:
        text = decode_body(data)
    except BodyDecodeError as exc:
        advice = "" if "UTF-16" in str(exc) else "; save the file as UTF-8 (bytes are counted from 0)"
        return [Problem("V009", file, "", f"{exc}{advice}")]
    if not text.strip():
        return [Problem("V013", file, "", "the body is empty" if not data else "the body holds only white space")]
    controls = forbidden_controls(text)
    if not controls:
        return []
    bom = len(data) - len(text.encode("utf-8"))
    shown = "; ".join(f"U+{ord(c):04X} at character {i} (byte {bom + len(text[:i].encode('utf-8'))})"
                      for i, c in controls[:3])
    more = f" and {len(controls) - 3} more" if len(controls) > 3 else ""
    return [Problem("V015", file, "", f"control characters that have no place in a statement: {shown}{more}")]


def validate_withdrawals(statements_dir: Path, statements: Iterable[Statement],
                         ) -> tuple[tuple[Withdrawal, ...], StageReport]:
    """The withdrawals recorded in ``statements/withdrawals.json``, checked:
    well-formed (V026), and none of a statement whose files are still there (V027)."""
    folder = Path(statements_dir).resolve()
    withdrawals, problems = read_withdrawals(folder)
    present = {s.identifier: s for s in statements}
    for withdrawal in withdrawals:
        if withdrawal.identifier in present:
            problems.append(Problem(
                "V027", f"{printable(folder.name)}/{printable(present[withdrawal.identifier].metadata_path.name)}",
                "", f"{withdrawal.identifier} is withdrawn (withdrawals.json) but its files are still here: "
                "move them out of the statements folder, or remove the withdrawal"))
    items = tuple(w.as_dict() for w in withdrawals)
    return withdrawals, StageReport(STAGE, tuple(problems), items)


def new_statement(statements_dir: Path, schema_path: Path, identifier: str, body_kind: str) -> tuple[Path, Path]:
    """Write the skeleton of a new statement (metadata from the schema, an empty body);
    InputError for an unusable identifier or one already taken. Nothing is overwritten."""
    if reason := identifier_problem(identifier) or (
            identifier == Path(WITHDRAWALS_NAME).stem and "it is the name of the withdrawals file"):
        raise InputError(f"`{_short(identifier)}` cannot be an identifier: {reason}")
    folder = Path(statements_dir)
    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder of statements")
    taken = [p for p in list_folder(folder.resolve()).candidates if p.stem == identifier]
    if taken:
        raise InputError(f"{identifier} is taken: {', '.join(printable(p.name) for p in taken)} exists; "
                         "choose another identifier (a correction keeps the identifier and edits the files)")
    validator = load_validator(Path(schema_path))
    metadata, body = folder / f"{identifier}.json", folder / f"{identifier}.{body_kind}"
    for path, data in ((metadata, skeleton_bytes(validator.schema, identifier)), (body, b"")):
        with open(path, "xb") as out:  # never replaces a file made meanwhile
            out.write(data)
    return metadata, body
