"""What one event of the audit trail says, and the entry it becomes.

An event follows PREMIS 3: its type from the Library of Congress vocabulary
(``EVENT_TYPES``), date and time in UTC, outcome, detail, and the agents
and objects it links (:class:`Link`). :class:`EventDraft` is an event before
it is logged; :func:`build_entry` makes the entry a log line holds, with its
place in the chain and its own digests (the line format is in
:mod:`pipeline.events.log`); :class:`LoggedEvent` is one read back, and
:func:`shape_problem` says what makes an entry unusable. The content of an
event (:data:`CONTENT_KEYS`: what happened, not where it stands in the chain)
is what a package carries of its own events and what the log is compared by.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any, Iterable, Mapping
from urllib.parse import urlsplit

from pipeline import SOFTWARE_AGENT

#: What the first line of a log names as the line before it.
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


def content_digest(content: dict[str, Any]) -> bytes:
    """SHA-256 of an event's canonical content (:func:`logged_content`, or a package's own copy)."""
    return hashlib.sha256(canonical(content)).digest()


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


def utc_text(when: dt.datetime) -> str:
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


#: The parts of an entry that say what happened (not where it stands in the chain).
CONTENT_KEYS = ("eventType", "eventTypeURI", "eventDateTime", "eventOutcome", "eventOutcomeDetail",
                "linkingAgentIdentifier", "linkingObjectIdentifier")


def event_content(draft: EventDraft) -> dict[str, Any]:
    """What an event will say once logged, without its place in the chain: the
    form a package carries its own events in, and compares with the log by."""
    check_draft(draft)
    entry = build_entry(0, GENESIS, draft.event_type, utc_text(draft.when), draft.outcome,
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


def check_draft(draft: EventDraft) -> None:
    if draft.event_type not in EVENT_TYPES:
        raise ValueError(f"event type {draft.event_type!r} is not one of {sorted(EVENT_TYPES)}")
    if draft.outcome not in OUTCOMES:
        raise ValueError(f"outcome {draft.outcome!r} is not one of {OUTCOMES}")
    if draft.when.tzinfo is None or draft.when.utcoffset() is None:
        raise ValueError("event time must be timezone-aware (pass the CLI's UTC clock)")


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
