"""The README's exit codes, through the CLI and through make.

GNU make exits 2 whenever a recipe fails, whatever the command's own code; it
names that code in its last line (``make: *** [Makefile:NN: verify] Error 4``),
which is what README documents for make. So each case is checked twice: the
CLI's own code, and make's line carrying it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bagutil import AGENT, DATE, EVENT_TIME, flip_byte, make_statement
from pipeline.package import package_statements

PROJECT = Path(__file__).resolve().parents[1]


def cli(*argv: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *argv], cwd=PROJECT, capture_output=True,
                          text=True, env=env)


def make(target: str, args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", target, f"ARGS={args}"], cwd=PROJECT,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)


@pytest.fixture
def archives(tmp_path):
    good = tmp_path / "good"
    package_statements([make_statement(tmp_path / "src", "alpha")], good, bagging_date=DATE,
                       software_agent=AGENT, event_time=EVENT_TIME)
    damaged = tmp_path / "damaged"
    shutil.copytree(good, damaged)
    flip_byte(next(damaged.glob("statements-*/data/alpha/alpha.pdf")))
    return good, damaged


@pytest.mark.parametrize("case, code", [("ok", 0), ("problems", 1), ("usage", 2), ("archive", 4)])
def test_each_exit_code_through_the_cli_and_through_make(case, code, archives, tmp_path):
    good, damaged = archives
    target, args = {
        "ok": ("verify", f"--archive {good} --quiet"),
        "problems": ("verify", f"--archive {damaged} --quiet"),
        "usage": ("validate", f"--statements {tmp_path / 'no-such-folder'} --quiet"),
        "archive": ("verify", f"--archive {tmp_path / 'not-an-archive'} --quiet"),
    }[case]
    direct = cli(target, *args.split())
    assert direct.returncode == code, direct.stdout + direct.stderr
    if code:
        # One line of the form "statement-archive COMMAND: what is wrong", no class name, no traceback.
        assert f"statement-archive {target}: " in direct.stderr and "Traceback" not in direct.stderr
        assert "Error:" not in direct.stderr and "Problem:" not in direct.stderr
    through_make = make(target, args)
    if code == 0:
        assert through_make.returncode == 0, through_make.stdout + through_make.stderr
    else:
        assert through_make.returncode == 2  # make's own code for a failed recipe
        assert through_make.stderr.rstrip().endswith(f"] Error {code}"), through_make.stderr


def test_a_missing_system_tool_is_exit_3_with_one_message(archives, tmp_path, example_renditions):
    """No pdftotext on PATH: the check stage stops at once, exit 3, one message (not one per PDF)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    env = {**os.environ, "PATH": str(bin_dir)}
    statements = tmp_path / "statements"
    shutil.copytree(PROJECT / "statements", statements)
    # The examples' PDFs are already rendered, their check verdicts left out: every PDF is checked.
    shutil.copytree(example_renditions, tmp_path / "build" / "pdf", ignore=shutil.ignore_patterns("*.check.json"))
    args = ("--statements", str(statements), "--build-dir", str(tmp_path / "build"), "--archive",
            str(tmp_path / "archive"), "--workers", "1", "--quiet")
    rendered = cli("render", *args)
    assert rendered.returncode == 0, rendered.stdout + rendered.stderr
    checked = cli("check", *args, env=env)
    assert checked.returncode == 3, checked.stdout + checked.stderr
    assert checked.stderr.count("pdftotext not found") == 1 and "C001" not in checked.stdout
    assert checked.stderr.startswith("statement-archive check: ")
    # Positive control: the same check with pdftotext on PATH passes (run last: it records verdicts).
    control = cli("check", *args)
    assert control.returncode == 0, control.stdout + control.stderr


def test_a_package_missing_from_the_environment_is_exit_3_without_a_traceback(tmp_path, warm_build, monkeypatch):
    """A checkout updated without `make` may lack a new dependency: say which and what to run."""
    import io

    from pipeline.cli import main

    statements = tmp_path / "statements"
    shutil.copytree(PROJECT / "statements", statements)
    args = ["check", "--statements", str(statements), "--build-dir", str(warm_build), "--workers", "1", "--quiet"]
    monkeypatch.setitem(sys.modules, "pikepdf", None)  # `import pikepdf` now fails as if it were not installed
    out, err = io.StringIO(), io.StringIO()
    assert main(args, out=out, err=err) == 3
    assert err.getvalue().startswith("statement-archive check: the Python package pikepdf is not installed")
    assert "run `make`" in err.getvalue()
    assert "Traceback" not in err.getvalue() + out.getvalue() and "ModuleNotFoundError" not in err.getvalue()
    monkeypatch.undo()  # control: installed, the same check passes
    out, err = io.StringIO(), io.StringIO()
    assert main(args, out=out, err=err) == 0, out.getvalue() + err.getvalue()
