"""The archive's audit trail: an append-only, hash-chained event log.

``archive/events.jsonl`` lives beside the packages, never inside them (bags
are immutable). One line per event: canonical JSON (sorted keys, no spaces,
UTF-8), with PREMIS 3 semantic units as keys and event types from the Library
of Congress vocabulary (``EVENT_TYPES``). Each line carries

* ``sequence``: 1 for the first line, then +1: a gap shows a deleted line;
* ``previous_sha256``: SHA-256 of the previous line exactly as stored, newline
  included (``GENESIS`` for the first), so deleting, inserting or reordering
  lines breaks the chain;
* ``sha256``: SHA-256 of the line's own canonical content without this key, so
  an edited line no longer matches itself;
* ``eventIdentifier``: a UUID5 of the content (which includes the chain), so
  the same history always gets the same identifiers and no randomness is used.

What a chain cannot show: the newest lines being rewritten or dropped as a
whole by someone with write access. ``events --check`` prints the head
digest; recording it elsewhere (a transfer receipt, a ticket) closes that gap.

Appending is crash-safe and concurrency-safe: the log is opened with
O_APPEND and locked with ``flock`` (on the log itself, so a caller already
holding ``archive/.lock`` cannot deadlock against us), the last line is read
under the lock, each new line goes out in one ``os.write``, and the file is
fsynced before the lock is released. A line left incomplete by a crash is
never chained to: appending refuses until an officer has looked at it.

What an event says and the entry it becomes is :mod:`pipeline.events.entry`;
checking a log is :mod:`pipeline.events.check`; which events the pipeline
records is :mod:`pipeline.events.pipeline_events`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
from pathlib import Path
from typing import BinaryIO, Callable, Iterable, Iterator, Sequence

from pipeline.core.files import fsync_dir
from pipeline.core.errors import ArchiveError
from pipeline.events.entry import (
    GENESIS, EventDraft, Link, LoggedEvent, build_entry, canonical, check_draft, content_digest, logged_content,
    shape_problem, software_agent, utc_text,
)

EVENTS_NAME = "events.jsonl"


def append_event(log_path: Path, event_type: str, *, when: dt.datetime, outcome: str,
                 detail: str = "", objects: Iterable[Link] = (),
                 agents: Iterable[Link] = ()) -> LoggedEvent:
    """Append one event (e.g. ``"transfer"``); *agents* default to this software."""
    draft = EventDraft(event_type, when, outcome, detail, tuple(objects), tuple(agents))
    return append_events(log_path, [draft])[0]


def append_events(log_path: Path, drafts: Sequence[EventDraft]) -> tuple[LoggedEvent, ...]:
    """Append *drafts* in order, under one lock, chained to the log's last line.

    Raises ValueError for an unknown event type, outcome or naive time (a
    programming error); ArchiveError when the log cannot be written or its
    last line is incomplete or damaged.
    """
    for draft in drafts:
        check_draft(draft)
    if not drafts:
        return ()  # not even an empty log: nothing happened
    if not log_path.parent.is_dir():
        raise ArchiveError(f"{log_path.parent} is not a folder; the event log cannot be written")
    logged: list[LoggedEvent] = []
    try:
        existed = log_path.exists()
        fd = os.open(log_path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise _unwritable(log_path, exc) from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        size = os.fstat(fd).st_size
        sequence, previous = _tail(log_path, fd, size)
        for draft in drafts:
            sequence += 1
            line, event = _line(sequence, previous, draft)
            try:
                written = os.write(fd, line)
            except OSError:
                os.ftruncate(fd, size)  # leave no partial line behind (disk full…)
                raise
            if written != len(line):
                os.ftruncate(fd, size)
                raise OSError(f"only {written} of {len(line)} bytes could be written")
            size += written
            previous = hashlib.sha256(line).hexdigest()
            logged.append(event)
        os.fsync(fd)
        if not existed:
            fsync_dir(log_path.parent)  # the new file's name must survive a crash too
    except OSError as exc:
        raise _unwritable(log_path, exc) from exc
    finally:
        os.close(fd)  # releases the lock
    return tuple(logged)


@contextlib.contextmanager
def _shared(log_path: Path) -> Iterator[BinaryIO | None]:
    """The log open for reading under a shared lock (so never half an append); None if absent."""
    try:
        fd = os.open(log_path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        yield None
        return
    except OSError as exc:
        raise ArchiveError(f"{log_path} cannot be read: {exc.strerror or exc}") from exc
    try:
        with open(fd, "rb", closefd=False) as handle:
            fcntl.flock(fd, fcntl.LOCK_SH)
            yield handle
    except OSError as exc:
        raise ArchiveError(f"{log_path} cannot be read: {exc.strerror or exc}") from exc
    finally:
        os.close(fd)  # releases the lock


def read_log(log_path: Path) -> bytes:
    """The log's bytes, read under a shared lock; b"" if absent."""
    with _shared(log_path) as handle:
        return handle.read() if handle else b""


