"""Nothing disappears or goes wrong silently (issue 11, items 1, 3 and 4).

* A statement of the newest package missing from statements/ stops the build
  unless it was withdrawn; a withdrawal is listed, logged, carried forward.
* No version is chained to a damaged predecessor.
* Each package carries its own events; the log is held against them, and the
  events an interrupted build lost are put back from the package.
"""

from __future__ import annotations

import io
import json
import os

import pytest

from pipeline.cli import main
from pipeline.core.errors import ArchiveError, ProblemsFound
from pipeline.core.records import Withdrawal
from pipeline.events.entry import canonical, logged_content
from pipeline.events.log import EVENTS_NAME, read_events
from pipeline.events.packages import PACKAGE_EVENTS, log_package_problems
from pipeline.package import package_statements
from pipeline.statements.withdrawals import WITHDRAWALS_NAME, read_withdrawals
from pipeline.validate import validate_withdrawals

from bagutil import AGENT, DATE, EVENT_TIME, flip_byte, make_statement, tree_digest


def package(rendered, archive, **kw):
    return package_statements(rendered, archive, bagging_date=DATE, software_agent=AGENT,
                              event_time=EVENT_TIME, **kw)


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def three(tmp_path):
    src = tmp_path / "statements"
    return [make_statement(src, name) for name in ("alpha", "beta", "gamma")]


# -- withdrawal is an act, not an absence ------------------------------------------

def test_a_statement_gone_without_withdrawal_stops_the_build_and_nothing_is_written(tmp_path, three):
    archive = tmp_path / "archive"
    first = package(three, archive)
    before = tree_digest(archive)
    with pytest.raises(ProblemsFound) as caught:
        package(three[:2], archive)
    [problem] = caught.value.problems
    assert problem.code == "P004" and problem.file.endswith("gamma.json")
    assert "statement-archive withdraw gamma" in problem.message
    assert tree_digest(archive) == before  # nothing written, not even the log
    assert first.created


def test_a_withdrawal_is_listed_logged_and_carried_forward_and_earlier_versions_stay(tmp_path, three):
    archive = tmp_path / "archive"
    first = package(three, archive)
    v1 = tree_digest(first.path)
    gone = Withdrawal("gamma", "published in error", "2026-11-28")
    changed = [make_statement(three[0].statement.metadata_path.parent, "alpha", body="Edited.\n"), three[1]]
    second = package(changed, archive, withdrawals=[gone])
    assert second.created and second.version == 2
    assert (second.added, second.changed, second.withdrawn) == ((), ("alpha",), ("gamma",))
    assert second.message.endswith(": changed alpha; withdrew gamma")
    index = json.loads((second.path / "data/index.json").read_bytes())
    assert index["withdrawn"] == [gone.as_dict()]
    assert not (second.path / "data/gamma").exists()
    assert tree_digest(first.path) == v1  # the earlier version is untouched
    [deaccession] = [e for e in read_events(archive / EVENTS_NAME) if e.event_type == "deaccession"]
    assert {(o.type, o.value) for o in deaccession.objects} == {("statement", "gamma"), ("package", second.name)}
    assert "published in error" in deaccession.detail
    # The next version still lists it, and needs no new withdrawal.
    third = package([*changed, make_statement(three[0].statement.metadata_path.parent, "delta")], archive)
    assert third.added == ("delta",) and third.withdrawn == ()
    assert json.loads((third.path / "data/index.json").read_bytes())["withdrawn"] == [gone.as_dict()]
    assert run("verify", "--archive", archive)[0] == 0


def test_withdrawing_what_the_newest_package_lacks_is_refused(tmp_path, three):
    archive = tmp_path / "archive"
    package(three, archive)
    with pytest.raises(ProblemsFound) as caught:
        package(three, archive, withdrawals=[Withdrawal("omega", "typo", "2026-11-28")])
    assert [p.code for p in caught.value.problems] == ["P005"]


def test_withdraw_command_records_the_act_and_validate_holds_it(tmp_path, three):
    archive, src = tmp_path / "archive", three[0].statement.metadata_path.parent
    package(three, archive)
    code, out, err = run("withdraw", "gamma", "--reason", "superseded", "--statements", src, "--archive", archive)
    assert code == 0, err
    withdrawals, problems = read_withdrawals(src)
    assert problems == [] and [w.identifier for w in withdrawals] == ["gamma"]
    statements = [r.statement for r in three]
    # Its files are still there: validation says so (V027) until they are moved out.
    _, report = validate_withdrawals(src, statements)
    assert [(p.code, p.file) for p in report.problems] == [("V027", "statements/gamma.json")]
    _, report = validate_withdrawals(src, statements[:2])
    assert report.problems == ()  # positive control
    # Twice, an unknown identifier, or no reason: refused, and the file is unchanged.
    recorded = (src / WITHDRAWALS_NAME).read_bytes()
    for argv, expected in ((["gamma", "--reason", "again"], "already withdrawn"),
                           (["omega", "--reason", "x"], "not in the newest package"),
                           (["beta", "--reason", " "], "give the reason")):
        code, out, err = run("withdraw", *argv, "--statements", src, "--archive", archive)
        assert code == 1 and expected in err, err
    assert (src / WITHDRAWALS_NAME).read_bytes() == recorded


