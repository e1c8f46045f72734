"""Shared fixtures: project paths, a statement factory, real renders.

No mocks of WeasyPrint or the file system: statements are written to
tmp_path and rendered with the pinned fonts.
"""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest

from ci_required import pytest_runtest_makereport  # noqa: F401  (the hook: CI=true turns ci_required skips into failures)
from statement_factory import write_statement  # noqa: F401  (re-exported for tests)
from timings import pytest_runtest_protocol  # noqa: F401  (the hook: TEST_TIMES=FOLDER records each test's times)

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
    """The shipped examples rendered and checked once per test run: their build folder's store.

    Rendering the seven examples costs several seconds a time; tests about
    packaging, versions, verify, the catalogue or a second executor start
    from a copy of this (``warm_build``), exactly what a second `make` finds.
    Tests about rendering itself start cold. Under xdist the workers share
    one render, in the run's common temporary folder (a fresh one each run):
    the first to ask renders under a lock, the others wait and read it.
    Every user copies the store; none writes to it. Rendered in one process
    (``--workers 1``): test_parallel and test_dask compare their pools' and
    cluster's renders with these bytes as the one-process render.
    """
    if not os.environ.get("PYTEST_XDIST_WORKER"):  # one process (also with -p no:xdist)
        return render_examples(tmp_path_factory.mktemp("example-renditions"))
    from pipeline.core.files import file_lock

    shared = tmp_path_factory.getbasetemp().parent
    root, done = shared / "example-renditions", shared / "example-renditions.done"
    with file_lock(shared / "example-renditions.lock"):
        if not done.exists():
            shutil.rmtree(root, ignore_errors=True)  # a worker that failed here left a part
            render_examples(root)
            done.touch()
    return root / "build" / "pdf"


def render_examples(root: Path) -> Path:
    from pipeline.cli import main

    root.mkdir(exist_ok=True)
    shutil.copytree(PROJECT / "statements", root / "statements")
    out, err = io.StringIO(), io.StringIO()
    code = main(["build", "--statements", str(root / "statements"), "--archive", str(root / "archive"),
                 "--build-dir", str(root / "build"), "--date", "2026-01-01", "--workers", "1", "--quiet"],
                out=out, err=err)
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


#: The fast set's modules, longest first (`TEST_TIMES=… make test`, then bench/test_times.py), for
#: `make test`'s `--no-loadscope-reorder`: pytest-xdist (--dist loadscope) then hands out whole modules
#: in this order, so the short ones fill the end and neither worker waits long for the other's last
#: module. (Its default order, most tests first, left the 2–3-test modules, the longest, for last.)
#: xdist's first hand-out gives one worker the 1st and 3rd modules: the Dask cluster's and the
#: crash rounds' modules then run one after the other on that worker, never side by side.
#: CI keeps xdist's default order (no reordering here), with its long rounds and the Dask worker kill.
LONGEST_FIRST = (
    "test_dask.py", "test_hostile.py", "test_crash_safety.py", "test_reproduce.py", "test_catalogue_browser.py",
    "test_parallel.py", "test_end_to_end.py", "test_exit_codes.py", "test_pdfbox_preflight.py", "test_import.py",
    "test_archival_pdf.py", "test_render_labels.py", "test_render_scripts.py", "test_render.py",
    "test_disk_faults.py", "test_rendition_date.py", "test_seal.py", "test_check_logical_text.py",
    "test_submit_webdav.py", "test_seal_renewal.py", "test_validate.py", "test_submit_s3_faults.py",
    "test_verify_properties.py", "test_progress.py", "test_render_fingerprint.py", "test_render_bidi.py",
    "test_import_batch.py", "test_catalogue.py", "test_archive_rest.py",
)


def pytest_collection_modifyitems(config, items):
    if config.getoption("loadscopereorder", default=True):  # xdist's own order (CI), or no xdist
        return
    rank = {name: place for place, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(LONGEST_FIRST)))  # stable: others keep theirs
