"""The validate stage: every statement's metadata and body, every problem at once.

Layout: ``statements/<identifier>.json`` is the metadata; the body is the file
with the same stem and suffix ``.txt``, ``.md`` or ``.html``. Other files
(README and the like) are ignored. Each file is read once; the digests of
those bytes go into the :class:`Statement` records, so later stages can tell
if a file changed after validation. The folder is untrusted: it is listed and
read by :mod:`pipeline.statements.files` (no links followed, sizes bounded).
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable, Iterable
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError, ValidationError

from pipeline.validate.capture import check_capture
from pipeline.statements.body import BodyDecodeError, decode_body, forbidden_controls
from pipeline.core.errors import InputError
from pipeline.statements.langtag import language_tag_problem
from pipeline.statements.strictjson import parse_accepted, parse_json
from pipeline.statements.strictjson import pointer as _pointer
from pipeline.statements.strictjson import short as _short
from pipeline.core.records import BODY_MEDIA_TYPES, Problem, StageReport, Statement, Withdrawal
from pipeline.statements.withdrawals import WITHDRAWALS_NAME, read_withdrawals
from pipeline.validate.skeleton import placeholders, skeleton_bytes
from pipeline.validate.verdicts import PassedFiles, validator_fingerprint
from pipeline.statements.edtf import UNDATED, DateProblem, parse_issue_date
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
_IDENTIFIER = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")
_WINDOWS_RESERVED = frozenset(
    ["con", "prn", "aux", "nul"] + [f"{p}{n}" for p in ("com", "lpt") for n in range(1, 10)]
)
_DATE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")
_URI_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
_EDTF_CHARACTERS = re.compile(r"[0-9X./?~%-]+")
_JSON_TYPES = {type(None): "null", bool: "boolean", int: "number", float: "number",
               str: "string", list: "array", dict: "object"}
_PATTERN_HINTS = {
    "date_issued": "a date in EDTF (2019, 2019-06, 2019-06-06, 2019~, 2019-06/2019-08, ../2020) or `undated`",
    "date_estimated": "a date in EDTF (2019, 2019-06, 2019~, 2019-06/2019-08)",
    "retrieved": "a date of the form YYYY-MM-DD",
    "target": "an identifier or a web address, without spaces",
}


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
    schema = _schema_bytes(Path(schema_path))
    validator = _validator_for(str(schema_path), schema)
    passes = PassedFiles(verdict_cache, validator_fingerprint(schema, validator.format_checker.checkers)
                            if verdict_cache else "")
    folder = Path(statements_dir).resolve()
    if not folder.is_dir():
        raise InputError(f"{statements_dir}: no such folder of statements")
    listing = list_folder(folder)
    files = listing.candidates

    inside = len(str(folder)) + 1  # every path listed is folder / something

    @functools.cache  # each file is named in up to five places
    def display(path: Path) -> str:
        return f"{printable(folder.name)}/{printable(str(path)[inside:])}"

    problems: list[Problem] = []
    bodies: dict[Path, list[Path]] = defaultdict(list)  # by path without suffix: same folder, same stem
    metadata_files: list[Path] = []
    others: list[Path] = []
    for path in files:
        kind = _kind_of(path, folder)
        if kind == "metadata":
            metadata_files.append(path)
        elif kind == "body":
            bodies[path.with_suffix("")].append(path)
        elif kind == "wrong case":
            problems.append(Problem("V029", display(path), "", (
                f"the extension {printable(path.suffix)} is not lower case: rename the file to "
                f"{printable(path.stem + path.suffix.lower())} (statement files are .json, .txt, .md, .html)")))
        elif kind == "other":
            others.append(path)
    stems = {p.with_suffix("") for p in metadata_files}
    problems += [Problem("V028", display(path), "", (
        "not part of any statement, so it is not archived (statements are <identifier>.json "
        "with a .txt, .md or .html body; README files are ignored)"), "warning")
        for path in others if path.with_suffix("") not in stems]  # those are named by V008

    def read(path: Path, limit: int) -> bytes:
        return read_file(path, limit, folder)

    problems += [
        Problem("V019", display(path), "", f"{link_description(path, folder)}: not descended; "
                                           "put the statements themselves in the statements folder", "warning")
        for path in listing.linked_folders
    ]
    checked: list[tuple[Statement | None, Any, str]] = []  # (statement, identifier, file)
    for path in metadata_files:
        found, statement, identifier = _check_record(
            path, bodies.get(path.with_suffix(""), []), files, validator, display,
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

    for stem, paths in sorted(bodies.items()):
        if stem not in stems:
            for path in paths:
                problems.append(Problem("V016", display(path), "",
                                        f"body file without metadata: add {printable(stem.name)}.json to archive it", "warning"))
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
    return _load_validator(Path(schema_path)).schema["$id"]


def _within(pointer: str, prefix: str) -> bool:
    return pointer == prefix or pointer.startswith(prefix + "/")


_IGNORED_STEMS = ("readme",)


def _kind_of(path: Path, folder: Path) -> str:
    """metadata, body, ignored (a README, the withdrawals file, a capture), wrong case, or other."""
    suffix = path.suffix
    if path.stem.lower() in _IGNORED_STEMS or (path.parent == folder and path.name == WITHDRAWALS_NAME):
        return "ignored"
    if path.stem.endswith(".capture") or (path.parent != folder and any(
            p.endswith(".capture_files") for p in path.relative_to(folder).parts[:-1])):
        # <id>.capture.html (or .txt), <id>.capture_files/…: an imported statement's capture, checked with it
        return "ignored"
    if suffix == ".json":
        return "metadata"
    if suffix in BODY_MEDIA_TYPES:
        return "body"
    if suffix.lower() == ".json" or suffix.lower() in BODY_MEDIA_TYPES:
        return "wrong case"
    return "other"


def _load_validator(schema_path: Path) -> Draft202012Validator:
    return _validator_for(str(schema_path), _schema_bytes(schema_path))


def _schema_bytes(schema_path: Path) -> bytes:
    try:
        return schema_path.read_bytes()
    except OSError as exc:
        raise InputError(f"{schema_path}: cannot use this schema: {str(exc).splitlines()[0]}") from None


@functools.lru_cache(maxsize=8)
def _validator_for(schema_path: str, data: bytes) -> Draft202012Validator:
    """One validator per schema's bytes and process: a build asks three times (the records,
    the withdrawals, the schema's version), and checking the schema itself costs 0.1 s."""
    try:
        schema = json.loads(data.decode("utf-8"))
        Draft202012Validator.check_schema(schema)
    except (ValueError, SchemaError) as exc:
        raise InputError(f"{schema_path}: cannot use this schema: {str(exc).splitlines()[0]}") from None
    if not isinstance(schema.get("$id"), str) or not schema["$id"].rsplit(":", 1)[-1][:1].isdigit():
        raise InputError(f"{schema_path}: cannot use this schema: its $id must end with its version (…:1.3.0)")
    checker = FormatChecker(Draft202012Validator.FORMAT_CHECKER.checkers)
    checker.checks("uri")(_is_uri)
    return Draft202012Validator(schema, format_checker=checker)