def read_lines(log_path: Path) -> list[bytes]:
    """The log's complete lines, without their newlines (an unfinished last line is not one)."""
    return read_log(log_path).split(b"\n")[:-1]


def read_events(log_path: Path, keep: Callable[[bytes], bool] | None = None) -> tuple[LoggedEvent, ...]:
    """Every complete, well-formed entry, in log order (``verify_event_log`` says what is wrong);
    with *keep*, only those of the lines it keeps (a cheap test on the raw line, before parsing).
    Read a line at a time: a log of many builds is never held whole beside its parsed entries."""
    with _shared(log_path) as handle:
        return tuple(_entries(handle, keep))


def logged_content_digests(lines: Iterable[bytes]) -> set[bytes]:
    """:func:`content_digest` of each well-formed entry among *lines* (complete lines of a log):
    what "is this event in the log?" needs, in 32 bytes an entry, not the entries."""
    return {content_digest(logged_content(event)) for raw in lines if (event := _entry(raw)) is not None}


def _entries(handle: BinaryIO | None, keep: Callable[[bytes], bool] | None) -> Iterator[LoggedEvent]:
    for raw in handle or ():
        if not raw.endswith(b"\n"):
            return  # an unfinished last line is not an entry
        if (keep is None or keep(raw)) and (event := _entry(raw)) is not None:
            yield event


def _entry(raw: bytes) -> LoggedEvent | None:
    try:
        entry = json.loads(raw.decode("utf-8"))
        if shape_problem(entry) is None:
            return LoggedEvent.from_dict(entry)
    except (UnicodeDecodeError, ValueError):
        pass
    return None


def line_sha256(line: bytes) -> str:
    """What the next line names as its ``previous_sha256``: the line as stored, newline included
    (*line* without it, as :func:`read_lines` gives)."""
    return hashlib.sha256(line + b"\n").hexdigest()


def chained(lines: Sequence[bytes], after: bytes | None) -> bool:
    """Whether each of *lines* (complete lines, without newlines) names the one before it,
    the first naming *after* (``GENESIS`` if None): an unbroken run of whole lines,
    shown from their bytes, without parsing them (a JSON string holds a quote only
    escaped, so the field's text cannot come from inside a value)."""
    previous = GENESIS if after is None else line_sha256(after)
    for line in lines:
        if f'"previous_sha256":"{previous}"'.encode() not in line:
            return False
        previous = line_sha256(line)
    return True


def _line(sequence: int, previous: str, draft: EventDraft) -> tuple[bytes, LoggedEvent]:
    entry = build_entry(sequence, previous, draft.event_type, utc_text(draft.when), draft.outcome,
                        draft.detail, draft.agents or (software_agent(),), draft.objects)
    return canonical(entry) + b"\n", LoggedEvent.from_dict(entry)


def log_head(log_path: Path) -> tuple[int, str]:
    """(sequence, SHA-256) of the log's last line, (0, GENESIS) for none; read under
    the log's shared lock. ArchiveError if its tail is damaged."""
    try:
        fd = os.open(log_path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return 0, GENESIS
    except OSError as exc:
        raise ArchiveError(f"{log_path} cannot be read: {exc.strerror or exc}") from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        return _tail(log_path, fd, os.fstat(fd).st_size)
    finally:
        os.close(fd)


def _tail(log_path: Path, fd: int, size: int) -> tuple[int, str]:
    """(sequence, sha256) of the last line, or (0, GENESIS); refuses a damaged tail."""
    if size == 0:
        return 0, GENESIS
    if os.pread(fd, 1, size - 1) != b"\n":
        raise ArchiveError(f"{log_path} ends with an incomplete line (an append was "
                           "interrupted): run `statement-archive events --check` and remove "
                           "that line before anything more can be recorded")
    start = size - 1
    while start > 0:  # walk back to the newline before the last line
        step = min(4096, start)
        chunk = os.pread(fd, step, start - step)
        cut = chunk.rfind(b"\n")
        if cut >= 0:
            start = start - step + cut + 1
            break
        start -= step
    last = os.pread(fd, size - start, start)
    try:
        sequence = json.loads(last.decode("utf-8"))["sequence"]
        if not isinstance(sequence, int) or isinstance(sequence, bool):
            raise ValueError(sequence)
    except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise ArchiveError(f"the last entry of {log_path} is damaged; run `statement-archive "
                           "events --check` before anything more can be recorded") from exc
    return sequence, hashlib.sha256(last).hexdigest()


def _unwritable(log_path: Path, exc: OSError) -> ArchiveError:
    return ArchiveError(f"the event log {log_path} cannot be written: {exc.strerror or exc}")
