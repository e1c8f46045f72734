"""PREMIS 3 export: every logged event, in log order, with its LoC term, outcome
and links; objects and agents described; a damaged log is not exported."""

from __future__ import annotations

import datetime as dt
import io
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from pipeline import SOFTWARE_AGENT, __version__
from pipeline.cli import main
from pipeline.core.errors import ProblemsFound
from pipeline.events.entry import EventDraft, Link, package_link, statement_link
from pipeline.events.log import EVENTS_NAME, append_event, append_events, read_events
from pipeline.events.premis import export_premis

NS = {"premis": "http://www.loc.gov/premis/v3"}
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
LOC = "http://id.loc.gov/vocabulary/preservation/eventType"
WHEN = dt.datetime(2026, 11, 28, 9, 30, tzinfo=dt.timezone.utc)
PACKAGE = "statements-2026-11-28-v0001"


@pytest.fixture
def log(tmp_path):
    path = tmp_path / EVENTS_NAME
    append_events(path, [
        EventDraft("validation", WHEN, "success", "2 statements", (statement_link("nl-1"), statement_link("fr-2"))),
        EventDraft("message digest calculation", WHEN, "success", "manifests", (package_link(PACKAGE, "outcome"),)),
        EventDraft("creation", WHEN, "success", "wrote it", (package_link(PACKAGE, "outcome"), statement_link("nl-1"))),
    ])
    append_event(path, "fixity check", when=WHEN, outcome="failure", detail="B004",
                 objects=[package_link(PACKAGE)])
    # What the transfer step will write: another agent, and a receipt as outcome.
    append_event(path, "transfer", when=WHEN, outcome="success", detail="accepted",
                 objects=[package_link(PACKAGE), Link("URI", "urn:records:receipt:42", "outcome")],
                 agents=[Link("software", SOFTWARE_AGENT, "executing program"),
                         Link("organization", "Records Office", "recipient")])
    return path


def text(node, path):
    found = node.find(path, NS)
    assert found is not None, path
    return found.text


def test_every_event_is_exported_in_log_order(log):
    root = ET.fromstring(export_premis(log))
    assert root.tag == "{http://www.loc.gov/premis/v3}premis" and root.get("version") == "3.0"
    events = root.findall("premis:event", NS)
    logged = read_events(log)
    assert len(events) == len(logged) == 5
    for node, entry in zip(events, logged):
        assert text(node, "premis:eventIdentifier/premis:eventIdentifierType") == "UUID"
        assert text(node, "premis:eventIdentifier/premis:eventIdentifierValue") == entry.identifier
        kind = node.find("premis:eventType", NS)
        assert kind.text == entry.event_type
        assert kind.get("authorityURI") == LOC and kind.get("authority") == "eventType"
        assert kind.get("valueURI") == entry.event_type_uri and kind.get("valueURI").startswith(LOC + "/")
        assert text(node, "premis:eventDateTime") == "2026-11-28T09:30:00Z"
        assert text(node, "premis:eventOutcomeInformation/premis:eventOutcome") == entry.outcome
        assert text(node, "premis:eventOutcomeInformation/premis:eventOutcomeDetail/"
                          "premis:eventOutcomeDetailNote") == entry.detail
        agents = node.findall("premis:linkingAgentIdentifier", NS)
        assert [text(a, "premis:linkingAgentIdentifierValue") for a in agents] == [a.value for a in entry.agents]
        objects = node.findall("premis:linkingObjectIdentifier", NS)
        assert objects and [text(o, "premis:linkingObjectIdentifierValue") for o in objects] == [
            o.value for o in entry.objects]
    assert [e.find("premis:eventType", NS).get("valueURI").rsplit("/", 1)[1] for e in events] == [
        "val", "mes", "cre", "fix", "tra"]
    role = events[0].find("premis:linkingAgentIdentifier/premis:linkingAgentRole", NS)
    assert role.text == "executing program" and role.get("valueURI").endswith("/eventRelatedAgentRole/exe")


def test_children_come_in_schema_order(log):
    """PREMIS 3 requires object*, event*, agent* in that order, and a fixed order inside an event."""
    root = ET.fromstring(export_premis(log))
    local = [child.tag.split("}")[1] for child in root]
    assert local == sorted(local, key=["object", "event", "agent"].index)
    order = ["eventIdentifier", "eventType", "eventDateTime", "eventOutcomeInformation",
             "linkingAgentIdentifier", "linkingObjectIdentifier"]
    for event in root.findall("premis:event", NS):
        tags = [child.tag.split("}")[1] for child in event]
        assert tags == sorted(tags, key=order.index)