def _is_uri(value: object) -> bool:
    """An absolute URI: a scheme, no spaces; http(s) also needs a host (RFC 3986, loosely)."""
    if not isinstance(value, str):
        return True
    if any(c.isspace() or ord(c) < 0x20 for c in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    if not _URI_SCHEME.fullmatch(parts.scheme) or value[len(parts.scheme):][:1] != ":":
        return False
    return parts.scheme.lower() not in ("http", "https") or bool(parts.hostname)


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
        own = [] if known else _metadata_problems(validator, metadata, file)
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
        media_type=BODY_MEDIA_TYPES[body_path.suffix], metadata=metadata,
        metadata_sha256=metadata_sha256, body_sha256=body_sha256,
        capture_path=capture.path, capture_media_type=capture.media_type, capture_sha256=capture.sha256,
        capture_resources=capture.resources,
    )
    return problems, statement, identifier


def _metadata_problems(validator: Draft202012Validator, metadata: Any, file: str) -> list[Problem]:
    """The problems of the metadata alone: a pure function of its bytes (what
    :mod:`pipeline.validate.verdicts` relies on)."""
    unfilled = list(placeholders(metadata))
    problems = [Problem("V030", file, pointer, f"still the placeholder of `statement-archive new`: {text[:400]}")
                for pointer, text in unfilled]
    # A placeholder breaks the schema too (a pattern, a list); say it once, as V030.
    problems += [p for p in _schema_problems(validator, metadata, file)
                 if not any(_within(p.pointer, pointer) for pointer, _ in unfilled)]
    problems += [p for p in _content_problems(metadata, file)
                 if not any(_within(p.pointer, pointer) for pointer, _ in unfilled)]
    return problems


