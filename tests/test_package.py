"""The package stage: layout, bag-info, versions, atomic writing, errors."""

from __future__ import annotations

import dataclasses
import datetime
import errno
import json
import os
import subprocess
import sys
import threading
import time

import bagit
import pytest

from pipeline.archive.folder import archive_lock
from pipeline.bagit.manifest import parse_manifest, sha256_bytes
from pipeline.bagit.tagfile import parse_tags
from pipeline.core.errors import ArchiveError, InputError, ProblemsFound
from pipeline.core.records import Withdrawal
from pipeline.package import package_statements
from pipeline.verify import verify_archive

from bagutil import AGENT, EVENT_TIME, DATE, make_statement, tree_digest


@pytest.fixture
def statements(tmp_path):
    src = tmp_path / "statements"
    return [make_statement(src, "nl-2026-001"), make_statement(src, "fr-2026-002")]


def package(rendered, archive, date=DATE, **kw):
    return package_statements(rendered, archive, bagging_date=date, software_agent=AGENT, event_time=EVENT_TIME, **kw)


def manifest(path):
    return dict(parse_manifest((path / "manifest-sha256.txt").read_bytes(), "sha256").entries)


def test_layout_and_bag_info(tmp_path, statements):
    archive = tmp_path / "archive"
    outcome = package(statements, archive)
    assert outcome.created and outcome.version == 1 and outcome.statements == 2
    assert outcome.name == "statements-2026-11-28-v0001"
    assert outcome.path == archive / outcome.name
    root = outcome.path
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) == [
        "bag-info.txt", "bagit.txt",
        "data/fr-2026-002/fr-2026-002.json", "data/fr-2026-002/fr-2026-002.md",
        "data/fr-2026-002/fr-2026-002.pdf", "data/index.json",
        "data/nl-2026-001/nl-2026-001.json", "data/nl-2026-001/nl-2026-001.md",
        "data/nl-2026-001/nl-2026-001.pdf",
        "manifest-sha256.txt", "manifest-sha512.txt", "premis-events.jsonl",
        "tagmanifest-sha256.txt", "tagmanifest-sha512.txt",
    ]
    assert (root / "bagit.txt").read_bytes() == (
        b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
    info = parse_tags((root / "bag-info.txt").read_bytes())
    assert info.errors == ()
    size = sum(p.stat().st_size for p in (root / "data").rglob("*") if p.is_file())
    assert dict(info.elements) == {
        "Bag-Group-Identifier": "statements",
        "Bag-Software-Agent": AGENT,
        "Bagging-Date": "2026-11-28",
        "Event-Log-Head-SHA256": "0" * 64,
        "Event-Log-Sequence": "0",
        "External-Identifier": outcome.name,
        "Package-Version": "1",
        "Payload-Oxum": f"{size}.7",
    }
    labels = [label for label, _ in info.elements]
    assert labels == sorted(labels)
    # copies are byte for byte
    for r in statements:
        folder = root / "data" / r.statement.identifier
        assert (folder / r.statement.body_path.name).read_bytes() == r.statement.body_path.read_bytes()
        assert (folder / r.statement.metadata_path.name).read_bytes() == (
            r.statement.metadata_path.read_bytes())
        assert (folder / f"{r.statement.identifier}.pdf").read_bytes() == r.pdf_path.read_bytes()
    # manifests: sorted, LF, both algorithms list every payload file
    for name in ("manifest-sha256.txt", "manifest-sha512.txt"):
        text = (root / name).read_text(encoding="utf-8")
        paths = [line.split("  ", 1)[1] for line in text.splitlines()]
        assert paths == sorted(paths) and len(paths) == 7 and "\r" not in text
    tags = (root / "tagmanifest-sha256.txt").read_text()
    assert [line.split("  ")[1] for line in tags.splitlines()] == [
        "bag-info.txt", "bagit.txt", "manifest-sha256.txt", "manifest-sha512.txt", "premis-events.jsonl"]
    assert oct((root / "data/index.json").stat().st_mode & 0o777) == "0o444"
    assert not (archive / ".incoming").exists()


def test_index_json_is_deterministic_and_has_no_digests_or_dates(tmp_path, statements):
    outcome = package(statements, tmp_path / "archive")
    raw = (outcome.path / "data/index.json").read_bytes()
    index = json.loads(raw)
    assert raw.endswith(b"}\n") and "“quoted”".encode() in raw  # ensure_ascii=False
    assert raw == (json.dumps(index, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()
    assert [s["identifier"] for s in index["statements"]] == ["fr-2026-002", "nl-2026-001"]
    first = index["statements"][0]
    assert first["files"] == {"body": "data/fr-2026-002/fr-2026-002.md",
                              "metadata": "data/fr-2026-002/fr-2026-002.json",
                              "pdf": "data/fr-2026-002/fr-2026-002.pdf"}
    assert set(first) == {"identifier", "title", "date_issued", "document_type",
                          "languages", "files"}
    assert "2026-11-28" not in raw.decode() and statements[0].pdf_sha256 not in raw.decode()


def test_bagit_python_validates_our_bag(tmp_path, statements):
    outcome = package(statements, tmp_path / "archive")
    bag = bagit.Bag(str(outcome.path))
    bag.validate()
    assert bag.version_info == (1, 0)
    cli = subprocess.run([sys.executable, "-m", "bagit", "--validate", str(outcome.path)],
                         capture_output=True, text=True)
    assert cli.returncode == 0, cli.stderr


def test_same_input_twice_writes_nothing(tmp_path, statements):
    archive = tmp_path / "archive"
    first = package(statements, archive)
    before = tree_digest(archive)
    again = package(statements, archive, date=DATE + datetime.timedelta(days=3))
    assert not again.created
    assert again.name == first.name and again.version == 1
    assert first.name in again.message and "nothing changed" in again.message
    assert tree_digest(archive) == before


def test_edit_one_statement_makes_v0002(tmp_path, statements):
    archive = tmp_path / "archive"
    v1 = package(statements, archive)
    before = tree_digest(v1.path)
    edited = make_statement(tmp_path / "statements", "nl-2026-001", body="Corrected body.\n")
    later = DATE + datetime.timedelta(days=1)
    v2 = package([edited, statements[1]], archive, date=later)
    assert v2.created and v2.version == 2 and v2.name == "statements-2026-11-29-v0002"
    assert tree_digest(v1.path) == before  # the past is untouched, byte for byte
    old, new = manifest(v1.path), manifest(v2.path)
    assert old.keys() == new.keys()
    changed = {path for path in old if old[path] != new[path]}
    # the body changed; the fake PDF's bytes and the index did not
    assert changed == {"data/nl-2026-001/nl-2026-001.md"}
    info = dict(parse_tags((v2.path / "bag-info.txt").read_bytes()).elements)
    assert info["Package-Version"] == "2"
    assert info["Predecessor-Package"] == v1.name
    assert info["Predecessor-Tagmanifest-SHA256"] == sha256_bytes(
        (v1.path / "tagmanifest-sha256.txt").read_bytes())
    assert verify_archive(archive).ok


def test_versions_increase_across_dates_and_groups_are_separate(tmp_path, statements):
    archive = tmp_path / "archive"
    package(statements[:1], archive)
    package(statements, archive, date=DATE + datetime.timedelta(days=1))
    other = package(statements, archive, group="speeches")
    assert other.name == "speeches-2026-11-28-v0001"
    gone = Withdrawal(statements[0].statement.identifier, "published in error", "2026-11-29")
    third = package(statements[1:], archive, date=DATE + datetime.timedelta(days=1), withdrawals=[gone])
    assert third.name == "statements-2026-11-29-v0003" and third.withdrawn == (gone.identifier,)
    assert verify_archive(archive).ok


def test_bagging_date_before_newest_is_refused(tmp_path, statements):
    archive = tmp_path / "archive"
    package(statements[:1], archive)
    with pytest.raises(InputError, match="before the date"):
        package(statements, archive, date=DATE - datetime.timedelta(days=1))


def test_changed_pdf_is_p001(tmp_path, statements):
    statements[0].pdf_path.write_bytes(b"%PDF-1.7\n tampered\n")
    body = statements[1].statement.body_path
    body.write_bytes(body.read_bytes() + b"x")
    with pytest.raises(ProblemsFound) as caught:
        package(statements, tmp_path / "archive")
    problems = caught.value.problems
    assert [p.code for p in problems] == ["P001", "P001"]
    assert {p.file for p in problems} == {str(statements[0].pdf_path), str(body)}
    assert all("run render again" in p.message for p in problems)
    assert os.listdir(tmp_path / "archive") == [".lock"]


def test_missing_pdf_is_p001(tmp_path, statements):
    statements[0].pdf_path.unlink()
    with pytest.raises(ProblemsFound) as caught:
        package(statements, tmp_path / "archive")
    assert [p.code for p in caught.value.problems] == ["P001"]


def test_unsafe_or_clashing_names_are_p003(tmp_path, statements):
    bad = dataclasses.replace(statements[0], statement=dataclasses.replace(
        statements[0].statement, identifier="../evil"))
    clash = make_statement(tmp_path / "other", "nl-2026-001")
    for rendered in ([bad], [statements[0], clash]):
        with pytest.raises(ProblemsFound) as caught:
            package(rendered, tmp_path / "archive")
        assert {p.code for p in caught.value.problems} == {"P003"}


def test_bad_group_and_empty_input(tmp_path, statements):
    with pytest.raises(InputError, match="not usable in a package name"):
        package(statements, tmp_path / "archive", group="../x")
    with pytest.raises(InputError, match="nothing to package"):
        package([], tmp_path / "archive")


def test_crash_at_rename_leaves_no_package(tmp_path, statements, monkeypatch):
    archive = tmp_path / "archive"
    package(statements[:1], archive)
    before = tree_digest(archive)

    def crash(src, dst):
        raise OSError(errno.EIO, "simulated crash", str(dst))

    monkeypatch.setattr(os, "rename", crash)
    with pytest.raises(ArchiveError, match="is not writable"):
        package(statements, archive)
    assert tree_digest(archive) == before
    assert not (archive / ".incoming").exists()


def test_disk_full_mid_write_leaves_no_package(tmp_path, statements, monkeypatch):
    archive = tmp_path / "archive"
    real_fsync, calls = os.fsync, []

    def full(fd):
        calls.append(fd)
        if len(calls) == 4:  # a few payload files in
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(ArchiveError, match="not writable: No space left on device"):
        package(statements, archive)
    assert sorted(os.listdir(archive)) == [".lock"]


def test_source_changing_during_copy_leaves_no_package(tmp_path, statements, monkeypatch):
    """The PDF is swapped between hashing (plan) and copying."""
    import pipeline.package.stage as stage

    real_plan = stage.plan

    def plan_then_swap(items, rendered):
        planned = real_plan(items, rendered)
        statements[0].pdf_path.write_bytes(b"%PDF swapped")
        return planned

    monkeypatch.setattr(stage, "plan", plan_then_swap)
    with pytest.raises(ProblemsFound) as caught:
        package(statements, tmp_path / "archive")
    assert "changed since rendering" in caught.value.problems[0].message
    assert [p.code for p in caught.value.problems] == ["P001"]
    assert sorted(os.listdir(tmp_path / "archive")) == [".lock"]


def test_unwritable_archive_is_archive_error(tmp_path, statements):
    # We run as root, so permission bits do not stop us; instead the archive
    # path goes through a regular file, which nobody can create folders in.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(ArchiveError, match="is not writable"):
        package(statements, blocker / "archive")
    with pytest.raises(ArchiveError, match="is not writable"):
        package(statements, blocker)


def test_damaged_newest_package_stops_packaging(tmp_path, statements):
    """An empty folder named like the next version is the newest "package";
    it is damaged, so we refuse rather than chain to it or replace it
    (os.rename would silently replace an empty folder)."""
    archive = tmp_path / "archive"
    package(statements[:1], archive)
    squatter = archive / "statements-2026-11-28-v0002"
    squatter.mkdir()
    with pytest.raises(ProblemsFound) as caught:
        package(statements, archive)
    codes = {p.code for p in caught.value.problems}
    assert "P006" in codes and "B001" in codes, caught.value.problems
    assert os.listdir(squatter) == []
    assert sorted(os.listdir(archive)) == [".lock", "events.jsonl", "statements-2026-11-28-v0001",
                                           "statements-2026-11-28-v0002"]


def test_second_builder_waits_for_the_lock(tmp_path, statements):
    archive = tmp_path / "archive"
    archive.mkdir()
    done = threading.Event()
    result = []

    def build():
        result.append(package(statements, archive))
        done.set()

    with archive_lock(archive):
        thread = threading.Thread(target=build)
        thread.start()
        time.sleep(0.2)
        assert not done.is_set()
        assert os.listdir(archive) == [".lock"]
    thread.join(5)
    assert done.is_set() and result[0].created
