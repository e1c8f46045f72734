"""The whole pipeline through its CLI, on a temporary copy of statements/.

Real renders, real files, real bags; LoC's bagit-python cross-checks them.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import bagit
import pytest

from pipeline.cli import main


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def tree_digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*")) if p.is_file()
    }


def manifest(package: Path) -> dict[str, str]:
    lines = (package / "manifest-sha256.txt").read_text(encoding="utf-8").splitlines()
    return {path: digest for digest, path in (line.split(maxsplit=1) for line in lines)}


def packages(archive: Path) -> list[Path]:
    return sorted(p for p in archive.iterdir() if p.is_dir() and not p.name.startswith("."))


@pytest.fixture()
def dirs(tmp_path, corpus_copy, warm_build):
    # The examples' renditions are already in the build folder (warm_build):
    # these tests are about packages, versions and refusals, and rendering is
    # tested cold elsewhere; an edited statement is still rendered here.
    return {"statements": corpus_copy, "archive": tmp_path / "archive", "build": warm_build}


def build(dirs, *extra: str, date: str = "2026-11-28") -> tuple[int, dict, str]:
    code, out, err = run(
        "build", "--statements", str(dirs["statements"]), "--archive", str(dirs["archive"]),
        "--build-dir", str(dirs["build"]), "--date", date, "--json", "--quiet", *extra,
    )
    return code, json.loads(out), err


def test_build_rebuild_edit_and_verify(dirs):
    code, report, err = build(dirs)
    assert code == 0, err
    assert report["package"]["created"] is True
    [first] = packages(dirs["archive"])
    assert first.name == "statements-2026-11-28-v0001"
    statements = sorted(p.stem for p in dirs["statements"].glob("*.json"))
    assert report["package"]["statements"] == len(statements) >= 7
    before = {k: v for k, v in tree_digest(dirs["archive"]).items() if k.startswith(first.name)}
    log_after_first_build = tree_digest(dirs["archive"])["events.jsonl"]

    # Nothing changed: nothing is written, and it says so.
    code, report, err = build(dirs, date="2026-11-29")
    assert code == 0, err
    assert report["package"]["created"] is False
    assert first.name in report["package"]["message"]
    after = tree_digest(dirs["archive"])
    assert after.pop(".lock") == hashlib.sha256(b"").hexdigest()  # the lock file holds nothing; it is only locked
    assert after == {**before, "events.jsonl": log_after_first_build}

    # One statement edited: a new version in which only its files differ.
    # (Not the seed: its body is a reviewed extraction, and an edit of it is refused, V034.)
    seed_body = dirs["statements"] / "examplia-mfa-2023-press-release-archives-cooperation.txt"
    seed_body.write_bytes(seed_body.read_bytes() + "\n\n记录官员附加的更正。\n".encode())
    code, report, err = build(dirs, date="2026-11-29")
    assert code == 0, err
    assert report["package"]["created"] is True
    old, new = packages(dirs["archive"])
    assert new.name == "statements-2026-11-29-v0002"
    changed = {path for path in manifest(new) if manifest(new)[path] != manifest(old).get(path)}
    assert changed == {
        "data/examplia-mfa-2023-press-release-archives-cooperation/examplia-mfa-2023-press-release-archives-cooperation.pdf",
        "data/examplia-mfa-2023-press-release-archives-cooperation/examplia-mfa-2023-press-release-archives-cooperation.txt",
        "data/_provenance/renditions.json",  # records the digests of each PDF and its inputs
    }
    assert set(manifest(new)) == set(manifest(old))
    # The earlier version is untouched, byte for byte.
    assert {k: v for k, v in tree_digest(dirs["archive"]).items() if k.startswith(old.name)} == before

    code, out, err = run("verify", "--archive", str(dirs["archive"]))
    assert code == 0, out + err
    assert f"OK   {old.name}" in out and f"OK   {new.name}" in out

    # LoC's bagit-python accepts both bags.
    for package in (old, new):
        bagit.Bag(str(package)).validate()

    # One flipped byte in the old package: verify fails and names the file.
    victim = old / "data/embassy-nl-2019-huawei-5g-remarks/embassy-nl-2019-huawei-5g-remarks.pdf"
    os.chmod(victim, 0o644)
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0x01
    victim.write_bytes(bytes(data))
    code, out, err = run("verify", "--archive", str(dirs["archive"]))
    assert code == 1
    assert f"FAIL {old.name}" in out
    assert "embassy-nl-2019-huawei-5g-remarks.pdf" in out and "mismatch" in out


def test_bad_statement_stops_the_build_and_leaves_the_archive_untouched(dirs):
    assert build(dirs)[0] == 0
    before = tree_digest(dirs["archive"])
    seed = dirs["statements"] / "embassy-nl-2019-huawei-5g-remarks.json"
    record = json.loads(seed.read_text(encoding="utf-8"))
    record["titel"] = record.pop("title")
    seed.write_text(json.dumps(record), encoding="utf-8")
    (dirs["statements"] / "extra.txt").write_text("text")
    code, out, err = run("build", "--statements", str(dirs["statements"]), "--archive", str(dirs["archive"]),
                         "--build-dir", str(dirs["build"]), "--quiet")
    assert code == 1
    assert "embassy-nl-2019-huawei-5g-remarks.json" in out
    assert "titel" in out and "did you mean `title`" in out
    assert tree_digest(dirs["archive"]) == before


def test_package_refuses_pdfs_that_are_stale(dirs):
    assert build(dirs)[0] == 0
    seed_body = dirs["statements"] / "examplia-mfa-2021-speech-law-of-the-sea.txt"
    seed_body.write_bytes(seed_body.read_bytes() + b"\nchanged\n")
    code, out, err = run("package", "--statements", str(dirs["statements"]), "--archive", str(dirs["archive"]),
                         "--build-dir", str(dirs["build"]), "--quiet")
    assert code == 1
    assert "P001" in out and "examplia-mfa-2021-speech-law-of-the-sea.pdf" in out
    assert len(packages(dirs["archive"])) == 1


@pytest.mark.long  # the whole example corpus twice; test_render's one-statement twin stays in plain `make test`
def test_rendering_is_reproducible_across_processes(dirs, project_dir):
    outputs = []
    for name in ("one", "two"):
        build_dir = dirs["build"].parent / name
        subprocess.run(
            [sys.executable, "-m", "pipeline", "render", "--statements", str(dirs["statements"]),
             "--build-dir", str(build_dir), "--quiet"],
            check=True, cwd=project_dir, env={**os.environ, "PYTHONHASHSEED": name == "one" and "1" or "2"},
        )
        outputs.append({p.name: p.read_bytes() for p in sorted((build_dir / "pdf").glob("*.pdf"))})
    assert outputs[0].keys() == outputs[1].keys() and len(outputs[0]) >= 7
    assert outputs[0] == outputs[1]


def _subcommands(parser, prefix=()):
    """Every subcommand path of the CLI (e.g. ("keys", "init")), with its parser."""
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*prefix, name), sub
                yield from _subcommands(sub, (*prefix, name))


def test_every_subcommand_is_listed_here():
    from pipeline.cli import build_parser

    names = {" ".join(path) for path, _ in _subcommands(build_parser())}
    assert {"validate", "render", "check", "package", "build", "verify", "events", "export-premis",
            "export", "unpack", "submit", "submissions", "withdraw", "fonts", "seal", "reseal", "new",
            "import", "review", "catalogue"} <= names


@pytest.mark.parametrize("path", [" ".join(p) for p, _ in _subcommands(__import__("pipeline.cli").cli.build_parser())])
def test_every_subcommand_has_help_that_says_what_it_does_and_lists_its_options(path, capsys):
    from pipeline.cli import build_parser

    parser = dict((" ".join(p), sub) for p, sub in _subcommands(build_parser()))[path]
    code = main([*path.split(), "--help"])
    printed = capsys.readouterr().out
    assert code == 0
    assert printed.startswith(f"usage: statement-archive {path}")
    assert parser.description and " ".join(parser.description.split()[:4]) in " ".join(printed.split())
    for action in parser._actions:
        for option in action.option_strings:
            assert option in printed, f"{path} --help does not list {option}"


def test_bad_usage_exits_2():
    assert run("build", "--no-such-option")[0] == 2
    assert run("validate", "--statements", "/nonexistent/folder")[0] == 2


def test_one_build_reports_every_problem_of_every_stage_and_archives_nothing(tmp_path):
    """A statement refused by validation does not hide one refused by rendering: render and
    check go on with what passed, and the build then stops with nothing archived."""
    from statement_factory import write_statement

    folder = tmp_path / "statements"
    write_statement(folder, "good", "A statement that passes every stage.\n")
    write_statement(folder, "glyph", "An Egyptian hieroglyph no pinned font has: \U00013000.\n")
    write_statement(folder, "invalid", "Its metadata lacks a title.\n", title=None)
    archive = tmp_path / "archive"
    out = io.StringIO()
    code = main(["build", "--statements", str(folder), "--archive", str(archive), "--build-dir",
                 str(tmp_path / "build"), "--workers", "1", "--json", "--quiet"], out=out, err=io.StringIO())
    report = json.loads(out.getvalue())
    assert code == 1
    found = {(s["stage"], p["code"]) for s in report["stages"] for p in s["problems"] if p["severity"] == "error"}
    assert ("validate", "V002") in found or ("validate", "V004") in found, found
    assert ("render", "R001") in found, found
    [check] = [s for s in report["stages"] if s["stage"] == "check"]
    assert [item["identifier"] for item in check["items"]] == ["good"] and check["problems"] == []
    assert "package" not in report and not any(archive.glob("statements-*"))
    assert "nothing was archived" in report["error"]