def _schema_problems(validator: Draft202012Validator, metadata: Any, file: str) -> list[Problem]:
    problems: dict[tuple[str, str], Problem] = {}
    errors = sorted(validator.iter_errors(metadata), key=lambda e: ([str(p) for p in e.absolute_path], e.validator))
    for error in errors:
        for problem in _explain(error, list(error.absolute_path), file):
            problems.setdefault((problem.pointer, problem.code), problem)
    return list(problems.values())


def _explain(error: ValidationError, path: list, file: str) -> Iterable[Problem]:
    """Plain words for one jsonschema error (its raw message can hold a whole record)."""
    kind, value, schema, where = error.validator, error.instance, error.schema, _pointer(path)
    if kind == "additionalProperties":
        known = sorted(k for k in schema.get("properties", {}) if not k.startswith("$"))
        for name in sorted(set(value) - set(schema.get("properties", {}))):
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"did you mean `{close[0]}`?" if close else f"known fields here: {', '.join(known)}"
            yield Problem("V003", file, _pointer(path + [name]), f"`{_short(name)}`: unknown field; {hint}")
    elif kind == "required":
        for name in error.validator_value:
            if name not in value:
                about = schema.get("properties", {}).get(name, {}).get("description", "")
                yield Problem("V004", file, _pointer(path + [name]),
                              f"required field `{name}` is missing" + (f" ({_first_sentence(about)})" if about else ""))
    elif kind == "anyOf" and all(set(s) == {"required"} for s in error.validator_value):
        names = " or ".join(f"`{n}`" for s in error.validator_value for n in s["required"])
        yield Problem("V004", file, where, f"give at least one of {names}")
    elif path[:1] == ["identifier"] and kind in ("pattern", "maxLength"):
        return  # explained in detail by _identifier_problem (V012)
    elif kind == "type":
        yield Problem("V002", file, where, f"expected {error.validator_value}, got {_JSON_TYPES.get(type(value), 'value')}")
    elif kind == "enum":
        choices = [str(c) for c in error.validator_value]
        close = difflib.get_close_matches(str(value).lower(), choices, n=1)
        hint = f"did you mean `{close[0]}`?" if close else "allowed: " + ", ".join(f"`{c}`" for c in choices)
        yield Problem("V002", file, where, f"`{_short(value)}` is not an allowed value; {hint}")
    elif kind == "format":
        if error.validator_value == "date" and _DATE.fullmatch(str(value)):
            yield Problem("V005", file, where, f"`{value}` is not a date that exists in the calendar")
        elif error.validator_value != "date":  # a malformed date is reported by its pattern
            yield Problem("V002", file, where, f"`{_short(value)}` is not a full web address (such as https://example.org/page)")
    elif kind == "pattern":
        expected = _PATTERN_HINTS.get(str(path[-1]) if path else "", "")
        message = f"`{_short(value)}` is not {expected}" if expected else "must not be blank"
        yield Problem("V002", file, where, message)
    elif kind == "minLength":
        yield Problem("V002", file, where, "must not be empty")
    elif kind == "minItems":
        yield Problem("V002", file, where, f"must list at least {error.validator_value} entry")
    elif kind == "uniqueItems":
        repeated = next(v for i, v in enumerate(value) if v in value[:i])
        yield Problem("V002", file, where, f"lists `{_short(repeated)}` more than once")
    else:
        yield Problem("V002", file, where, _short(error.message, 160))


def _content_problems(metadata: Any, file: str) -> list[Problem]:
    """The rules the schema cannot express: safe identifiers, real dates, well-formed tags."""
    if not isinstance(metadata, dict):
        return []
    problems = []
    identifier = metadata.get("identifier")
    if isinstance(identifier, str) and (why := _identifier_problem(identifier)):
        problems.append(Problem("V012", file, "/identifier", f"`{_short(identifier)}` {why}"))
    problems += _date_problems(metadata, file)
    languages = metadata.get("languages")
    for index, tag in enumerate(languages if isinstance(languages, list) else []):
        if isinstance(tag, str) and tag and (why := language_tag_problem(tag)):
            problems.append(Problem("V006", file, f"/languages/{index}", why))
    problems += _alternative_title_problems(metadata, languages, file)
    return problems


