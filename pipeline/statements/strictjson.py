"""A metadata file's bytes as JSON, refusing what could only do harm later.

Beyond :func:`json.loads`: a key given twice (the second would silently win),
``NaN`` and numbers too large for a float, integers past Python's digit limit
and nesting deep enough to exhaust recursion are all V001; text holding
control characters or lone surrogates is V020, because it cannot be written
into the PDF's XMP (XML 1.0) or shown. Problems name the JSON pointer.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterable

from pipeline.core.records import Problem
from pipeline.statements.files import printable

# The schema's deepest value is 3 levels down (/relations/0/type); deeper
# nesting only serves to exhaust the parser's or the validator's recursion.
MAX_METADATA_DEPTH = 32
# In metadata text: C0 controls other than tab/LF/CR, DEL, C1 controls, lone
# surrogates and the non-characters XML 1.0 forbids (the XMP could not be written).
_METADATA_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


class _DuplicateKey(ValueError):
    pass


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(f"the field `{short(key)}` appears twice in one object; keep one")
        result[key] = value
    return result


def _reject_constant(name: str) -> None:
    raise _DuplicateKey(f"`{name}` is not a JSON value")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _DuplicateKey(f"the number {short(text, 20)} is too large")
    return value


def parse_json(data: bytes, file: str) -> tuple[Any, list[Problem]]:
    """The value (None if unusable: V001) and every problem found in it."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [Problem("V001", file, "", f"not UTF-8 at byte {exc.start}; save the file as UTF-8")]
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_reject_constant,
                           parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        return None, [Problem("V001", file, "", f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")]
    except _DuplicateKey as exc:
        return None, [Problem("V001", file, "", str(exc))]
    except RecursionError:
        return None, [Problem("V001", file, "", f"arrays or objects nested too deeply; "
                                                f"a statement record is at most {MAX_METADATA_DEPTH} levels deep")]
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        return None, [Problem("V001", file, "", f"not usable as JSON: {short(str(exc), 120)}")]
    problems = _text_problems(value, file)
    return (None if any(p.code == "V001" for p in problems) else value), problems


def parse_accepted(data: bytes) -> Any:
    """The value of bytes that :func:`parse_json` accepted before without a
    problem: the same value, without the checks (its hooks only refuse, and
    return what :func:`json.loads` returns for what they accept)."""
    return json.loads(data.decode("utf-8-sig"))


def _text_problems(value: Any, file: str) -> list[Problem]:
    """Walked without recursion: too deep (V001), control characters or lone surrogates in text (V020)."""
    problems: list[Problem] = []
    stack: list[tuple[Any, list]] = [(value, [])]
    while stack:
        node, path = stack.pop()
        if len(path) > MAX_METADATA_DEPTH:
            return [Problem("V001", file, "", f"arrays or objects nested more than {MAX_METADATA_DEPTH} levels deep; "
                                              "a statement record is at most 3 levels deep")]
        if isinstance(node, dict):
            stack += [(v, path + [k]) for k, v in reversed(node.items())]
        elif isinstance(node, list):
            stack += [(v, path + [i]) for i, v in reversed(list(enumerate(node)))]
        elif isinstance(node, str) and (bad := _METADATA_FORBIDDEN.search(node)):
            char = bad.group()
            what = "an unpaired surrogate" if 0xD800 <= ord(char) <= 0xDFFF else "a control character"
            problems.append(Problem("V020", file, pointer(path),
                                    f"{what} U+{ord(char):04X} at character {bad.start()}; "
                                    "remove it (copied text sometimes carries such characters)"))
    return problems


def pointer(path: Iterable[Any]) -> str:
    return "".join("/" + printable(str(p)).replace("~", "~0").replace("/", "~1") for p in path)


def short(value: Any, limit: int = 60) -> str:
    text = printable(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
    return text if len(text) <= limit else text[: limit - 1] + "…"
