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

Checking a log is :mod:`pipeline.events.check`; which events the pipeline
records is :mod:`pipeline.events.pipeline_events`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterable, Iterator, Mapping, Sequence
from urllib.parse import urlsplit

from pipeline import SOFTWARE_AGENT
from pipeline.core.files import fsync_dir
from pipeline.core.errors import ArchiveError

EVENTS_NAME = "events.jsonl"
GENESIS = "0" * 64
EVENT_TYPE_AUTHORITY = "eventType"
EVENT_TYPE_VOCABULARY = "http://id.loc.gov/vocabulary/preservation/eventType"
#: LoC PREMIS event types this archive records, label → term code in the vocabulary.
EVENT_TYPES: Mapping[str, str] = {
    "creation": "cre",
    "deaccession": "dea",
    "deletion": "del",
    "digital signature generation": "dsg",
    "digital signature validation": "dig",
    "fixity check": "fix",
    "information package creation": "ipc",
    "ingestion": "ing",
    "message digest calculation": "mes",
    "replication": "rep",
    "transfer": "tra",
    "validation": "val",
}
OUTCOMES = ("success", "failure", "warning")
AGENT_ROLE_EXECUTING = "executing program"
OBJECT_ROLE_SOURCE, OBJECT_ROLE_OUTCOME = "source", "outcome"
# Fixed, so identifiers are the same on every machine; the name is ours, not a web address.
_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:x-statement-archive:premis-event")
_REQUIRED = ("sequence", "eventIdentifier", "eventType", "eventTypeURI", "eventDateTime",
             "eventOutcome", "eventOutcomeDetail", "linkingAgentIdentifier",
             "linkingObjectIdentifier", "previous_sha256", "sha256")


def event_type_uri(label: str) -> str:
    return f"{EVENT_TYPE_VOCABULARY}/{EVENT_TYPES[label]}"


@dataclass(frozen=True)
class Link:
    """A linking agent or object identifier: ``type`` and ``value``, and its role."""

    type: str
    value: str
    role: str

    def as_dict(self) -> dict[str, str]:
        return {"type": self.type, "value": self.value, "role": self.role}


def software_agent(agent: str = SOFTWARE_AGENT) -> Link:
    return Link("software", agent, AGENT_ROLE_EXECUTING)


def package_link(name: str, role: str = OBJECT_ROLE_SOURCE) -> Link:
    return Link("package", name, role)


def statement_link(identifier: str, role: str = OBJECT_ROLE_SOURCE) -> Link:
    return Link("statement", identifier, role)


def location_link(location: str, role: str) -> Link:
    """Where a copy went: typed ``URI`` only when it is one (s3://…, https://…,
    urn:…); a drop-folder path is a ``local`` identifier, as PREMIS expects."""
    return Link(location_type(location), location, role)


def location_type(value: str) -> str:
    parts = urlsplit(value)
    # One letter is a Windows drive (C:\\…), not a scheme; a URI has an authority or is a URN.
    is_uri = len(parts.scheme) > 1 and (bool(parts.netloc) or parts.scheme == "urn")
    return "URI" if is_uri else "local"


@dataclass(frozen=True)
class EventDraft:
    """An event before it is logged. ``when`` must be timezone-aware (the CLI's clock)."""

    event_type: str
    when: dt.datetime
    outcome: str
    detail: str = ""
    objects: tuple[Link, ...] = ()
    agents: tuple[Link, ...] = ()


@dataclass(frozen=True)
class LoggedEvent:
    """One line of the log, as read back."""

    sequence: int
    identifier: str
    event_type: str
    event_type_uri: str
    date_time: str
    outcome: str
    detail: str
    agents: tuple[Link, ...]
    objects: tuple[Link, ...]
    previous_sha256: str
    sha256: str

    @classmethod
    def from_dict(cls, entry: Mapping[str, Any]) -> LoggedEvent:
        def links(key: str) -> tuple[Link, ...]:
            return tuple(Link(str(i["type"]), str(i["value"]), str(i["role"])) for i in entry[key])

        return cls(
            sequence=entry["sequence"], identifier=entry["eventIdentifier"]["value"],
            event_type=entry["eventType"], event_type_uri=entry["eventTypeURI"],
            date_time=entry["eventDateTime"], outcome=entry["eventOutcome"],
            detail=entry["eventOutcomeDetail"], agents=links("linkingAgentIdentifier"),
            objects=links("linkingObjectIdentifier"), previous_sha256=entry["previous_sha256"],
            sha256=entry["sha256"],
        )

    def as_dict(self) -> dict[str, Any]:
        return build_entry(self.sequence, self.previous_sha256, self.event_type, self.date_time,
                      self.outcome, self.detail, self.agents, self.objects,
                      identifier=self.identifier, sha256=self.sha256)


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
        _check_draft(draft)
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


def content_digest(content: dict[str, Any]) -> bytes:
    """SHA-256 of an event's canonical content (:func:`logged_content`, or a package's own copy)."""
    return hashlib.sha256(canonical(content)).digest()


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


