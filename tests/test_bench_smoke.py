"""The benchmark runs end to end on tiny corpora (CI may run this; timings are not asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_bench_smoke_runs_and_reports_every_measure(tmp_path):
    done = subprocess.run(
        [sys.executable, str(PROJECT / "bench" / "run.py"), "--smoke", "--work", str(tmp_path)],
        capture_output=True, text=True, timeout=300, cwd=PROJECT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for measure in ("raw WeasyPrint", "`workers=2`", "no-op build", "peak RSS", "sha256sum", "libharfbuzz-subset"):
        assert measure in done.stdout, measure


@pytest.mark.slow
def test_versions_bench_smoke_runs_and_reports_every_measure(tmp_path):
    done = subprocess.run(
        [sys.executable, str(PROJECT / "bench" / "versions.py"), "--smoke"],
        capture_output=True, text=True, timeout=300, cwd=PROJECT / "bench",
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for measure in ("copies (`--no-share`)", "sharing unchanged files", "`verify --workers 2`", "`verify --due 90d`",
                    "one package of 20 statements", "`sha256sum` + `sha512sum`", "peak RSS of `python -m pipeline verify",
                    "hashing alone, 2 processes", "as a share of it"):
        assert measure in done.stdout, measure
