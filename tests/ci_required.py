"""With CI=true, a skip of a test CI must run is a failure, not a skip.

Tests that need something only some machines have (the ../shared corpus,
root for tmpfs mounts, the Dask extra) skip elsewhere, with the reason; CI
has all of it, so there a skip means CI silently stopped proving something.
Mark such tests ``@pytest.mark.ci_required``; unmarked skips stay skips.
Loaded by tests/conftest.py (and by tests/test_ci_required.py with ``-p``).
"""

from __future__ import annotations

import os

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not (report.skipped and in_ci() and item.get_closest_marker("ci_required")):
        return
    if hasattr(report, "wasxfail"):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    report.outcome = "failed"
    report.longrepr = f"CI=true and this test is marked ci_required, but it was skipped: {reason}"
