"""The event log: chained appends, every kind of tampering found, safe under
concurrency, and wired into package/verify and the `events` command.

Real files in tmp_path; small packages made with fake PDFs (bagutil), so fast.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import subprocess
import sys

import pytest

from pipeline import SOFTWARE_AGENT
from pipeline.archive.folder import archive_lock
from pipeline.cli import event_time, main
from pipeline.core.errors import ArchiveError
from pipeline.events.check import archive_log_problems, head_sha256, verify_event_log
from pipeline.events.entry import (
    GENESIS, EventDraft, canonical, content_digest, event_type_uri, logged_content, package_link, statement_link,
)
from pipeline.events.log import (
    EVENTS_NAME, append_event, append_events, logged_content_digests, read_events, read_lines,
)
from pipeline.package import package_statements

from bagutil import AGENT, EVENT_TIME, DATE, make_statement

WHEN = dt.datetime(2026, 11, 28, 9, 30, tzinfo=dt.timezone.utc)
PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def codes(problems):
    return sorted((p.code, p.pointer) for p in problems)


def lines(path):
    return path.read_bytes().split(b"\n")[:-1]


def write_lines(path, raw_lines):
    path.write_bytes(b"".join(line + b"\n" for line in raw_lines))


@pytest.fixture
def log(tmp_path):
    """A log of four events, one with non-ASCII text."""
    path = tmp_path / EVENTS_NAME
    append_events(path, [
        EventDraft("validation", WHEN, "success", "2 statements", (statement_link("nl-1"), statement_link("fr-2"))),
        EventDraft("message digest calculation", WHEN, "success", "manifests", (package_link("p-v0001"),)),
        EventDraft("creation", WHEN, "success", "écrit – “p”", (package_link("p-v0001", "outcome"),)),
    ])
    append_event(path, "fixity check", when=WHEN + dt.timedelta(hours=1), outcome="failure",
                 detail="B004", objects=[package_link("p-v0001")])
    return path


def test_entries_are_chained_canonical_and_readable(log):
    raw = lines(log)
    assert len(raw) == 4
    entries = [json.loads(line) for line in raw]
    assert [e["sequence"] for e in entries] == [1, 2, 3, 4]
    assert entries[0]["previous_sha256"] == GENESIS
    for before, after in zip(raw, entries[1:]):
        assert after["previous_sha256"] == hashlib.sha256(before + b"\n").hexdigest()
    for line, entry in zip(raw, entries):
        assert canonical(entry) == line  # sorted keys, compact, UTF-8 (not \\u escapes)
        content = {k: v for k, v in entry.items() if k != "sha256"}
        assert hashlib.sha256(canonical(content)).hexdigest() == entry["sha256"]
    assert "écrit – “p”".encode() in raw[2]
    assert entries[3]["eventType"] == "fixity check"
    assert entries[3]["eventTypeURI"] == "http://id.loc.gov/vocabulary/preservation/eventType/fix"
    assert entries[3]["eventDateTime"] == "2026-11-28T10:30:00Z"
    assert entries[3]["linkingAgentIdentifier"] == [
        {"type": "software", "value": SOFTWARE_AGENT, "role": "executing program"}]
    events = read_events(log)
    assert [e.event_type for e in events] == ["validation", "message digest calculation", "creation", "fixity check"]
    assert [o.value for o in events[0].objects] == ["nl-1", "fr-2"]
    assert len({e.identifier for e in events}) == 4
    assert verify_event_log(log) == []
    assert head_sha256(log) == hashlib.sha256(raw[-1] + b"\n").hexdigest()


def test_log_read_a_line_at_a_time_skips_what_is_not_a_whole_entry(log):
    digest = lambda event: content_digest(logged_content(event))  # noqa: E731
    intact = read_events(log)
    assert len(intact) == 4 and logged_content_digests(read_lines(log)) == {digest(e) for e in intact}
    raw = lines(log)
    write_lines(log, [raw[0], b"not json", raw[1], raw[2]])
    log.write_bytes(log.read_bytes() + raw[3])  # an append cut short: no newline yet
    assert read_events(log) == intact[:3]
    assert logged_content_digests(read_lines(log)) == {digest(e) for e in intact[:3]}
    assert digest(intact[3]) not in logged_content_digests(read_lines(log))
    assert read_events(log.parent / "absent.jsonl") == () and logged_content_digests(read_lines(log.parent / "absent.jsonl")) == set()


def test_same_history_gives_the_same_bytes(tmp_path, log):
    """Identifiers are UUID5s of the content: no randomness, no hidden clock."""
    again = tmp_path / "again" / EVENTS_NAME
    again.parent.mkdir()
    for event in read_events(log):
        append_event(again, event.event_type, when=dt.datetime.strptime(
            event.date_time, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc),
            outcome=event.outcome, detail=event.detail, objects=event.objects)
    assert again.read_bytes() == log.read_bytes()


def test_loc_terms():
    assert event_type_uri("message digest calculation").endswith("/eventType/mes")
    assert event_type_uri("validation").endswith("/eventType/val")
    assert event_type_uri("creation").endswith("/eventType/cre")
    assert event_type_uri("transfer").endswith("/eventType/tra")


def test_edited_entry(log):
    raw = lines(log)
    entry = json.loads(raw[1])
    entry["eventOutcome"] = "failure"
    raw[1] = canonical(entry)
    write_lines(log, raw)
    # The line no longer matches its digest, and the next line's link breaks.
    assert codes(verify_event_log(log)) == [("E004", "line 2"), ("E005", "line 3")]


def test_edited_entry_with_recomputed_digest_breaks_the_chain(log):
    raw = lines(log)
    entry = json.loads(raw[1])
    entry["eventOutcomeDetail"] = "something else"
    del entry["sha256"]
    entry["sha256"] = hashlib.sha256(canonical(entry)).hexdigest()
    raw[1] = canonical(entry)
    write_lines(log, raw)
    # The eventIdentifier (UUID5 of the content) and the next link give it away.
    assert codes(verify_event_log(log)) == [("E004", "line 2"), ("E005", "line 3")]


def test_deleted_entry(log):
    raw = lines(log)
    write_lines(log, raw[:1] + raw[2:])
    assert codes(verify_event_log(log)) == [("E005", "line 2"), ("E006", "line 2"), ("E006", "line 3")]


def test_reordered_entries(log):
    raw = lines(log)
    write_lines(log, [raw[0], raw[2], raw[1], raw[3]])
    found = {code for code, _ in codes(verify_event_log(log))}
    assert found == {"E005", "E006"}


def test_whitespace_edit_is_not_canonical(log):
    raw = lines(log)
    raw[3] = json.dumps(json.loads(raw[3]), sort_keys=True, ensure_ascii=False).encode()
    write_lines(log, raw)
    assert codes(verify_event_log(log)) == [("E007", "line 4")]


def test_malformed_line(log):
    raw = lines(log)
    raw[1] = b'{"not": "an event"}'
    write_lines(log, raw)
    assert codes(verify_event_log(log)) == [("E003", "line 2"), ("E005", "line 3")]
    raw[1] = b"\xff garbage"
    write_lines(log, raw)
    assert codes(verify_event_log(log)) == [("E003", "line 2"), ("E005", "line 3")]


def test_truncated_last_line_is_reported_and_never_chained_to(log):
    data = log.read_bytes()
    log.write_bytes(data[:-40])  # an append interrupted mid-line
    problems = verify_event_log(log)
    assert codes(problems) == [("E002", "line 4")]
    assert "interrupted" in problems[0].message
    with pytest.raises(ArchiveError, match="incomplete line"):
        append_event(log, "validation", when=WHEN, outcome="success")
    assert log.read_bytes() == data[:-40]


def test_bad_calls_write_nothing(log):
    before = log.read_bytes()
    with pytest.raises(ValueError, match="event type 'made up'"):
        append_event(log, "made up", when=WHEN, outcome="success")
    with pytest.raises(ValueError, match="outcome 'fine'"):
        append_event(log, "validation", when=WHEN, outcome="fine")
    with pytest.raises(ValueError, match="timezone-aware"):
        append_event(log, "validation", when=dt.datetime(2026, 1, 1), outcome="success")
    assert log.read_bytes() == before


def test_missing_folder_is_an_archive_error(tmp_path):
    with pytest.raises(ArchiveError, match="is not a folder"):
        append_event(tmp_path / "nowhere" / EVENTS_NAME, "validation", when=WHEN, outcome="success")


def test_missing_log(tmp_path):
    assert append_events(tmp_path / EVENTS_NAME, []) == ()
    assert not (tmp_path / EVENTS_NAME).exists()
    assert verify_event_log(tmp_path / EVENTS_NAME) == []
    assert read_events(tmp_path / EVENTS_NAME) == ()
    assert archive_log_problems(tmp_path, has_packages=False) == []
    [warning] = archive_log_problems(tmp_path, has_packages=True)
    assert (warning.code, warning.severity) == ("E008", "warning")


def test_appending_while_holding_the_archive_lock_does_not_deadlock(tmp_path):
    """The transfer step may append inside its own locked section."""
    with archive_lock(tmp_path):
        append_event(tmp_path / EVENTS_NAME, "transfer", when=WHEN, outcome="success",
                     objects=[package_link("p-v0001")])
    assert verify_event_log(tmp_path / EVENTS_NAME) == []


APPENDER = """
import datetime as dt, sys
from pathlib import Path
from pipeline.events.entry import package_link
from pipeline.events.log import append_event
when = dt.datetime(2026, 11, 28, tzinfo=dt.timezone.utc)
for i in range(int(sys.argv[3])):
    append_event(Path(sys.argv[1]), "fixity check", when=when, outcome="success",
                 detail=f"{sys.argv[2]}-{i}", objects=[package_link("p")])
