"""Crash safety: SIGKILL a real build at many points; nothing half-done survives.

Each round starts a `build` in a subprocess and kills its whole process
group with SIGKILL, either after a delay (spread over the length of an
uninterrupted build) or the moment a chosen file appears (a PDF being
written, a bag half-built in .incoming/, a manifest, the final rename…).
A time round whose build had already finished is tried again with half the
delay (twice at most). After each kill: `verify` finds no partial package (at
most a package whose events the kill kept from the log, E011, which the next
build records from the package itself); the next build completes, its
packages are byte-identical to an uninterrupted build's, and the event log
and the packages agree: every package's creation is in the log. Every file
trigger must fire; time kills are spread over the whole build, packaging
included. Event times come from SOURCE_DATE_EPOCH, so packages are comparable.
The file rounds of CI kill builds that render in a pool of processes (the
default); the reference, the time rounds (timed against the reference), the
rounds of `make test` and the two concurrent builds render in the build's own
process (``--workers 1``): the same files written in the same order by the
same process, without two interpreters started per build.
At least 30 kills in CI (40 rounds); set STATEMENT_ARCHIVE_CRASH_ROUNDS for more.

Each round is its own test, so pytest shows the rounds' progress as they
run. `make test` runs a few file-triggered rounds (FAST_TRIGGERS); the others
are marked `long` and run in CI and with `make test-all`, where
test_most_rounds_killed_a_running_build then checks the tally. `make test`
runs pytest-xdist with --dist loadscope, so the module's rounds share the
reference build and run in order on one worker.
"""

from __future__ import annotations

import glob
import hashlib
import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterator

import pytest

from pipeline.cli import main
from statement_factory import write_statement

PROJECT_DIR = Path(__file__).resolve().parents[1]

ROUNDS = int(os.environ.get("STATEMENT_ARCHIVE_CRASH_ROUNDS", "40"))
DATE = "2026-11-28"
EPOCH = "1795856400"  # 2026-11-28T09:00:00Z: the event times packages carry

FILE_TRIGGERS = [
    "build/pdf/.*.partial",
    "build/pdf/alpha.pdf",
    "build/pdf/alpha.render.json",
    "build/pdf/beta.pdf",
    "build/pdf/gamma.render.json",
    "archive/.lock",
    "archive/.incoming/*",
    "archive/.incoming/*/data/index.json",
    "archive/.incoming/*/data/alpha/alpha.pdf",
    "archive/.incoming/*/data/gamma/gamma.json",
    "archive/.incoming/*/manifest-sha256.txt",
    "archive/.incoming/*/manifest-sha512.txt",
    "archive/.incoming/*/bag-info.txt",
    "archive/.incoming/*/premis-events.jsonl",
    "archive/.incoming/*/tagmanifest-sha256.txt",
    "archive/.incoming/*/tagmanifest-sha512.txt",
    "archive/statements-*",
    "archive/events.jsonl",
]
# Rounds in plain `make test`: a PDF being written, and the final rename (CI runs every round).
FAST_TRIGGERS = {"build/pdf/.*.partial", "archive/statements-*"}
TIME_ROUNDS = max(ROUNDS - len(FILE_TRIGGERS), 14)
# Time rounds as fractions of the reference build's length, spread over the
# whole of it, packaging (its last tenth) included; a round whose build had
# already ended is tried again earlier (below), so no kill lands after the end.
PLANS = [("file", pattern) for pattern in FILE_TRIGGERS] + [
    ("time", (k + 1) / (TIME_ROUNDS + 1)) for k in range(TIME_ROUNDS)]
KILLED: dict[int, bool] = {}  # round → did the kill hit a running build (this process's rounds)


def round_params():
    for index, (kind, when) in enumerate(PLANS):
        fast = kind == "file" and when in FAST_TRIGGERS
        label = when if kind == "file" else f"{when:.3f}"
        yield pytest.param(index, kind, when, id=f"{index:02d}-{kind}-{label}",
                           marks=() if fast else (pytest.mark.long,))


@pytest.fixture(scope="module")
def on_disk() -> Iterator[Callable[[str], Path]]:
    """New folders on the disk the project is on, not in RAM, where `make test` puts pytest's
    own (tools/test_tmp.py): a file trigger watches for a ``.partial`` file, which lives well
    under the 0.5 ms between looks on tmpfs, where fsync costs nothing; and these rounds are
    about a real file system's writes and renames under a kill."""
    (PROJECT_DIR / "build").mkdir(exist_ok=True)
    base = Path(tempfile.mkdtemp(prefix="crash-tests-", dir=PROJECT_DIR / "build"))
    yield lambda name: Path(tempfile.mkdtemp(prefix=f"{name}-", dir=base))
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture()
def disk_tmp(on_disk) -> Path:
    return on_disk("case")


