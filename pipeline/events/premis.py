"""PREMIS 3 XML from the event log, for a records system or an auditor.

One ``premis:object`` per object the log links to (a package is a
representation, a statement an intellectual entity), one ``premis:event`` per
log line in log order, one ``premis:agent`` per linked agent. Objects and
agents are sorted, so the same log always gives the same bytes.

A log that fails ``verify_event_log`` is not exported: an export would
present a history that cannot be trusted as if it could.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from pipeline.core.errors import ProblemsFound
from pipeline.events.check import verify_event_log
from pipeline.events.entry import EVENT_TYPE_AUTHORITY, EVENT_TYPE_VOCABULARY, Link, location_type
from pipeline.events.log import read_events

PREMIS_NS = "http://www.loc.gov/premis/v3"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
PREMIS_XSD = "http://www.loc.gov/standards/premis/premis.xsd"
_AGENT_ROLE_AUTHORITY = ("eventRelatedAgentRole",
                         "http://id.loc.gov/vocabulary/preservation/eventRelatedAgentRole")
_AGENT_ROLE_TERMS = {"executing program": "exe"}
_OBJECT_ROLE_AUTHORITY = ("eventRelatedObjectRole",
                          "http://id.loc.gov/vocabulary/preservation/eventRelatedObjectRole")
_OBJECT_ROLE_TERMS = {"source": "sou", "outcome": "out"}
_OBJECT_KINDS = {"package": "representation"}  # anything else: an intellectual entity

ET.register_namespace("premis", PREMIS_NS)
ET.register_namespace("xsi", XSI_NS)


def export_premis(log_path: Path) -> bytes:
    """PREMIS 3.0 XML (UTF-8) for the log at *log_path*.

    Raises ProblemsFound (E codes) if the log is damaged; ArchiveError if unreadable.
    """
    errors = [p for p in verify_event_log(log_path) if p.severity == "error"]
    if errors:
        raise ProblemsFound(f"{log_path} is damaged; nothing exported", errors)
    events = read_events(log_path)
    root = ET.Element(_q("premis"), {"version": "3.0",
                                     f"{{{XSI_NS}}}schemaLocation": f"{PREMIS_NS} {PREMIS_XSD}"})
    objects = sorted({(_identifier_type(o), o.value) for e in events for o in e.objects})
    for kind, value in objects:
        node = _sub(root, "object", attrib={f"{{{XSI_NS}}}type": f"premis:{_OBJECT_KINDS.get(kind, 'intellectualEntity')}"})
        ident = _sub(node, "objectIdentifier")
        _sub(ident, "objectIdentifierType", kind)
        _sub(ident, "objectIdentifierValue", value)
    for event in events:
        node = _sub(root, "event")
        ident = _sub(node, "eventIdentifier")
        _sub(ident, "eventIdentifierType", "UUID")
        _sub(ident, "eventIdentifierValue", event.identifier)
        _sub(node, "eventType", event.event_type, authority=EVENT_TYPE_AUTHORITY,
             authorityURI=EVENT_TYPE_VOCABULARY, valueURI=event.event_type_uri)
        _sub(node, "eventDateTime", event.date_time)
        outcome = _sub(node, "eventOutcomeInformation")
        _sub(outcome, "eventOutcome", event.outcome)
        if event.detail:
            _sub(_sub(outcome, "eventOutcomeDetail"), "eventOutcomeDetailNote", event.detail)
        for agent in event.agents:
            _link(node, "linkingAgent", agent, _AGENT_ROLE_AUTHORITY, _AGENT_ROLE_TERMS)
        for obj in event.objects:
            _link(node, "linkingObject", obj, _OBJECT_ROLE_AUTHORITY, _OBJECT_ROLE_TERMS)
    for kind, value in sorted({(a.type, a.value) for e in events for a in e.agents}):
        node = _sub(root, "agent")
        ident = _sub(node, "agentIdentifier")
        _sub(ident, "agentIdentifierType", kind)
        _sub(ident, "agentIdentifierValue", value)
        name, _, version = value.partition("/") if kind == "software" else (value, "", "")
        _sub(node, "agentName", name)
        if kind == "software":
            _sub(node, "agentType", "software")
            if version:
                _sub(node, "agentVersion", version)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _identifier_type(link: Link) -> str:
    """Older logs typed a drop-folder path as "URI"; export each identifier as what it is."""
    return location_type(link.value) if link.type == "URI" else link.type


def _q(name: str) -> str:
    return f"{{{PREMIS_NS}}}{name}"


def _sub(parent: ET.Element, name: str, text: str | None = None, attrib: dict[str, str] | None = None,
         **attrs: str) -> ET.Element:
    node = ET.SubElement(parent, _q(name), {**(attrib or {}), **attrs})
    if text is not None:
        node.text = text
    return node


def _link(parent: ET.Element, prefix: str, link: Link, authority: tuple[str, str],
          terms: dict[str, str]) -> None:
    node = _sub(parent, f"{prefix}Identifier")
    _sub(node, f"{prefix}IdentifierType", _identifier_type(link))
    _sub(node, f"{prefix}IdentifierValue", link.value)
    if link.role in terms:  # a LoC term: say so; any other role is plain text
        _sub(node, f"{prefix}Role", link.role, authority=authority[0], authorityURI=authority[1],
             valueURI=f"{authority[1]}/{terms[link.role]}")
    else:
        _sub(node, f"{prefix}Role", link.role)
