"""Shared fixtures: project paths, a statement factory, real renders.

No mocks of WeasyPrint or the file system: statements are written to
tmp_path and rendered with the pinned fonts.
"""

from __future__ import annotations

import io
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


@pytest.fixture(scope="session")
def example_renditions(tmp_path_factory, fonts_dir) -> Path:
    """The shipped examples rendered and checked once per test process: their build folder's store.

    Rendering the seven examples costs several seconds a time; tests about
    packaging, versions, verify, the catalogue or a second executor start
    from a copy of this (``warm_build``), exactly what a second `make` finds.
    Tests about rendering itself start cold.
    """
    from pipeline.cli import main

    root = tmp_path_factory.mktemp("example-renditions")
    shutil.copytree(PROJECT / "statements", root / "statements")
    out, err = io.StringIO(), io.StringIO()
    code = main(["build", "--statements", str(root / "statements"), "--archive", str(root / "archive"),
                 "--build-dir", str(root / "build"), "--date", "2026-01-01", "--quiet"], out=out, err=err)
    assert code == 0, out.getvalue() + err.getvalue()
    return root / "build" / "pdf"


@pytest.fixture()
def warm_build(example_renditions, tmp_path) -> Path:
    """A build folder of this test's own that already holds the examples' PDFs and check verdicts.

    Only the store is copied (PDFs, their render keys, the check verdicts),
    which the pipeline trusts only where a key and the bytes' digest match,
    so a test that changes a statement still gets that statement rendered.
    """
    build = tmp_path / "build"
    build.mkdir()
    shutil.copytree(example_renditions, build / "pdf")
    return build
