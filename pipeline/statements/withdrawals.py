"""``statements/withdrawals.json``: the statements an officer has withdrawn.

A statement that the newest package holds and ``statements/`` no longer does
is either withdrawn, on purpose and with a reason, or missing by mistake;
the build refuses the second. The file is the officer's record of the first::

    {"withdrawals": [
      {"identifier": "nl-2019-remarks", "date": "2026-12-01",
       "reason": "Published in error; replaced by nl-2019-remarks-corrected"}
    ]}

``statement-archive withdraw ID --reason "…"`` adds an entry (it never edits
or removes one); the next package lists it in its ``data/index.json``, with
a PREMIS deaccession event; earlier versions stay untouched.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

from pipeline.core.files import write_atomically
from pipeline.core.records import Problem, Withdrawal
from pipeline.statements.files import Unreadable, read_file
from pipeline.statements.strictjson import parse_json

WITHDRAWALS_NAME = "withdrawals.json"
_LIMIT = 2**20
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def read_withdrawals(folder: Path) -> tuple[tuple[Withdrawal, ...], list[Problem]]:
    """The withdrawals recorded in *folder*, and every problem with the file (V026)."""
    path = folder / WITHDRAWALS_NAME
    where = f"{folder.name}/{WITHDRAWALS_NAME}"
    if not path.exists() and not path.is_symlink():
        return (), []
    try:
        data = read_file(path, _LIMIT, folder)
    except Unreadable as exc:
        return (), [Problem(exc.code, where, "", str(exc))]
    value, problems = parse_json(data, where)
    if problems:
        return (), problems
    entries = value.get("withdrawals") if isinstance(value, dict) else None
    if not isinstance(entries, list) or set(value) != {"withdrawals"}:
        return (), [Problem("V026", where, "", 'expected {"withdrawals": [ … ]}; '
                            "add entries with `statement-archive withdraw ID --reason …`")]
    found: list[Withdrawal] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        pointer = f"/withdrawals/{index}"
        reason = _entry_problem(entry)
        if reason:
            problems.append(Problem("V026", where, pointer, reason))
            continue
        if entry["identifier"] in seen:
            problems.append(Problem("V026", where, f"{pointer}/identifier",
                                    f"{entry['identifier']} is withdrawn twice; keep one entry"))
            continue
        seen.add(entry["identifier"])
        found.append(Withdrawal(entry["identifier"], entry["reason"], entry["date"]))
    return tuple(found), problems


def _entry_problem(entry: Any) -> str | None:
    if not isinstance(entry, dict) or set(entry) != {"identifier", "reason", "date"}:
        return "each withdrawal has exactly identifier, reason and date"
    if not all(isinstance(entry[k], str) for k in entry):
        return "identifier, reason and date are text"
    if not entry["reason"].strip():
        return "the reason is empty: say why the statement is withdrawn"
    if not _DATE.fullmatch(entry["date"]):
        return f"date {entry['date']!r} is not YYYY-MM-DD"
    try:
        dt.date.fromisoformat(entry["date"])
    except ValueError:
        return f"date {entry['date']!r} is not a real day"
    return None


def record_withdrawal(folder: Path, withdrawal: Withdrawal) -> None:
    """Add *withdrawal* to the file (created if need be), all or nothing.
    Raises ValueError if the file is damaged or already withdraws the statement."""
    current, problems = read_withdrawals(folder)
    if problems:
        raise ValueError("; ".join(str(p) for p in problems))
    if any(w.identifier == withdrawal.identifier for w in current):
        raise ValueError(f"{withdrawal.identifier} is already withdrawn in {folder.name}/{WITHDRAWALS_NAME}")
    entries = [w.as_dict() for w in (*current, withdrawal)]
    text = json.dumps({"withdrawals": entries}, indent=2, ensure_ascii=False) + "\n"
    write_atomically(folder / WITHDRAWALS_NAME, text.encode("utf-8"))
