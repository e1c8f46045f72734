"""With CI=true a skipped ci_required test fails; unmarked skips and runs elsewhere are unchanged."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent

SAMPLE = '''
import pytest

@pytest.mark.ci_required
@pytest.mark.skipif(True, reason="needs the shared corpus")
def test_required_but_skipped():
    pass

@pytest.mark.ci_required
def test_required_and_run():
    pass

@pytest.mark.skipif(True, reason="this machine has no fonts of its own")
def test_optional_skip():
    pass

@pytest.mark.ci_required
def test_required_skipped_inside():
    pytest.skip("no root")
'''


def run_sample(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess:
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    ci_required: CI must run it\n")
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PYTHONPATH"] = str(TESTS)
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # the sample needs only the hook under test (-p ci_required)
    if ci is not None:
        env["CI"] = ci
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "ci_required", "-p", "no:cacheprovider",
                           "-rfs", "--rootdir", str(tmp_path), str(tmp_path)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_in_ci_a_required_skip_is_a_failure_naming_the_reason(tmp_path):
    done = run_sample(tmp_path, "true")
    assert done.returncode == 1, done.stdout
    # A skipif skips in setup, so its failure is reported as an error; a skip inside the test as a failure.
    assert "1 failed, 1 passed, 1 skipped, 1 error" in done.stdout
    assert "needs the shared corpus" in done.stdout and "no root" in done.stdout
    assert "ERROR" in done.stdout and "test_required_but_skipped" in done.stdout
    assert "FAILED" in done.stdout and "test_required_skipped_inside" in done.stdout


def test_outside_ci_the_same_tests_just_skip(tmp_path):
    done = run_sample(tmp_path, None)
    assert done.returncode == 0, done.stdout
    assert "1 passed, 3 skipped" in done.stdout
    done = run_sample(tmp_path, "false")
    assert done.returncode == 0 and "1 passed, 3 skipped" in done.stdout