@pytest.fixture(scope="module")
def statements(on_disk) -> Path:
    folder = on_disk("crash") / "statements"
    write_statement(folder, "alpha", "A short statement.\n\nWith two paragraphs.\n")
    write_statement(folder, "beta", "外交部发言人表示。\n\nUkrainian: Міністерство.\n", languages=["zh", "uk"])
    write_statement(folder, "gamma", "<p>An HTML fragment</p><ul><li>one</li><li>two</li></ul>", suffix=".html")
    return folder


#: --workers for the builds that render in their own process (see the module's docstring).
ONE_PROCESS = ("--workers", "1")


def build_argv(root: Path, statements: Path, *options: str) -> list[str]:
    return ["build", "--statements", str(statements), "--archive", str(root / "archive"),
            "--build-dir", str(root / "build"), "--date", DATE, "--quiet", *options]


def packages_digest(archive: Path) -> dict[str, str]:
    return {
        p.relative_to(archive).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(archive.glob("statements-*/**/*")) if p.is_file()
    }


def run_in_process(argv: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    code = main(argv, out=out, err=out)
    return code, out.getvalue()


def start_build(root: Path, statements: Path, project_dir: Path, *options: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline", *build_argv(root, statements, *options)],
        cwd=project_dir, start_new_session=True, env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def kill(process: subprocess.Popen) -> bool:
    """SIGKILL the build and its children; True if it was still running."""
    alive = process.poll() is None
    if alive:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    return alive


def wait_for(process: subprocess.Popen, root: Path, pattern: str, timeout: float = 60) -> bool:
    """True once *pattern* exists under *root* (checked until the build ends)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if glob.glob(str(root / pattern)):
            return True
        if process.poll() is not None:
            return bool(glob.glob(str(root / pattern)))
        time.sleep(0.0005)
    return False


def log_agrees_with_packages(archive: Path) -> list[str]:
    """What is wrong between the event log and the packages (nothing, if they agree)."""
    from pipeline.events.log import EVENTS_NAME, read_events
    from pipeline.events.packages import log_package_problems

    wrong = [str(p) for p in log_package_problems(archive)]
    created = {o.value for e in read_events(archive / EVENTS_NAME) if e.event_type == "creation"
               for o in e.objects if o.type == "package"}
    wrong += [f"{p.name}: creation not in the log" for p in archive.glob("statements-*") if p.name not in created]
    return wrong


@pytest.fixture(scope="module")
def reference(statements, on_disk, project_dir):
    """An uninterrupted build: its packages, and how long a build takes."""
    root = on_disk("reference")
    started = time.monotonic()
    process = start_build(root, statements, project_dir, *ONE_PROCESS)
    assert process.wait() == 0
    return packages_digest(root / "archive"), time.monotonic() - started


@pytest.fixture(scope="module")
def rounds_dir(on_disk) -> Path:
    return on_disk("rounds")


@pytest.mark.parametrize("index,kind,when", list(round_params()))
def test_a_killed_build_leaves_nothing_half_done(index, kind, when, statements, reference, rounds_dir,
                                                 project_dir, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    expected, duration = reference
    assert expected, "the reference build wrote no package"
    root = rounds_dir / f"round{index}"
    earlier = rounds_dir / f"round{index - 1}" / "build"
    delay = when * duration if kind == "time" else 0.0
    in_a_pool = kind == "file" and when not in FAST_TRIGGERS
    options = () if in_a_pool else ONE_PROCESS
    for attempt in range(3):
        shutil.rmtree(root, ignore_errors=True)
        if index % 3 == 2 and index >= 3 and earlier.is_dir():
            # Sometimes keep a render cache left by an earlier killed round.
            shutil.copytree(earlier, root / "build")
        process = start_build(root, statements, project_dir, *options)
        if kind == "file":
            assert wait_for(process, root, when), f"round {index}: the trigger {when} never appeared"
        else:
            time.sleep(delay)
        KILLED[index] = kill(process)
        if KILLED[index] or kind == "file":
            break
        # The build had already finished (a later build can run faster than the
        # reference on a machine whose load changes): kill earlier this time.
        delay /= 2
    where = f"round {index} ({kind} {when}, attempt {attempt + 1})"

    if (root / "archive").exists():
        code, out = run_in_process(["verify", "--archive", str(root / "archive")])
        codes = {line.split()[0] for line in out.splitlines() if line[:1] in "BE" and line[1:4].isdigit()}
        # E011: the kill kept the package's events from the log (E009: so verify logged no fixity).
        assert code == 0 or codes <= {"E011", "E009"} and "E011" in codes, f"{where}: verify after the kill failed:\n{out}"
        partial = [p for p in (root / "archive").iterdir() if p.name.startswith("statements-")]
        for package in partial:  # a visible package is always a complete one
            assert packages_digest(root / "archive") == expected, where
    code, out = run_in_process(build_argv(root, statements, *options))
    assert code == 0, f"{where}: the build after the kill failed:\n{out}"
    assert packages_digest(root / "archive") == expected, f"{where}: result differs from an uninterrupted build"
    assert not (root / "archive" / ".incoming").exists(), f"{where}: leftovers in .incoming"
    assert log_agrees_with_packages(root / "archive") == [], where
    code, out = run_in_process(["verify", "--archive", str(root / "archive")])
    assert code == 0, f"{where}: verify after the next build failed:\n{out}"
    shutil.rmtree(root / "archive")


@pytest.mark.long
@pytest.mark.ci_required
def test_most_rounds_killed_a_running_build():
    """The rounds prove something only if their kills hit running builds."""
    if len(KILLED) < len(PLANS):
        pytest.skip(f"only {len(KILLED)} of {len(PLANS)} crash rounds ran in this process "
                    "(make test runs a few; make test-all and CI run all)")
    kills = sum(KILLED.values())
    assert kills >= 30, f"only {kills} of {len(PLANS)} rounds killed a running build"


def test_two_builds_at_once_make_one_package(statements, reference, disk_tmp, project_dir):
    expected, _ = reference
    first = start_build(disk_tmp, statements, project_dir, *ONE_PROCESS)
    second = start_build(disk_tmp, statements, project_dir, *ONE_PROCESS)
    assert first.wait(timeout=300) == 0 and second.wait(timeout=300) == 0
    assert packages_digest(disk_tmp / "archive") == expected  # one v0001, not two versions
    assert log_agrees_with_packages(disk_tmp / "archive") == []
    assert run_in_process(["verify", "--archive", str(disk_tmp / "archive")])[0] == 0


#: While a second version is written, its unchanged files are hard links to the
#: first version's: a kill at each of these leaves no half-shared package.
LINKING_TRIGGERS = [
    "archive/.incoming/*/data/alpha/alpha.pdf",  # linked (alpha is unchanged)
    "archive/.incoming/*/data/beta/beta.json",  # linked
    "archive/.incoming/*/data/gamma/gamma.pdf",  # copied (gamma changed)
    "archive/.incoming/*/manifest-sha512.txt",
]


@pytest.mark.long  # a fault-injection round per trigger
def test_killed_second_version_leaves_no_half_shared_package(statements, reference, disk_tmp, project_dir,
                                                             monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    edited = disk_tmp / "statements"
    shutil.copytree(statements, edited)
    write_statement(edited, "gamma", "<p>An edited HTML fragment</p>", suffix=".html")
    first = disk_tmp / "first"
    assert run_in_process(build_argv(first, statements))[0] == 0
    uninterrupted = disk_tmp / "uninterrupted"
    shutil.copytree(first, uninterrupted, symlinks=True)
    assert run_in_process(build_argv(uninterrupted, edited))[0] == 0
    expected = packages_digest(uninterrupted / "archive")
    assert len({p.split("/")[0] for p in expected}) == 2
    kills = 0
    for index, pattern in enumerate(LINKING_TRIGGERS):
        root = disk_tmp / f"linking{index}"
        shutil.copytree(uninterrupted / "build", root / "build")  # rendered already: the kill lands in packaging
        shutil.copytree(first / "archive", root / "archive", symlinks=True)
        process = subprocess.Popen(
            [sys.executable, "-m", "pipeline", *build_argv(root, edited)], cwd=project_dir,
            start_new_session=True, env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert wait_for(process, root, pattern), f"{pattern}: the trigger never appeared"
        kills += kill(process)
        # verify logs its fixity checks, and the next version names the log's head:
        # check a copy, so the rebuild is comparable to the uninterrupted one
        shutil.copytree(root / "archive", root / "inspected", symlinks=True)
        code, out = run_in_process(["verify", "--archive", str(root / "inspected")])
        codes = {line.split()[0] for line in out.splitlines() if line[:1] in "BE" and line[1:4].isdigit()}
        assert code == 0 or codes == {"E011"}, f"{pattern}: verify after the kill failed:\n{out}"
        visible = packages_digest(root / "archive")
        assert visible in (expected, packages_digest(first / "archive")), f"{pattern}: a partial package"
        assert run_in_process(build_argv(root, edited))[0] == 0
        assert packages_digest(root / "archive") == expected, f"{pattern}: differs from an uninterrupted build"
        assert not (root / "archive" / ".incoming").exists()
        assert log_agrees_with_packages(root / "archive") == []
        v1, v2 = sorted((root / "archive").glob("statements-*"))
        assert os.stat(v1 / "data/alpha/alpha.pdf").st_ino == os.stat(v2 / "data/alpha/alpha.pdf").st_ino
    print(f"linking phase: {kills} of {len(LINKING_TRIGGERS)} kills landed in a running build")
