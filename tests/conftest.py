"""Shared fixtures: project paths, a statement factory, real renders.

No mocks of WeasyPrint or the file system: statements are written to
tmp_path and rendered with the pinned fonts.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ci_required import pytest_runtest_makereport  # noqa: F401  (the hook: CI=true turns ci_required skips into failures)
from statement_factory import write_statement  # noqa: F401  (re-exported for tests)

PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def project_dir() -> Path:
    return PROJECT


@pytest.fixture(scope="session")
def fonts_dir() -> Path:
    fonts = PROJECT / "fonts"
    if not any(fonts.glob("*.tt[fc]")):
        pytest.fail("pinned fonts are not installed: run `make fonts` (the tests render real PDFs)")
    return fonts


@pytest.fixture()
def corpus_copy(tmp_path: Path) -> Path:
    """A temporary copy of the shipped example statements."""
    target = tmp_path / "statements"
    shutil.copytree(PROJECT / "statements", target)
    return target