# -- lines ----------------------------------------------------------------------

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


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def build_entry(sequence: int, previous: str, event_type: str, date_time: str, outcome: str,
           detail: str, agents: Iterable[Link], objects: Iterable[Link], *,
           identifier: str | None = None, sha256: str | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "sequence": sequence, "previous_sha256": previous,
        "eventType": event_type, "eventTypeURI": event_type_uri(event_type),
        "eventDateTime": date_time, "eventOutcome": outcome, "eventOutcomeDetail": detail,
        "linkingAgentIdentifier": [a.as_dict() for a in agents],
        "linkingObjectIdentifier": [o.as_dict() for o in objects],
    }
    if identifier is None:
        identifier = str(uuid.uuid5(_ID_NAMESPACE, canonical(entry).decode("utf-8")))
    entry["eventIdentifier"] = {"type": "UUID", "value": identifier}
    entry["sha256"] = sha256 if sha256 is not None else hashlib.sha256(canonical(entry)).hexdigest()
    return entry


def _line(sequence: int, previous: str, draft: EventDraft) -> tuple[bytes, LoggedEvent]:
    entry = build_entry(sequence, previous, draft.event_type, _utc(draft.when), draft.outcome,
                        draft.detail, draft.agents or (software_agent(),), draft.objects)
    return canonical(entry) + b"\n", LoggedEvent.from_dict(entry)


def _utc(when: dt.datetime) -> str:
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


#: The parts of an entry that say what happened (not where it stands in the chain).
CONTENT_KEYS = ("eventType", "eventTypeURI", "eventDateTime", "eventOutcome", "eventOutcomeDetail",
                "linkingAgentIdentifier", "linkingObjectIdentifier")


def event_content(draft: EventDraft) -> dict[str, Any]:
    """What an event will say once logged, without its place in the chain: the
    form a package carries its own events in, and compares with the log by."""
    _check_draft(draft)
    entry = build_entry(0, GENESIS, draft.event_type, _utc(draft.when), draft.outcome,
                        draft.detail, draft.agents or (software_agent(),), draft.objects)
    return {key: entry[key] for key in CONTENT_KEYS}


def logged_content(event: LoggedEvent) -> dict[str, Any]:
    entry = event.as_dict()
    return {key: entry[key] for key in CONTENT_KEYS}


def draft_from_content(content: dict[str, Any]) -> EventDraft:
    """The draft that logs exactly *content* again (to record a package's own events)."""
    def links(key: str) -> tuple[Link, ...]:
        return tuple(Link(str(i["type"]), str(i["value"]), str(i["role"])) for i in content[key])

    when = dt.datetime.strptime(content["eventDateTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    return EventDraft(content["eventType"], when, content["eventOutcome"], content["eventOutcomeDetail"],
                      links("linkingObjectIdentifier"), links("linkingAgentIdentifier"))


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


def _check_draft(draft: EventDraft) -> None:
    if draft.event_type not in EVENT_TYPES:
        raise ValueError(f"event type {draft.event_type!r} is not one of {sorted(EVENT_TYPES)}")
    if draft.outcome not in OUTCOMES:
        raise ValueError(f"outcome {draft.outcome!r} is not one of {OUTCOMES}")
    if draft.when.tzinfo is None or draft.when.utcoffset() is None:
        raise ValueError("event time must be timezone-aware (pass the CLI's UTC clock)")


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


def shape_problem(entry: Any) -> str | None:
    """What makes *entry* unusable as an event, or None."""
    if not isinstance(entry, dict):
        return "not a JSON object"
    missing = [key for key in _REQUIRED if key not in entry]
    if missing:
        return f"missing {', '.join(missing)}"
    strings = ("eventType", "eventTypeURI", "eventDateTime", "eventOutcome",
               "eventOutcomeDetail", "previous_sha256", "sha256")
    if not all(isinstance(entry[k], str) for k in strings):
        return "a field that must be text is not"
    if not isinstance(entry["sequence"], int) or isinstance(entry["sequence"], bool):
        return "sequence is not a whole number"
    ident = entry["eventIdentifier"]
    if not (isinstance(ident, dict) and isinstance(ident.get("value"), str) and ident.get("type")):
        return "eventIdentifier needs a type and a value"
    if EVENT_TYPES.get(entry["eventType"]) is None or \
            entry["eventTypeURI"] != event_type_uri(entry["eventType"]):
        return f"eventType {entry['eventType']!r} / {entry['eventTypeURI']!r} is not a known LoC term"
    if entry["eventOutcome"] not in OUTCOMES:
        return f"eventOutcome {entry['eventOutcome']!r} is not one of {', '.join(OUTCOMES)}"
    try:
        dt.datetime.strptime(entry["eventDateTime"], "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return f"eventDateTime {entry['eventDateTime']!r} is not UTC ISO 8601 (YYYY-MM-DDThh:mm:ssZ)"
    for key in ("linkingAgentIdentifier", "linkingObjectIdentifier"):
        items = entry[key]
        if not isinstance(items, list) or not all(
                isinstance(i, dict) and all(isinstance(i.get(f), str) for f in ("type", "value", "role"))
                for i in items):
            return f"{key} must be a list of {{type, value, role}}"
    if not entry["linkingAgentIdentifier"]:
        return "no linking agent"
    return None


def _unwritable(log_path: Path, exc: OSError) -> ArchiveError:
    return ArchiveError(f"the event log {log_path} cannot be written: {exc.strerror or exc}")