@pytest.mark.parametrize("text, pointer", [
    (b'{"withdrawals": [{"identifier": "a", "reason": "r"}]}', "/withdrawals/0"),
    (b'{"withdrawals": [{"identifier": "a", "reason": "r", "date": "2026-02-30"}]}', "/withdrawals/0"),
    (b'{"withdrawn": []}', ""),
])
def test_a_malformed_withdrawals_file_is_v022_naming_the_entry(tmp_path, text, pointer):
    (tmp_path / "statements").mkdir()
    (tmp_path / "statements" / WITHDRAWALS_NAME).write_bytes(text)
    _, problems = read_withdrawals(tmp_path / "statements")
    assert [(p.code, p.pointer) for p in problems] == [("V026", pointer)]


# -- never build on damage -------------------------------------------------------

def test_no_version_is_chained_to_a_damaged_predecessor(tmp_path, three):
    archive = tmp_path / "archive"
    first = package(three, archive)
    src = three[0].statement.metadata_path.parent
    edited = [make_statement(src, "alpha", body="Edited.\n"), *three[1:]]
    flip_byte(first.path / "data/beta/beta.pdf")  # same size: only its digest shows it
    before = tree_digest(archive)
    with pytest.raises(ProblemsFound) as caught:
        package(edited, archive)
    found = {(p.code, p.file) for p in caught.value.problems}
    assert ("P006", first.name) in found and ("B004", f"{first.name}/data/beta/beta.pdf") in found
    assert tree_digest(archive) == before


def test_a_tampered_tag_file_stops_even_a_build_with_nothing_new(tmp_path, three):
    archive = tmp_path / "archive"
    first = package(three, archive)
    info = first.path / "bag-info.txt"
    os.chmod(info, 0o644)
    info.write_bytes(info.read_bytes().replace(b"Bag-Software-Agent: ", b"Bag-Software-Agent: X"))
    with pytest.raises(ProblemsFound) as caught:
        package(three, archive)
    assert ("B004", f"{first.name}/bag-info.txt") in {(p.code, p.file) for p in caught.value.problems}


def test_a_build_with_nothing_new_makes_the_cheap_checks_and_chaining_the_whole_check(tmp_path, three):
    """Saying "nothing changed since" needs the newest package's files by count and
    size and its tag files as written; each listed file by name is checked before
    a version is chained to it (and in verify)."""
    archive = tmp_path / "archive"
    first = package(three, archive)
    pdf = first.path / "data/beta/beta.pdf"
    os.chmod(pdf.parent, 0o755)
    pdf.rename(pdf.with_name("beta.pdx"))  # the same count and size: only names show it
    before = tree_digest(archive)
    again = package(three, archive)
    assert not again.created and again.problems == () and tree_digest(archive) == before
    code, out, _ = run("verify", "--archive", archive)
    assert code == 1 and f"{first.name}/data/beta/beta.pdf" in out  # verify reports it (and logs it)
    before = tree_digest(archive)
    src = three[0].statement.metadata_path.parent
    with pytest.raises(ProblemsFound) as caught:  # and no version is chained to it
        package([*three, make_statement(src, "delta")], archive)
    found = {(p.code, p.file) for p in caught.value.problems}
    assert ("P006", first.name) in found and ("B002", f"{first.name}/data/beta/beta.pdf") in found, found
    assert tree_digest(archive) == before
    # a file gone (as a tag file altered, above): the build with nothing new stops too
    pdf.with_name("beta.pdx").unlink()
    with pytest.raises(ProblemsFound) as caught:
        package(three, archive)
    assert ("P006", first.name) in {(p.code, p.file) for p in caught.value.problems}
    pdf.write_bytes((three[1].pdf_path).read_bytes())  # restored: the control
    assert not package(three, archive).created


# -- an audit trail that cannot lose an entry ------------------------------------

def test_the_package_carries_the_events_the_log_records(tmp_path, three):
    archive = tmp_path / "archive"
    first = package(three, archive)
    carried = (first.path / PACKAGE_EVENTS).read_bytes().splitlines()
    assert [json.loads(line)["eventType"] for line in carried] == [
        "validation", "message digest calculation", "creation"]
    assert carried == [canonical(logged_content(e)) for e in read_events(archive / EVENTS_NAME)]
    assert log_package_problems(archive) == []


