"""``build --archive-rest``: the statements that passed are packaged, the refused
ones listed (index and event log), and a refused statement the previous package
holds is carried over from it unchanged. Exit 1 whenever anything was refused."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import bagit

from pipeline.cli import main
from statement_factory import write_statement


def build(tmp_path: Path, *extra: str, date: str, command: str = "build") -> tuple[int, dict]:
    out = io.StringIO()
    dated = ["--date", date] if command != "render" else []
    code = main([command, "--statements", str(tmp_path / "statements"), "--archive", str(tmp_path / "archive"),
                 "--build-dir", str(tmp_path / "build"), "--workers", "1", *dated, "--json", "--quiet",
                 *extra], out=out, err=io.StringIO())
    return code, json.loads(out.getvalue())


def packages(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "archive").glob("statements-*"))


def index(package: Path) -> dict:
    return json.loads((package / "data" / "index.json").read_text(encoding="utf-8"))


def digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def events(tmp_path: Path) -> list[dict]:
    return [json.loads(line) for line in (tmp_path / "archive" / "events.jsonl").read_text().splitlines()]


def test_archive_rest_packages_what_passed_lists_the_refused_and_keeps_what_was_there(tmp_path):
    folder = tmp_path / "statements"
    write_statement(folder, "good", "A statement that passes every stage.\n")
    write_statement(folder, "kept", "A statement archived in the first version.\n")
    assert build(tmp_path, date="2026-11-28")[0] == 0
    [first] = packages(tmp_path)
    before = digests(first / "data" / "kept")

    # "kept" now fails validation, "glyph" (new) fails rendering, "good" changes and passes
    write_statement(folder, "kept", "Its metadata lost its title.\n", title=None)
    write_statement(folder, "glyph", "An Egyptian hieroglyph no pinned font has: \U00013000.\n")
    write_statement(folder, "good", "A statement that passes every stage, edited.\n")

    # positive control: without the option nothing is written, exit 1
    code, report = build(tmp_path, date="2026-11-29")
    assert code == 1 and "nothing was archived" in report["error"]
    assert packages(tmp_path) == [first]

    code, report = build(tmp_path, "--archive-rest", date="2026-11-29")
    assert code == 1, report  # something was refused: still exit 1
    assert "listed in the package (--archive-rest)" in report["error"]
    [_, second] = packages(tmp_path)
    listed = index(second)
    assert [e["identifier"] for e in listed["statements"]] == ["good", "kept"]
    refused = {r["identifier"]: r for r in listed["refused"]}
    assert set(refused) == {"glyph", "kept"}
    assert refused["glyph"]["stage"] == "render" and refused["glyph"]["carried_over_from"] is None
    assert "R001" in {p["code"] for p in refused["glyph"]["problems"]}
    assert refused["kept"]["stage"] == "validate" and refused["kept"]["carried_over_from"] == first.name
    assert all(p["message"] for r in refused.values() for p in r["problems"])
    # nothing lost: the refused statement is carried over byte for byte, with its old index entry
    assert digests(second / "data" / "kept") == before
    assert [e for e in index(first)["statements"] if e["identifier"] == "kept"] == \
           [e for e in listed["statements"] if e["identifier"] == "kept"]
    assert not (second / "data" / "glyph").exists()
    assert "edited" in (second / "data" / "good" / "good.txt").read_text(encoding="utf-8")
    # the event log names each refusal, in the package and in the archive's log
    failures = [e for e in events(tmp_path) if e["eventOutcome"] == "failure"]
    details = " ".join(e["eventOutcomeDetail"] for e in failures)
    assert len(failures) == 2 and "refused by render: R001" in details
    assert f"carried over unchanged from {first.name}" in details and f"not in {second.name}" in details
    carried = (second / "premis-events.jsonl").read_text(encoding="utf-8")
    assert "refused by render: R001" in carried
    # an independent reader of BagIt accepts the package
    bagit.Bag(str(second)).validate()
    code, _ = build(tmp_path, "--archive-rest", date="2026-11-29")
    assert code == 1 and len(packages(tmp_path)) == 2  # the same again: nothing new to write


def test_archive_rest_with_nothing_refused_is_a_plain_build(tmp_path):
    write_statement(tmp_path / "statements", "good", "A statement that passes every stage.\n")
    code, report = build(tmp_path, "--archive-rest", date="2026-11-28")
    assert code == 0, report
    [package] = packages(tmp_path)
    assert "refused" not in index(package)
    bagit.Bag(str(package)).validate()


def test_package_archive_rest_packages_the_pdfs_that_passed(tmp_path):
    """``render`` refuses one statement; ``package --archive-rest`` packages the other
    (its PDF rendered and checked) and lists the refused one (its PDF missing)."""
    write_statement(tmp_path / "statements", "good", "A statement that passes every stage.\n")
    write_statement(tmp_path / "statements", "glyph", "An Egyptian hieroglyph no pinned font has: \U00013000.\n")
    assert build(tmp_path, date="2026-11-28", command="render")[0] == 1
    code, report = build(tmp_path, date="2026-11-28", command="package")
    assert code == 1 and not packages(tmp_path)  # positive control: all or nothing
    code, report = build(tmp_path, "--archive-rest", date="2026-11-28", command="package")
    assert code == 1, report
    [package] = packages(tmp_path)
    listed = index(package)
    assert [e["identifier"] for e in listed["statements"]] == ["good"]
    assert [(r["identifier"], r["stage"], [p["code"] for p in r["problems"]]) for r in listed["refused"]] == \
           [("glyph", "rendered", ["P001"])]
    bagit.Bag(str(package)).validate()


def test_archive_rest_with_every_statement_refused_writes_nothing(tmp_path):
    write_statement(tmp_path / "statements", "glyph", "An Egyptian hieroglyph no pinned font has: \U00013000.\n")
    code, report = build(tmp_path, "--archive-rest", date="2026-11-28")
    assert code == 1 and "nothing was archived" in report["error"] and not packages(tmp_path)


def test_archive_rest_cannot_leave_out_an_error_of_no_statement(tmp_path):
    """A broken withdrawals.json belongs to no statement: nothing is archived, and the message says why."""
    write_statement(tmp_path / "statements", "good", "A statement that passes every stage.\n")
    (tmp_path / "statements" / "withdrawals.json").write_text("{not json", encoding="utf-8")
    code, report = build(tmp_path, "--archive-rest", date="2026-11-28")
    assert code == 1 and "belongs to no single statement" in report["error"] and not packages(tmp_path)
    (tmp_path / "statements" / "withdrawals.json").unlink()  # positive control: then it is archived
    assert build(tmp_path, "--archive-rest", date="2026-11-28")[0] == 0 and packages(tmp_path)
