"""Withdrawing a statement: an act recorded on purpose, never an absence.

``withdraw`` records the officer's decision in ``statements/withdrawals.json``
(after checking that the newest package holds the statement); the next build
writes a version without it that lists the withdrawal, logs a deaccession
event, and leaves every earlier version as it was.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path

from pipeline.archive.folder import INDEX_PATH, list_packages
from pipeline.core.errors import InputError
from pipeline.core.records import Withdrawal
from pipeline.statements.withdrawals import WITHDRAWALS_NAME, record_withdrawal


def withdraw_statement(identifier: str, reason: str, *, statements_dir: Path, archive_dir: Path,
                       day: datetime.date, group: str = "statements") -> Withdrawal:
    """Record that *identifier* is withdrawn; InputError if there is nothing to withdraw."""
    if not reason.strip():
        raise InputError("give the reason with --reason: it is kept with the archive for good")
    packages = list_packages(archive_dir, group) if archive_dir.is_dir() else []
    if not packages:
        raise InputError(f"{archive_dir} has no package yet: there is nothing to withdraw")
    name, path = packages[-1]
    try:
        index = json.loads((path / INDEX_PATH).read_bytes())
    except (OSError, ValueError) as exc:
        raise InputError(f"{name.name}/{INDEX_PATH} cannot be read ({exc}); run verify") from exc
    held = {entry.get("identifier") for entry in index.get("statements", ())}
    if identifier not in held:
        raise InputError(f"{identifier} is not in the newest package {name.name}: nothing to withdraw "
                         "(check the identifier; `ls archive/*/data/` lists what each version holds)")
    withdrawal = Withdrawal(identifier, reason.strip(), day.isoformat())
    try:
        record_withdrawal(statements_dir, withdrawal)
    except ValueError as exc:
        raise InputError(f"{statements_dir / WITHDRAWALS_NAME}: {exc}") from exc
    return withdrawal