def test_events_lost_by_a_crash_after_the_rename_are_an_error_then_recovered(tmp_path, three, monkeypatch):
    archive = tmp_path / "archive"
    import pipeline.package.stage as stage

    def lost(*_args, **_kw):
        raise ArchiveError("killed")  # as if the process died right after the rename

    monkeypatch.setattr(stage, "append_events", lost)
    with pytest.raises(ArchiveError, match="carries them"):
        package(three, archive)
    monkeypatch.undo()
    code, out, _ = run("verify", "--archive", archive)
    assert code == 1 and "E011" in out  # an error, not a warning that goes away
    assert not (archive / EVENTS_NAME).exists()  # verify chained nothing to the gap
    again = package(three, archive)
    assert not again.created and [p.code for p in again.problems] == ["E013"]
    assert log_package_problems(archive) == []
    assert run("verify", "--archive", archive)[0] == 0


def test_a_build_reads_only_the_newest_package_s_events_and_verify_all(tmp_path, three):
    """Every build recovers lost events, so it reads only the newest package's
    claim (an older one's cannot have been lost by a crash); verify reads all."""
    archive = tmp_path / "archive"
    src = three[0].statement.metadata_path.parent
    versions = [three, [*three, make_statement(src, "delta")],
                [*three, make_statement(src, "delta"), make_statement(src, "epsilon")]]
    for rendered in versions:
        assert package(rendered, archive).created
    assert run("verify", "--archive", archive)[0] == 0  # positive control

    def spoil(name):
        events = archive / name / PACKAGE_EVENTS
        events.unlink()  # not written through: it is read-only, and may be linked elsewhere
        events.write_bytes(b"not an event\n")

    spoil("statements-2026-11-28-v0001")
    again = package(versions[-1], archive)  # a no-op: the older package's file was not read
    assert not again.created and again.problems == ()
    code, out, _ = run("verify", "--archive", archive)
    assert code == 1 and "E012 statements-2026-11-28-v0001/premis-events.jsonl" in out
    spoil("statements-2026-11-28-v0003")  # the newest: read by every build
    with pytest.raises(ArchiveError, match="E012 statements-2026-11-28-v0003.*cannot read what the package"):
        package(versions[-1], archive)


def test_a_build_finds_the_newest_package_s_events_right_after_its_head_without_parsing_the_log(
        tmp_path, three, monkeypatch):
    """The case of every build but one after a crash: two log lines parsed, not one per event.
    When another writer's event came between the head and the package's events, the
    lines after the head are searched event by event, and nothing is logged twice."""
    import pipeline.events.packages as packages

    archive = tmp_path / "archive"
    first = package(three, archive)
    parsed: list[int] = []
    real = packages.logged_content_digests
    monkeypatch.setattr(packages, "logged_content_digests", lambda lines: parsed.append(len(lines)) or real(lines))
    again = package(three, archive)
    assert not again.created and again.problems == () and parsed == [2]
    claimed = len((first.path / PACKAGE_EVENTS).read_bytes().splitlines())
    assert claimed > 2  # so two is fewer than all of them

    # control: a crash loses the second version's events, another writer logs between
    import pipeline.package.stage as stage
    from pipeline.events.entry import EventDraft
    from pipeline.events.log import append_events
    src = three[0].statement.metadata_path.parent
    grown = [*three, make_statement(src, "delta")]
    monkeypatch.setattr(stage, "append_events", lambda *_a, **_k: (_ for _ in ()).throw(ArchiveError("killed")))
    with pytest.raises(ArchiveError):
        package(grown, archive)
    monkeypatch.setattr(stage, "append_events", append_events)
    append_events(archive / EVENTS_NAME, [EventDraft("fixity check", EVENT_TIME, "success", "another writer")])
    recovered = package(grown, archive)
    assert [p.code for p in recovered.problems] == ["E013"]
    log = (archive / EVENTS_NAME).read_bytes()
    parsed.clear()
    after = package(grown, archive)  # the window after the head starts with the other writer's event
    assert not after.created and after.problems == ()
    assert parsed and parsed[-1] > 2  # searched event by event
    assert (archive / EVENTS_NAME).read_bytes() == log  # nothing logged twice
    assert log_package_problems(archive) == []
    assert run("verify", "--archive", archive)[0] == 0


def test_a_shortened_or_removed_log_is_an_error(tmp_path, three):
    archive = tmp_path / "archive"
    package(three, archive)
    src = three[0].statement.metadata_path.parent
    package([*three, make_statement(src, "delta")], archive)
    log = archive / EVENTS_NAME
    whole = log.read_bytes()
    assert run("verify", "--archive", archive)[0] == 0  # positive control
    lines = whole.splitlines(keepends=True)
    log.write_bytes(b"".join(lines[:2]))  # the last whole lines removed
    code, out, _ = run("verify", "--archive", archive)
    assert code == 1 and "E012" in out and "E011" in out
    log.unlink()
    code, out, _ = run("verify", "--archive", archive)
    assert code == 1 and "E011" in out and "E008" not in out
    # and no build goes on from there
    log.write_bytes(b"".join(lines[:2]))
    with pytest.raises(ArchiveError, match="does not hold what the packages say"):
        package([*three, make_statement(src, "epsilon")], archive)
