"""A build with nothing new says so from digests it already knows
(pipeline/package/unchanged.py): it does not make data/index.json again to
hash it. What it writes, when it writes, is always made from the bytes."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

from pipeline.package import stage as package_stage
from pipeline.package.layout import index_json
from pipeline.package.unchanged import MEMO_NAME

from bagutil import make_statement, tree_digest
from test_package import DATE, package


@pytest.fixture
def statements(tmp_path):
    src = tmp_path / "statements"
    return [make_statement(src, "nl-2026-001"), make_statement(src, "fr-2026-002")]


@pytest.fixture()
def json_files_made(monkeypatch) -> list[int]:
    """Each package JSON file the package stage makes (its size)."""
    made: list[int] = []
    real = package_stage.json_file

    def counting(record):
        data = real(record)
        made.append(len(data))
        return data

    monkeypatch.setattr(package_stage, "json_file", counting)
    return made


def test_nothing_new_is_said_without_making_the_index(tmp_path, statements, json_files_made):
    archive, memo = tmp_path / "archive", tmp_path / "build" / "package"
    first = package(statements, archive, memo_dir=memo)
    assert first.created and json_files_made and (memo / MEMO_NAME).is_file()
    before = tree_digest(archive)
    json_files_made.clear()
    again = package(statements, archive, memo_dir=memo)
    assert not again.created and "nothing changed" in again.message
    assert json_files_made == []
    assert tree_digest(archive) == before
    # control: without kept digests the same answer, from the index's bytes
    again = package(statements, archive)
    assert not again.created and json_files_made


@pytest.mark.parametrize("damage", [b"", b"{not json", b'{"fingerprint": "other", "digests": {}}',
                                    b'{"fingerprint": 1, "digests": []}'])
def test_lost_or_damaged_digests_only_cost_time(tmp_path, statements, json_files_made, damage):
    archive, memo = tmp_path / "archive", tmp_path / "build" / "package"
    package(statements, archive, memo_dir=memo)
    (memo / MEMO_NAME).write_bytes(damage)
    json_files_made.clear()
    again = package(statements, archive, memo_dir=memo)
    assert not again.created and json_files_made  # planned from the bytes
    kept = json.loads((memo / MEMO_NAME).read_text(encoding="utf-8"))
    assert isinstance(kept["digests"], dict) and len(kept["digests"]) == 1  # whole again
    json_files_made.clear()
    assert not package(statements, archive, memo_dir=memo).created and json_files_made == []


def test_a_change_is_written_from_the_bytes(tmp_path, statements):
    archive, memo = tmp_path / "archive", tmp_path / "build" / "package"
    package(statements, archive, memo_dir=memo)
    edited = make_statement(tmp_path / "statements", "nl-2026-001", body="Corrected body.\n")
    later = DATE + datetime.timedelta(days=1)
    v2 = package([edited, statements[1]], archive, date=later, memo_dir=memo)
    assert v2.created and v2.version == 2
    assert (v2.path / "data" / "index.json").read_bytes() == index_json([edited, statements[1]])
    again = package([edited, statements[1]], archive, date=later, memo_dir=memo)
    assert not again.created and again.name == v2.name


def test_a_build_with_provenance_and_nothing_new_makes_no_json_file(tmp_path, warm_build, json_files_made):
    """Through the CLI, as `make` builds: with renditions.json and the other provenance files too."""
    import io
    import shutil

    from pipeline.cli import main

    project = Path(__file__).resolve().parent.parent
    statements = tmp_path / "statements"
    shutil.copytree(project / "statements", statements)
    args = ["build", "--statements", str(statements), "--archive", str(tmp_path / "archive"),
            "--build-dir", str(warm_build), "--date", "2026-01-01", "--workers", "1", "--quiet"]
    out = io.StringIO()
    assert main(args, out=out, err=io.StringIO()) == 0, out.getvalue()
    assert "wrote statements-2026-01-01-v0001" in out.getvalue()
    assert len(json_files_made) == 2  # control: index.json and renditions.json, made from the records
    before = tree_digest(tmp_path / "archive")
    json_files_made.clear()
    out = io.StringIO()
    assert main(args, out=out, err=io.StringIO()) == 0, out.getvalue()
    assert "nothing changed since statements-2026-01-01-v0001" in out.getvalue()
    assert json_files_made == []
    assert tree_digest(tmp_path / "archive") == before
