"""Versions share what did not change: unchanged files are hard links to the
predecessor's, each version is still a complete bag on its own (bagit-python),
survives the deletion of any other, and is the same tree as a copied one."""

from __future__ import annotations

import datetime
import errno
import os
import shutil
import stat

import bagit
import pytest

from pipeline.core.errors import ProblemsFound
from pipeline.package import package_statements
from pipeline.verify import verify_archive

from bagutil import AGENT, DATE, EVENT_TIME, make_statement, tree_digest

IDS = ("nl-2026-001", "fr-2026-002", "de-2026-003")
UNCHANGED = "data/fr-2026-002/fr-2026-002.pdf"
CHANGED = "data/nl-2026-001/nl-2026-001.md"


def build_two_versions(tmp_path, archive, **kw):
    src = tmp_path / "statements"
    first = [make_statement(src, i) for i in IDS]
    v1 = package_statements(first, archive, bagging_date=DATE, software_agent=AGENT,
                            event_time=EVENT_TIME, **kw)
    edited = make_statement(src, IDS[0], body="Corrected body.\n")
    v2 = package_statements([edited, *first[1:]], archive, bagging_date=DATE + datetime.timedelta(days=1),
                            software_agent=AGENT, event_time=EVENT_TIME, **kw)
    assert v1.created and v2.created
    return v1.path, v2.path


def payload_files(bag):
    return sorted(p.relative_to(bag).as_posix() for p in (bag / "data").rglob("*") if p.is_file())


def test_unchanged_files_are_hard_links_and_changed_ones_copies(tmp_path):
    v1, v2 = build_two_versions(tmp_path, tmp_path / "archive")
    old, new = os.stat(v1 / UNCHANGED), os.stat(v2 / UNCHANGED)
    assert (old.st_dev, old.st_ino) == (new.st_dev, new.st_ino) and new.st_nlink == 2
    assert stat.S_IMODE(new.st_mode) == 0o444
    assert os.stat(v1 / CHANGED).st_ino != os.stat(v2 / CHANGED).st_ino
    assert os.stat(v2 / CHANGED).st_nlink == 1
    shared = [p for p in payload_files(v2) if os.stat(v2 / p).st_ino == os.stat(v1 / p).st_ino]
    # everything but the changed body (the index lists no digests, so it is unchanged too)
    assert sorted(shared) == sorted(set(payload_files(v2)) - {CHANGED})
    # tag files are never shared: each bag has its own
    assert os.stat(v2 / "manifest-sha256.txt").st_nlink == 1


def test_shared_tree_is_the_copied_tree_byte_for_byte(tmp_path):
    _, shared = build_two_versions(tmp_path / "a", tmp_path / "a" / "archive")
    _, copied = build_two_versions(tmp_path / "b", tmp_path / "b" / "archive", share=False)
    assert os.stat(copied / UNCHANGED).st_nlink == 1  # positive control: --no-share copies
    assert tree_digest(shared) == tree_digest(copied)
    modes = lambda bag: {p: stat.S_IMODE(os.stat(bag / p).st_mode) for p in payload_files(bag)}  # noqa: E731
    assert modes(shared) == modes(copied)


@pytest.mark.parametrize("deleted", [0, 1])
def test_every_version_validates_alone_and_survives_the_other_being_deleted(tmp_path, deleted):
    archive = tmp_path / "archive"
    bags = build_two_versions(tmp_path, archive)
    for bag in bags:
        assert bagit.Bag(str(bag)).is_valid()
    shutil.rmtree(bags[deleted])
    kept = bags[1 - deleted]
    assert bagit.Bag(str(kept)).is_valid()
    assert os.stat(kept / UNCHANGED).st_nlink == 1
    kept_result = [p for p in verify_archive(archive).packages if p.name == kept.name]
    assert kept_result and not [p for p in kept_result[0].problems if p.code != "B009"]


@pytest.mark.parametrize("code", [errno.EXDEV, errno.EPERM])
def test_falls_back_to_copying_where_links_fail(tmp_path, monkeypatch, code):
    def no_links(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "link", no_links)
    v1, v2 = build_two_versions(tmp_path, tmp_path / "archive")
    assert os.stat(v2 / UNCHANGED).st_ino != os.stat(v1 / UNCHANGED).st_ino
    assert os.stat(v2 / UNCHANGED).st_nlink == 1
    assert bagit.Bag(str(v2)).is_valid() and verify_archive(tmp_path / "archive").ok


def test_other_link_errors_are_not_hidden(tmp_path, monkeypatch):
    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    src = tmp_path / "statements"
    first = [make_statement(src, i) for i in IDS]
    archive = tmp_path / "archive"
    package_statements(first, archive, bagging_date=DATE, software_agent=AGENT, event_time=EVENT_TIME)
    monkeypatch.setattr(os, "link", disk_full)
    edited = make_statement(src, IDS[0], body="Corrected body.\n")
    with pytest.raises(Exception) as caught:
        package_statements([edited, *first[1:]], archive, bagging_date=DATE, software_agent=AGENT,
                           event_time=EVENT_TIME)
    assert "not writable" in str(caught.value)
    assert len([p for p in archive.iterdir() if p.name.startswith("statements-")]) == 1
    assert not (archive / ".incoming").exists()


def test_predecessor_altered_between_check_and_link_is_p006(tmp_path, monkeypatch):
    """The linked file is hashed in the new bag, so a change after the check is caught."""
    import pipeline.package.stage as stage

    src = tmp_path / "statements"
    first = [make_statement(src, i) for i in IDS]
    archive = tmp_path / "archive"
    v1 = package_statements(first, archive, bagging_date=DATE, software_agent=AGENT, event_time=EVENT_TIME)
    checked = stage.check_carried_over

    def check_then_alter(*args):
        checked(*args)
        target = v1.path / UNCHANGED
        os.chmod(target, 0o644)
        target.write_bytes(b"altered")
        os.chmod(target, 0o444)

    monkeypatch.setattr(stage, "check_carried_over", check_then_alter)
    edited = make_statement(src, IDS[0], body="Corrected body.\n")
    with pytest.raises(ProblemsFound) as caught:
        package_statements([edited, *first[1:]], archive, bagging_date=DATE, software_agent=AGENT,
                           event_time=EVENT_TIME)
    assert [p.code for p in caught.value.problems] == ["P006"]
    assert len([p for p in archive.iterdir() if p.name.startswith("statements-")]) == 1