def test_objects_and_agents(log):
    root = ET.fromstring(export_premis(log))
    objects = {(text(o, "premis:objectIdentifier/premis:objectIdentifierType"),
                text(o, "premis:objectIdentifier/premis:objectIdentifierValue")): o.get(XSI_TYPE)
               for o in root.findall("premis:object", NS)}
    assert objects == {
        ("package", PACKAGE): "premis:representation",
        ("statement", "fr-2"): "premis:intellectualEntity",
        ("statement", "nl-1"): "premis:intellectualEntity",
        ("URI", "urn:records:receipt:42"): "premis:intellectualEntity",
    }
    agents = root.findall("premis:agent", NS)
    software = [a for a in agents if a.findtext("premis:agentType", namespaces=NS) == "software"]
    [agent] = software
    assert text(agent, "premis:agentIdentifier/premis:agentIdentifierValue") == SOFTWARE_AGENT
    assert text(agent, "premis:agentName") == "statement-archive"
    assert text(agent, "premis:agentVersion") == __version__
    assert len(agents) == 2


def test_export_is_deterministic(log, tmp_path):
    """The same log gives the same bytes, also from a copy read in another process."""
    import subprocess
    import sys

    copy = tmp_path / "copy" / log.name
    copy.parent.mkdir()
    copy.write_bytes(log.read_bytes())
    elsewhere = subprocess.run(
        [sys.executable, "-c", "import sys; from pathlib import Path; from pipeline.events.premis import "
         "export_premis; sys.stdout.buffer.write(export_premis(Path(sys.argv[1])))", str(copy)],
        capture_output=True, check=True, cwd=Path(__file__).resolve().parents[1]).stdout
    assert export_premis(log) == elsewhere
    assert elsewhere.startswith(b"<?xml version='1.0' encoding='utf-8'?>")


def test_damaged_log_is_not_exported(log):
    log.write_bytes(log.read_bytes()[:-10])
    with pytest.raises(ProblemsFound) as caught:
        export_premis(log)
    assert [p.code for p in caught.value.problems] == ["E002"]


def test_cli_stdout_file_and_damage(log, tmp_path):
    out, err = io.StringIO(), io.StringIO()
    assert main(["export-premis", "--archive", str(log.parent)], out=out, err=err) == 0
    assert ET.fromstring(out.getvalue().encode()).findall("premis:event", NS)
    target = tmp_path / "premis.xml"
    assert main(["export-premis", "--archive", str(log.parent), "-o", str(target), "-q"],
                out=io.StringIO(), err=io.StringIO()) == 0
    assert target.read_bytes() == export_premis(log)
    log.write_bytes(log.read_bytes().replace(b'"accepted"', b'"refused"'))
    out = io.StringIO()
    assert main(["export-premis", "--archive", str(log.parent)], out=out, err=io.StringIO()) == 1
    assert "E004" in out.getvalue() and "<premis" not in out.getvalue()


def test_identifier_types_say_what_the_value_is(tmp_path):
    from pipeline.events.entry import location_link, location_type

    assert location_type("s3://records/inbox/nl-1/v0001/nl-1.pdf") == "URI"
    assert location_type("https://dav.example/inbox/nl-1.pdf") == "URI"
    assert location_type("urn:records:receipt:42") == "URI"
    assert location_type("/srv/records-inbox/nl-1/v0001/nl-1.pdf") == "local"
    assert location_type("records-inbox/nl-1.pdf") == "local"
    assert location_type("C:\\inbox\\nl-1.pdf") == "local"
    assert location_link("/srv/records-inbox/nl-1.pdf", "outcome").type == "local"
    # A log written before the fix typed a drop-folder path as "URI": the export corrects it.
    path = tmp_path / EVENTS_NAME
    append_event(path, "transfer", when=WHEN, outcome="success", detail="sent",
                 objects=[Link("URI", "/srv/records-inbox/nl-1.pdf", "outcome"),
                          Link("URI", "s3://records/nl-1.pdf", "outcome")],
                 agents=[Link("software", SOFTWARE_AGENT, "executing program")])
    root = ET.fromstring(export_premis(path))
    typed = {text(o, "premis:objectIdentifier/premis:objectIdentifierValue"):
             text(o, "premis:objectIdentifier/premis:objectIdentifierType") for o in root.findall("premis:object", NS)}
    assert typed == {"/srv/records-inbox/nl-1.pdf": "local", "s3://records/nl-1.pdf": "URI"}
    linked = [text(e, "premis:linkingObjectIdentifierType") for e in root.iter(f"{{{NS['premis']}}}linkingObjectIdentifier")]
    assert sorted(linked) == ["URI", "local"]
