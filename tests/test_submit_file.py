"""`statement-archive submit` to a drop folder (file://), through the real CLI:
exit codes, the ledger, the event log, idempotency, --dry-run and refusal."""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path

import pytest

from bagutil import flip_byte
from pipeline.cli import main
from pipeline.events.log import EVENTS_NAME, read_events
from submit_servers import make_archive

EPOCH = "1796117400"  # 2026-12-01T09:30:00Z: the CLI's clock in these tests


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    monkeypatch.delenv("STATEMENT_ARCHIVE_TARGET", raising=False)


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_submit_to_a_drop_folder_then_nothing_more(tmp_path):
    archive = make_archive(tmp_path)
    inbox = tmp_path / "inbox"
    code, out, err = cli("submit", "--archive", str(archive), "--target", inbox.as_uri())
    assert code == 0, out + err
    folder = inbox / "alpha" / "v0001"
    assert sorted(p.name for p in folder.iterdir()) == [
        "alpha.metadata.json", "alpha.metadata.json.sha256", "alpha.pdf", "alpha.pdf.sha256"]
    package = next(archive.glob("statements-*"))
    assert (folder / "alpha.pdf").read_bytes() == (package / "data/alpha/alpha.pdf").read_bytes()
    assert (folder / "alpha.pdf.sha256").read_text() == f"{sha256(folder / 'alpha.pdf')}  alpha.pdf\n"
    sidecar = json.loads((folder / "alpha.metadata.json").read_text(encoding="utf-8"))
    assert sidecar["statement"]["identifier"] == "alpha" and sidecar["package"] == package.name
    assert sidecar["pdf"]["sha256"] == sha256(folder / "alpha.pdf")

    # the ledger is beside the archive, so verify finds nothing stray in archive/
    assert (tmp_path / "submissions.sqlite").is_file()
    code, out, err = cli("verify", "--archive", str(archive), "--json")
    assert code == 0 and not [p for p in json.loads(out)["stages"][0]["problems"] if p["code"] == "B014"]

    transfers = [e for e in read_events(archive / EVENTS_NAME) if e.event_type == "transfer"]
    assert [o.value for e in transfers for o in e.objects if o.type == "statement"] == ["alpha", "beta"]
    assert {e.date_time[:19] for e in transfers} == {"2026-12-01T09:30:00"}
    # A drop-folder copy is a path: a PREMIS `local` identifier, not a "URI".
    assert [(o.type, o.value) for e in transfers for o in e.objects if o.role == "outcome"] == [
        ("local", str(folder / "alpha.pdf")), ("local", str(inbox / "beta" / "v0001" / "beta.pdf"))]

    before = {p: p.stat().st_mtime_ns for p in inbox.rglob("*")}
    code, out, _ = cli("submit", "--archive", str(archive), "--target", inbox.as_uri())
    assert code == 0 and out.count("already confirmed") >= 2
    assert {p: p.stat().st_mtime_ns for p in inbox.rglob("*")} == before
    assert len([e for e in read_events(archive / EVENTS_NAME) if e.event_type == "transfer"]) == 2

    code, out, _ = cli("submissions", "--archive", str(archive), "--json")
    rows = json.loads(out)["submissions"]
    assert code == 0 and [(r["identifier"], r["status"]) for r in rows] == [
        ("alpha", "confirmed"), ("beta", "confirmed")]
    assert all(r["logged_event"] and r["finished"].startswith("2026-12-01T09:30:00") for r in rows)


def test_default_target_is_records_inbox_in_the_current_folder(tmp_path, monkeypatch):
    archive = make_archive(tmp_path, ("alpha",))
    monkeypatch.chdir(tmp_path)
    code, out, err = cli("submit", "--archive", "archive", "--quiet")
    assert code == 0, out + err
    assert (tmp_path / "records-inbox" / "alpha" / "v0001" / "alpha.pdf").is_file()
    assert archive.is_dir()


def test_dry_run_shows_and_sends_nothing(tmp_path):
    archive = make_archive(tmp_path, ("alpha",))
    inbox = tmp_path / "inbox"
    code, out, _ = cli("submit", "--archive", str(archive), "--target", inbox.as_uri(), "--dry-run", "--json")
    report = json.loads(out)
    assert code == 0 and report["submit"]["dry_run"]
    assert [(i["status"], i["location"]) for i in report["stages"][0]["items"]] == [
        ("would send", str(inbox / "alpha" / "v0001" / "alpha.pdf"))]
    assert not inbox.exists() and not (tmp_path / "submissions.sqlite").exists()


def test_newest_package_failing_verification_exits_4_naming_it(tmp_path):
    archive = make_archive(tmp_path, ("alpha",))
    package = next(archive.glob("statements-*"))
    flip_byte(package / "data" / "alpha" / "alpha.pdf", 5)
    code, out, err = cli("submit", "--archive", str(archive), "--target", (tmp_path / "in").as_uri(), "--json")
    report = json.loads(out)
    assert code == 4 and package.name in report["error"] and "B004" in report["error"]
    assert [p["code"] for p in report["stages"][0]["problems"]] == ["S001"]
    assert not (tmp_path / "in").exists()
    assert cli("submit", "--archive", str(tmp_path / "nowhere"), "--target", (tmp_path / "in").as_uri())[0] == 4


def test_unusable_targets_are_bad_usage_and_secrets_in_urls_are_not_echoed(tmp_path):
    archive = make_archive(tmp_path, ("alpha",))
    code, _, err = cli("submit", "--archive", str(archive), "--target", "ftp://records/")
    assert code == 2 and "unknown target" in err
    code, out, err = cli("submit", "--archive", str(archive), "--target", "webdav://u:hunter2@dav.example/")
    assert code == 2 and "hunter2" not in out + err and "STATEMENT_ARCHIVE_PASSWORD" in err


def test_a_drop_folder_that_cannot_be_written_fails_with_exit_1(tmp_path):
    archive = make_archive(tmp_path, ("alpha",))
    (tmp_path / "not-a-folder").write_text("x")
    target = (tmp_path / "not-a-folder" / "inbox").as_uri()
    code, out, err = cli("submit", "--archive", str(archive), "--target", target)
    assert code == 1 and "S003" in out and "not-a-folder" in out
    code, out, _ = cli("submissions", "--archive", str(archive))
    assert code == 0 and out.startswith("failed") and "0 confirmed, 0 pending, 1 failed" in out


def test_submissions_without_a_ledger(tmp_path):
    code, out, _ = cli("submissions", "--archive", str(tmp_path / "archive"))
    assert code == 0 and "nothing submitted yet" in out
    assert os.listdir(tmp_path) == []
