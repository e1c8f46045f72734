"""The submission ledger: every attempt, in an embedded SQLite database.

One row per attempt to submit one statement's PDF (with its metadata sidecar)
to one target. A row is written as ``pending`` *before* anything is sent and
committed, so a submit that is killed leaves evidence; it becomes
``confirmed`` only after the target's copy has been read back or checked by
the server, or ``failed`` with the server's answer. A later run that finds a
``pending`` row marks it ``failed`` (interrupted) and sends again.

What counts as "the same submission" is the target plus the statement's
identifier and the SHA-256 of its PDF and its metadata file: a package that
repeats an unchanged statement does not send it again.

The database lives beside the archive folder, not in it: ``verify`` reports
anything in ``archive/`` that is not a package. A ``<ledger>.lock`` file keeps
two submits from sending at the same time.
"""

from __future__ import annotations

import sqlite3
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Iterator

from pipeline.core.errors import ArchiveError, StageError
from pipeline.core.files import LockHeld, file_lock

SCHEMA_VERSION = "1"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS attempts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    target          TEXT NOT NULL,      -- the target URL, never with credentials
    package         TEXT NOT NULL,
    package_version INTEGER NOT NULL,
    identifier      TEXT NOT NULL,
    pdf_path        TEXT NOT NULL,      -- inside the package
    pdf_sha256      TEXT NOT NULL,
    pdf_size        INTEGER NOT NULL,
    metadata_sha256 TEXT NOT NULL,      -- of the statement's JSON as archived
    remote_name     TEXT NOT NULL,
    location        TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'failed')),
    tries           INTEGER NOT NULL DEFAULT 0,
    response        TEXT NOT NULL DEFAULT '',
    started         TEXT NOT NULL,      -- UTC, from the clock the CLI passes in
    finished        TEXT,
    agent           TEXT NOT NULL,      -- the software that submitted
    event_id        TEXT,               -- identifies the transfer (PREMIS), once confirmed
    logged_event    TEXT                -- its eventIdentifier in the archive's event log, once there
);
CREATE INDEX IF NOT EXISTS attempts_item ON attempts (target, identifier, pdf_sha256, metadata_sha256);
CREATE TABLE IF NOT EXISTS ledger_info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Attempt:
    id: int
    target: str
    package: str
    package_version: int
    identifier: str
    pdf_path: str
    pdf_sha256: str
    pdf_size: int
    metadata_sha256: str
    remote_name: str
    location: str
    status: str
    tries: int
    response: str
    started: str
    finished: str | None
    agent: str
    event_id: str | None
    logged_event: str | None

    def as_dict(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

_COLUMNS = ", ".join(f.name for f in fields(Attempt))


class Ledger:
    def __init__(self, connection: sqlite3.Connection, path: Path):
        self._db = connection
        self.path = path

    # -- reading ---------------------------------------------------------------

    def attempts(self, target: str | None = None) -> list[Attempt]:
        where, args = ("WHERE target = ?", (target,)) if target else ("", ())
        return self._select(f"{where} ORDER BY id", args)

    def latest(self) -> list[Attempt]:
        """The newest attempt of each submission (target, statement, PDF, metadata)."""
        return self._select(
            "WHERE id IN (SELECT MAX(id) FROM attempts "
            "GROUP BY target, identifier, pdf_sha256, metadata_sha256) "
            "ORDER BY target, identifier, package_version, id", ())

    def confirmed(self, target: str, identifier: str, pdf_sha256: str,
                  metadata_sha256: str) -> Attempt | None:
        found = self._select("WHERE target = ? AND identifier = ? AND pdf_sha256 = ? AND "
                             "metadata_sha256 = ? AND status = 'confirmed' ORDER BY id LIMIT 1",
                             (target, identifier, pdf_sha256, metadata_sha256))
        return found[0] if found else None

    def pending(self, target: str, identifier: str, pdf_sha256: str,
                metadata_sha256: str) -> list[Attempt]:
        return self._select("WHERE target = ? AND identifier = ? AND pdf_sha256 = ? AND "
                            "metadata_sha256 = ? AND status = 'pending' ORDER BY id",
                            (target, identifier, pdf_sha256, metadata_sha256))

    def unlogged(self) -> list[Attempt]:
        """Confirmed transfers not yet in the archive's event log (oldest first)."""
        return self._select("WHERE status = 'confirmed' AND logged_event IS NULL ORDER BY id", ())

    # -- writing (each call is one committed transaction) ---------------------------

    def mark_logged(self, attempt_id: int, event_identifier: str) -> None:
        with self._db:
            self._db.execute("UPDATE attempts SET logged_event = ? WHERE id = ?",
                             (event_identifier, attempt_id))

    def begin(self, *, target: str, package: str, package_version: int, identifier: str,
              pdf_path: str, pdf_sha256: str, pdf_size: int, metadata_sha256: str,
              remote_name: str, location: str, started: str, agent: str) -> int:
        with self._db:
            cursor = self._db.execute(
                "INSERT INTO attempts (target, package, package_version, identifier, pdf_path, "
                "pdf_sha256, pdf_size, metadata_sha256, remote_name, location, status, started, agent) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
                (target, package, package_version, identifier, pdf_path, pdf_sha256, pdf_size,
                 metadata_sha256, remote_name, location, started, agent))
        return int(cursor.lastrowid or 0)

    def finish(self, attempt_id: int, *, status: str, tries: int, response: str, finished: str,
               event_id: str | None = None) -> None:
        with self._db:
            self._db.execute(
                "UPDATE attempts SET status = ?, tries = ?, response = ?, finished = ?, event_id = ? "
                "WHERE id = ? AND status = 'pending'",
                (status, tries, response, finished, event_id, attempt_id))

    def _select(self, clause: str, args: tuple[object, ...]) -> list[Attempt]:
        rows = self._db.execute(f"SELECT {_COLUMNS} FROM attempts {clause}", args).fetchall()
        return [Attempt(*row) for row in rows]


@contextmanager
def open_ledger(path: Path, *, create: bool = True, exclusive: bool = False) -> Iterator[Ledger]:
    """Open (and if *create*, make) the ledger at *path*.

    *exclusive* holds ``<path>.lock`` for as long as the ledger is open and
    fails at once if another submit holds it. The lock is a separate file:
    opening and closing the database file itself would drop SQLite's own
    POSIX locks on it.
    """
    if not create and not path.is_file():
        raise ArchiveError(f"no submission ledger at {path}: nothing has been submitted yet")
    with ExitStack() as held:
        try:
            if exclusive:
                path.parent.mkdir(parents=True, exist_ok=True)
                try:
                    held.enter_context(file_lock(Path(f"{path}.lock"), wait=False))
                except LockHeld:
                    raise StageError(f"another submit is running (it holds {path}.lock); "
                                     "wait for it to finish, then run submit again") from None
            connection = sqlite3.connect(path, timeout=10.0)
        except (OSError, sqlite3.Error) as exc:
            raise ArchiveError(f"the submission ledger {path} cannot be opened: "
                               f"{getattr(exc, 'strerror', None) or exc}") from exc
        try:
            connection.execute("PRAGMA synchronous = FULL")  # a confirmed row survives a power cut
            with connection:
                connection.executescript(_SCHEMA)
                connection.execute("INSERT OR IGNORE INTO ledger_info VALUES ('schema_version', ?)",
                                   (SCHEMA_VERSION,))
            yield Ledger(connection, path)
        except sqlite3.Error as exc:
            raise ArchiveError(f"the submission ledger {path} cannot be used: {exc}") from exc
        finally:
            connection.close()