"""


def test_concurrent_appenders_never_share_a_predecessor(tmp_path):
    path = tmp_path / EVENTS_NAME
    workers = [subprocess.Popen([sys.executable, "-c", APPENDER, str(path), str(n), "20"], cwd=PROJECT)
               for n in range(4)]
    assert all(w.wait(timeout=60) == 0 for w in workers)
    assert verify_event_log(path) == []
    events = read_events(path)
    assert [e.sequence for e in events] == list(range(1, 81))
    assert len({e.previous_sha256 for e in events}) == 80
    assert sorted(e.detail for e in events) == sorted(f"{n}-{i}" for n in range(4) for i in range(20))


# -- the CLI ------------------------------------------------------------------

def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def archive(tmp_path):
    src, archive = tmp_path / "statements", tmp_path / "archive"
    rendered = [make_statement(src, "nl-2026-001"), make_statement(src, "fr-2026-002")]
    outcome = package_statements(rendered, archive, bagging_date=DATE, software_agent=AGENT, event_time=EVENT_TIME)
    return archive, rendered, outcome


def test_event_time_honours_source_date_epoch(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")
    assert event_time() == dt.datetime(2027, 1, 15, 8, 0, tzinfo=dt.timezone.utc)
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert event_time().tzinfo is not None


def test_package_events_are_logged_and_carried_by_the_package_and_nothing_for_nothing_changed(archive):
    archive_dir, rendered, outcome = archive
    events = read_events(archive_dir / EVENTS_NAME)
    assert [e.event_type for e in events] == ["validation", "message digest calculation", "creation"]
    assert all(e.date_time == "2026-11-28T09:30:00Z" and e.outcome == "success" for e in events)
    assert [(o.type, o.value) for o in events[2].objects] == [
        ("package", outcome.name), ("statement", "fr-2026-002"), ("statement", "nl-2026-001")]
    carried = [json.loads(line) for line in (outcome.path / "premis-events.jsonl").read_bytes().splitlines()]
    assert carried == [logged_content(e) for e in events]
    info = (outcome.path / "bag-info.txt").read_text()
    assert f"\nEvent-Log-Sequence: 0\n" in info and f"\nEvent-Log-Head-SHA256: {GENESIS}\n" in info
    assert "premis-events.jsonl" in (outcome.path / "tagmanifest-sha512.txt").read_text()
    again = package_statements(rendered, archive_dir, bagging_date=DATE, software_agent=AGENT, event_time=EVENT_TIME)
    assert not again.created
    assert read_events(archive_dir / EVENTS_NAME) == events


def test_verify_records_fixity_and_checks_the_log(archive):
    archive_dir, _, outcome = archive
    log = archive_dir / EVENTS_NAME
    code, out, err = run("verify", "--archive", str(archive_dir), "--json")
    report = json.loads(out)
    assert code == 0, out + err
    assert [p["code"] for p in report["stages"][0]["problems"] if p["code"].startswith("E")] == []
    *created, event = read_events(log)
    assert [e.event_type for e in created] == ["validation", "message digest calculation", "creation"]
    assert (event.event_type, event.outcome, event.objects[0].value) == ("fixity check", "success", outcome.name)

    # A damaged package: a failed fixity check is recorded.
    victim = archive_dir / outcome.name / "data/nl-2026-001/nl-2026-001.pdf"
    os.chmod(victim, 0o644)
    victim.write_bytes(b"%PDF-1.7\n% altered\n")
    assert run("verify", "--archive", str(archive_dir))[0] == 1
    assert [e.outcome for e in read_events(log)][3:] == ["success", "failure"]

    # A tampered log makes verify fail and gets nothing new chained to it.
    raw = lines(log)
    entry = json.loads(raw[3])
    entry["eventOutcome"] = "warning"
    raw[3] = canonical(entry)
    write_lines(log, raw)
    tampered = log.read_bytes()
    code, out, err = run("verify", "--archive", str(archive_dir))
    assert code == 1
    assert "E004" in out and "E005" in out and "E009" in out
    assert log.read_bytes() == tampered


def test_verify_of_a_clean_archive_with_a_log_passes(archive):
    archive_dir, rendered, outcome = archive
    append_event(archive_dir / EVENTS_NAME, "creation", when=WHEN, outcome="success",
                 objects=[package_link(outcome.name, "outcome")])
    code, out, err = run("verify", "--archive", str(archive_dir))
    assert code == 0, out + err
    assert "E0" not in out
    assert [e.event_type for e in read_events(archive_dir / EVENTS_NAME)][3:] == ["creation", "fixity check"]


def test_events_command(log):
    archive_dir = log.parent
    code, out, _ = run("events", "--archive", str(archive_dir))
    assert code == 0
    assert "fixity check" in out and "p-v0001" in out and out.index("validation") < out.index("fixity check")
    code, out, _ = run("events", "--archive", str(archive_dir), "--json", "--check")
    report = json.loads(out)
    assert code == 0 and report["ok"]
    assert [e["sequence"] for e in report["events"]] == [1, 2, 3, 4]
    assert report["head_sha256"] == head_sha256(log)
    log.write_bytes(log.read_bytes()[:-1])  # lose the final newline
    code, out, _ = run("events", "--archive", str(archive_dir), "--check")
    assert code == 1 and "E002" in out


def test_build_logs_a_new_package_once_and_verify_adds_fixity(tmp_path, fonts_dir, monkeypatch):
    """The real pipeline, on one short statement (one render)."""
    from statement_factory import write_statement

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")
    statements, archive_dir = tmp_path / "statements", tmp_path / "archive"
    write_statement(statements, "xx-2026-001", "One short paragraph.\n")
    argv = ["build", "--statements", str(statements), "--archive", str(archive_dir),
            "--build-dir", str(tmp_path / "build"), "--quiet", "--date", "2027-01-15"]
    assert run(*argv)[0] == 0
    assert run(*argv)[0] == 0  # nothing changed: nothing logged
    assert run("verify", "--archive", str(archive_dir), "-q")[0] == 0
    events = read_events(archive_dir / EVENTS_NAME)
    # the check's verdicts, one validation event each: page-validation 3a and ua1, Siegfried
    assert [e.event_type for e in events] == [
        "validation", "validation", "validation", "validation", "message digest calculation", "creation",
        "fixity check"]
    verdicts = [e.detail for e in events[1:4]]
    assert [d.split(",")[0].split()[0] for d in verdicts] == ["page-validation", "page-validation", "siegfried"]
    assert all(e.outcome == "success" and [o.value for o in e.objects] == ["xx-2026-001"] for e in events[1:4])
    assert events[1].agents[0].value.startswith("page-validation ")
    assert {o.value for o in events[5].objects} == {"statements-2027-01-15-v0001", "xx-2026-001"}
    assert run("events", "--archive", str(archive_dir), "--check", "-q")[0] == 0