def _date_problems(metadata: dict, file: str) -> list[Problem]:
    """EDTF dates that name no real day (V005) or that the grammar refuses (V002);
    an estimate on a dated statement (V022). Values with characters no EDTF
    date has are reported by the schema's pattern."""
    issued, estimate = metadata.get("date_issued"), metadata.get("date_estimated")
    problems = []
    for name, value in (("date_issued", issued), ("date_estimated", estimate)):
        if not isinstance(value, str) or not _EDTF_CHARACTERS.fullmatch(value):
            continue
        try:
            parse_issue_date(value)
        except DateProblem as exc:
            problems.append(Problem("V005" if exc.impossible else "V002", file, f"/{name}", str(exc)))
    if isinstance(estimate, str) and isinstance(issued, str) and issued != UNDATED:
        problems.append(Problem("V022", file, "/date_estimated",
                                f"an estimate is only for an undated statement, but date_issued is `{_short(issued)}`: "
                                "write the date in date_issued (e.g. `2019~` for about 2019) and remove date_estimated"))
    return problems


def _alternative_title_problems(metadata: dict, languages: Any, file: str) -> list[Problem]:
    """Each alternative title's tag well-formed (V006) and its language not
    already titled (V023): PDF metadata holds one title per language."""
    titles = metadata.get("alternative_titles")
    first = languages[0] if isinstance(languages, list) and languages and isinstance(languages[0], str) else None
    seen: dict[str, str] = {first.lower(): "/title"} if first else {}
    problems = []
    for index, entry in enumerate(titles if isinstance(titles, list) else []):
        tag = entry.get("language") if isinstance(entry, dict) else None
        if not isinstance(tag, str) or not tag:
            continue
        where = f"/alternative_titles/{index}/language"
        if why := language_tag_problem(tag):
            problems.append(Problem("V006", file, where, why))
        elif tag.lower() in seen:
            problems.append(Problem("V023", file, where, (
                f"`{tag}` already has a title ({seen[tag.lower()]}); a PDF's metadata holds one title per "
                "language: keep one, and put the other in description")))
        else:
            seen[tag.lower()] = f"/alternative_titles/{index}"
    return problems


def _identifier_problem(identifier: str) -> str | None:
    if len(identifier) > 100:
        return f"is {len(identifier)} characters long; at most 100 are allowed"
    if not _IDENTIFIER.fullmatch(identifier):
        return ("is not safe as a file name: use lower-case a-z, digits, '.', '_' and '-', "
                "starting with a letter or digit")
    if ".." in identifier or identifier.endswith("."):
        return "is not safe as a file name: no '..' and no '.' at the end"
    if identifier.split(".")[0] in _WINDOWS_RESERVED:
        return "is a reserved file name on Windows (con, prn, aux, nul, com1-9, lpt1-9)"
    return None


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


def _first_sentence(text: str) -> str:
    return _short(text.split(". ")[0].rstrip("."), 100)


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
    if reason := _identifier_problem(identifier) or (
            identifier == Path(WITHDRAWALS_NAME).stem and "it is the name of the withdrawals file"):
        raise InputError(f"`{_short(identifier)}` cannot be an identifier: {reason}")
    folder = Path(statements_dir)
    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder of statements")
    taken = [p for p in list_folder(folder.resolve()).candidates if p.stem == identifier]
    if taken:
        raise InputError(f"{identifier} is taken: {', '.join(printable(p.name) for p in taken)} exists; "
                         "choose another identifier (a correction keeps the identifier and edits the files)")
    validator = _load_validator(Path(schema_path))
    metadata, body = folder / f"{identifier}.json", folder / f"{identifier}.{body_kind}"
    for path, data in ((metadata, skeleton_bytes(validator.schema, identifier)), (body, b"")):
        with open(path, "xb") as out:  # never replaces a file made meanwhile
            out.write(data)
    return metadata, body
