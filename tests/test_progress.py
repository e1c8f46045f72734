"""Progress: plain lines when stderr is not a terminal, a rich bar on one, nothing with --quiet."""

from __future__ import annotations

import io

import pytest

from pipeline.cli import main
from pipeline.cli.progress import Progress
from statement_factory import write_statement


@pytest.fixture()
def corpus(tmp_path):
    """Three small statements: enough to see one line per item, cheap to build three times."""
    folder = tmp_path / "statements"
    for name in ("alpha", "beta", "gamma"):
        write_statement(folder, name, f"Statement {name}.\n\nSecond paragraph.\n")
    return folder


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def build(tmp_path, corpus, *extra: str, err=None) -> tuple[int, str, str]:
    out, err = io.StringIO(), err if err is not None else io.StringIO()
    code = main(["build", "--statements", str(corpus), "--archive", str(tmp_path / "archive"),
                 "--build-dir", str(tmp_path / "build"), "--date", "2026-11-28", "--workers", "1", *extra],
                out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_not_a_terminal_one_line_per_item_for_every_stage(tmp_path, corpus, fonts_dir):
    code, out, err = build(tmp_path, corpus)
    assert code == 0, out + err
    count = len(list(corpus.glob("*.json")))
    lines = err.splitlines()
    assert len([line for line in lines if line.startswith("[") and "] rendered: " in line]) == count
    assert len([line for line in lines if "] check: " in line]) == count
    packaged = [line for line in lines if "] package: data/" in line]
    assert packaged and packaged[-1].startswith(f"[{len(packaged)}/{len(packaged)}]")
    assert "\x1b[" not in err  # no terminal codes in a log

    code, out, err = build(tmp_path, corpus)  # nothing changed: every item says so
    assert code == 0
    assert len([line for line in err.splitlines() if "] unchanged: " in line]) == count
    verify_err = io.StringIO()
    assert main(["verify", "--archive", str(tmp_path / "archive")], out=io.StringIO(), err=verify_err) == 0
    assert verify_err.getvalue().splitlines()[0].startswith("[1/1] verify: statements-2026-11-28-v0001")


def test_quiet_prints_nothing(tmp_path, corpus, fonts_dir):
    code, out, err = build(tmp_path, corpus, "--quiet", err=Terminal())
    assert code == 0 and err == ""


def test_on_a_terminal_a_bar_with_counts_not_one_line_per_item(tmp_path, corpus, fonts_dir):
    code, out, err = build(tmp_path, corpus, err=Terminal())
    assert code == 0, out + err
    count = len(list(corpus.glob("*.json")))
    assert f"{count}/{count}" in err and "render" in err and "check" in err
    assert "] rendered: " not in err  # the bar, not the plain lines


def test_notes_and_steps_in_plain_mode():
    stream = io.StringIO()
    progress = Progress(stream, terminal=False)
    progress.note("submitting x")
    with progress.task("submit", 2) as task:
        task.step("a → file:///x/a", 1, 2)
        task.step("b → file:///x/b", 2, 2)
    assert stream.getvalue().splitlines() == ["submitting x", "[1/2] submit: a → file:///x/a",
                                              "[2/2] submit: b → file:///x/b"]
    quiet = io.StringIO()
    with Progress(quiet, quiet=True, terminal=True).task("submit", 1) as task:
        task.step("a", 1, 1)
    assert quiet.getvalue() == ""


def test_plain_lines_thin_out_beyond_a_hundred_items():
    stream = io.StringIO()
    with Progress(stream, terminal=False).task("render", 1000) as task:
        for number in range(1, 1001):
            task.advance(f"s{number}", "rendered")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 20 and lines[0] == "[50/1000] rendered: s50" and lines[-1] == "[1000/1000] rendered: s1000"
