"""One metadata record's own checks: the JSON Schema, with every error
explained in the officer's terms, and the rules a schema cannot express
(real dates, language tags, identifiers usable as file names, alternative
titles). A pure function of the record's bytes and the schema, which is what
:mod:`pipeline.validate.verdicts` relies on to keep passes; the folder walk
and everything that depends on more than one file is :mod:`pipeline.validate.stage`'s.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError, ValidationError

from pipeline.core.errors import InputError
from pipeline.core.records import Problem
from pipeline.statements.edtf import UNDATED, DateProblem, parse_issue_date
from pipeline.statements.langtag import language_tag_problem
from pipeline.statements.strictjson import pointer as _pointer
from pipeline.statements.strictjson import short as _short
from pipeline.validate.skeleton import placeholders

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


def _within(pointer: str, prefix: str) -> bool:
    return pointer == prefix or pointer.startswith(prefix + "/")


def load_validator(schema_path: Path) -> Draft202012Validator:
    return validator_for(str(schema_path), schema_bytes(schema_path))


def schema_bytes(schema_path: Path) -> bytes:
    try:
        return schema_path.read_bytes()
    except OSError as exc:
        raise InputError(f"{schema_path}: cannot use this schema: {str(exc).splitlines()[0]}") from None


@functools.lru_cache(maxsize=8)
def validator_for(schema_path: str, data: bytes) -> Draft202012Validator:
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


def metadata_problems(validator: Draft202012Validator, metadata: Any, file: str) -> list[Problem]:
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
        return  # explained in detail by identifier_problem (V012)
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
    if isinstance(identifier, str) and (why := identifier_problem(identifier)):
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


def identifier_problem(identifier: str) -> str | None:
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


def _first_sentence(text: str) -> str:
    return _short(text.split(". ")[0].rstrip("."), 100)
