"""verify --workers (the same result from N processes; shared files read once) and
verify --due/--budget (fixity on a schedule, from the event log's dates)."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
from concurrent.futures import Executor, Future

import pytest

from pipeline.archive.package_check import verify_bag
from pipeline.bagit.shared_digests import WORKER_NICENESS, SharedDigests, worker_pool
from pipeline.cli import main
from pipeline.events.entry import EventDraft, package_link
from pipeline.events.log import EVENTS_NAME, append_events
from pipeline.package import package_statements
from pipeline.verify import verify_archive
from pipeline.verify.schedule import parse_period, schedule

from bagutil import AGENT, DATE, EVENT_TIME, flip_byte, make_statement

IDS = ("nl-2026-001", "fr-2026-002", "de-2026-003", "en-2026-004")
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone.utc)
EPOCH = str(int(NOW.timestamp()))


@pytest.fixture
def archive(tmp_path):
    """Three versions, each changing one body: the rest is shared by hard links."""
    src, archive = tmp_path / "statements", tmp_path / "archive"
    current = {i: make_statement(src, i) for i in IDS}
    for version in range(3):
        if version:
            current[IDS[version]] = make_statement(src, IDS[version], body=f"Edit {version}.\n")
        outcome = package_statements(list(current.values()), archive, bagging_date=DATE + dt.timedelta(days=version),
                                     software_agent=AGENT, event_time=EVENT_TIME)
        assert outcome.created
    return archive


def names(archive):
    return sorted(p.name for p in archive.iterdir() if p.name.startswith("statements-"))


def cli(archive, *args, epoch=EPOCH):
    out = io.StringIO()
    old = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = epoch
    try:
        code = main(["verify", "--archive", str(archive), *args], out=out, err=out)
    finally:
        if old is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old
    return code, out.getvalue()


# -- parallel verify ---------------------------------------------------------------

def test_two_workers_give_the_same_result_as_one(archive):
    one, two = verify_archive(archive, workers=1), verify_archive(archive, workers=2)
    assert one.ok and one == two
    flip_byte(archive / names(archive)[0] / "data" / IDS[3] / f"{IDS[3]}.pdf", offset=2)  # shared by all three
    one, two = verify_archive(archive, workers=1), verify_archive(archive, workers=2)
    assert not one.ok and one == two
    assert sorted(p.name for p in one.packages if not p.ok) == names(archive)  # one file, three names
    lines = lambda workers: cli(archive, "--workers", str(workers))[1]  # noqa: E731
    assert lines(1) == lines(2) and "B004" in lines(1)


def test_two_workers_report_a_flipped_byte_a_missing_and_an_extra_file_as_one_does(archive):
    runs = lambda *args: {w: cli(archive, "--workers", str(w), *args) for w in (1, 2)}  # noqa: E731
    intact, intact_json = runs(), runs("--json")
    assert intact[1] == intact[2] and intact[1][0] == 0  # control: nothing to report, with either
    assert intact_json[1] == intact_json[2] and '"problems": []' in intact_json[1][1]
    first, middle, newest = names(archive)
    flip_byte(archive / first / "data" / IDS[0] / f"{IDS[0]}.pdf", offset=5)  # shared by all three versions
    (archive / newest / "data" / IDS[2] / f"{IDS[2]}.md").unlink()  # the newest's own body (edited in v3)
    (archive / middle / "data" / IDS[1] / "extra.txt").write_bytes(b"not listed anywhere\n")
    one, two = verify_archive(archive, workers=1), verify_archive(archive, workers=2)
    assert one == two
    codes = {p.name: sorted({q.code for q in p.problems}) for p in one.packages}
    assert codes[first] == ["B004"] and "B003" in codes[middle] and "B002" in codes[newest]
    assert "B004" in codes[middle] and "B004" in codes[newest]  # the flipped file counts for every version
    damaged, damaged_json = runs(), runs("--json")
    assert damaged[1] == damaged[2] and damaged[1][0] == 1
    assert damaged_json[1] == damaged_json[2] and damaged_json[1][0] == 1
    for code in ("B002", "B003", "B004"):
        assert code in damaged[1][1] and f'"code": "{code}"' in damaged_json[1][1]


def test_hashing_workers_run_below_the_process_that_checks():
    # The checking process is the one every result waits for: at equal priority three processes
    # on two cores would each get two thirds of a core (yield_to_parent).
    with worker_pool(2) as pool:
        theirs = pool.submit(os.getpriority, os.PRIO_PROCESS, 0).result()
    assert theirs == os.getpriority(os.PRIO_PROCESS, 0) + min(WORKER_NICENESS, 19 - os.getpriority(os.PRIO_PROCESS, 0))
    assert WORKER_NICENESS > 0


def test_two_workers_report_the_event_log_as_one_does(archive):
    # With two workers the log is checked in a process of its own while they hash; with one, after the packages.
    intact = {w: cli(archive, "--workers", str(w), "--json") for w in (1, 2)}
    assert [code for code, _ in intact.values()] == [0, 0]  # control: an intact log, nothing to report
    assert "E0" not in intact[1][1] and "E0" not in intact[2][1]
    log = archive / EVENTS_NAME
    lines = log.read_bytes().split(b"\n")
    assert b'"eventOutcome":"success"' in lines[0]
    lines[0] = lines[0].replace(b'"eventOutcome":"success"', b'"eventOutcome":"failure"', 1)  # still JSON
    log.write_bytes(b"\n".join(lines))
    damaged = {w: cli(archive, "--workers", str(w)) for w in (1, 2)}
    assert damaged[1] == damaged[2]
    assert damaged[1][0] == 1 and "E004" in damaged[1][1] and "E009" in damaged[1][1]
    reports = {w: cli(archive, "--workers", str(w), "--json")[1] for w in (1, 2)}
    problems = {w: [stage["problems"] for stage in json.loads(out[out.index("{"):])["stages"]]
                for w, out in reports.items()}
    assert problems[1] == problems[2]
    assert [p["code"] for stage in problems[1] for p in stage] == ["E004", "E005", "E009"]  # altered, chain broken


def test_two_workers_over_many_packages_give_the_same_result_as_one(archive, tmp_path):
    # Four packages with two workers: hashed first, then checked in worker processes
    # (three, above, are checked in this process while the workers hash).
    bodies = {IDS[0]: "Edit 3.\n", IDS[1]: "Edit 1.\n", IDS[2]: "Edit 2.\n"}
    current = [make_statement(tmp_path / "statements", i, **({"body": bodies[i]} if i in bodies else {})) for i in IDS]
    package_statements(current, archive, bagging_date=DATE + dt.timedelta(days=3), software_agent=AGENT,
                       event_time=EVENT_TIME)
    assert len(names(archive)) == 4
    one, two = verify_archive(archive, workers=1), verify_archive(archive, workers=2)
    assert one.ok and one == two
    flip_byte(archive / names(archive)[0] / "data" / IDS[3] / f"{IDS[3]}.pdf", offset=2)  # shared by all four
    one, two = verify_archive(archive, workers=1), verify_archive(archive, workers=2)
    assert not one.ok and one == two
    assert sorted(p.name for p in one.packages if not p.ok) == names(archive)


def test_hashing_workers_read_each_file_once(archive):
    with worker_pool(2) as pool:
        shared = SharedDigests(pool)
        results = [verify_bag(archive / n, mode="full", package_rules=True, shared=shared) for n in names(archive)]
    alone = SharedDigests()
    assert results == [verify_bag(archive / n, mode="full", package_rules=True, shared=alone) for n in names(archive)]
    assert all(r.ok for r in results) and shared.files_read == alone.files_read > 0


def test_a_shared_file_is_read_once_and_counts_for_every_version(archive):
    shared = SharedDigests()
    results = [verify_bag(archive / n, mode="full", package_rules=True, shared=shared) for n in names(archive)]
    assert all(r.ok for r in results)
    listed = sum(r.files_checked for r in results)
    distinct = {(os.stat(p).st_dev, os.stat(p).st_ino)
                for n in names(archive) for p in (archive / n / "data").rglob("*") if p.is_file()}
    tag_files = sum(1 for n in names(archive) for p in (archive / n).iterdir()
                    if p.is_file() and not p.name.startswith("tagmanifest-"))  # those are listed nowhere
    assert listed == 3 * 13  # 4 statements × 3 files + index, in each version
    assert len(distinct) < listed  # positive control: there is something to share
    assert shared.files_read == len(distinct) + tag_files


def test_a_file_rewritten_after_it_was_read_is_read_again(archive):
    first, second = names(archive)[:2]
    path = f"data/{IDS[3]}/{IDS[3]}.pdf"
    shared = SharedDigests()
    before = shared.hash_in_bag(archive / first, path, ["sha256"])
    flip_byte(archive / first / path)
    stamp = os.stat(archive / first / path).st_mtime_ns
    os.utime(archive / second / path, ns=(stamp, stamp + 1))  # a tick later, whatever the clock's grain
    after = shared.hash_in_bag(archive / second, path, ["sha256"])
    assert after.digests != before.digests and shared.files_read == 2


class HashHere(Executor):
    """A hashing pool that runs each task in this process as it is handed over,
    with *before* and *after* run around the batch that holds *path*: the
    moment between listing a file and a worker process reading it."""

    def __init__(self, path, before, after=lambda: None):
        self.path, self.before, self.after = str(path), before, after

    def submit(self, fn, /, *args, **kwargs):
        # a batch: (its folder, paths in that folder, algorithms)
        ours = len(args) == 3 and isinstance(args[1], tuple) and any(
            os.path.join(args[0], path) == self.path for path in args[1])
        if ours:
            self.before()
        done = Future()
        done.set_result(fn(*args, **kwargs))
        if ours:
            self.after()
        return done


def swap_in(target, data):
    """Put a new file (another inode) under *target*'s name, holding *data*."""
    stand_in = target.with_name("stand-in.tmp")
    stand_in.write_bytes(data)
    os.replace(stand_in, target)


@pytest.mark.parametrize("change", ["none", "swapped", "rewritten", "swapped and put back",
                                    "rewritten and put back"])
def test_a_file_changed_between_listing_and_hashing_is_judged_as_it_is(archive, change):
    # The hashing process's digest counts for a name only if it read the file object
    # listed under that name; otherwise the name is read again where it is checked.
    package = archive / names(archive)[-1]
    path = f"data/{IDS[3]}/{IDS[3]}.pdf"  # shared by all three versions (one inode)
    target, kept = package / path, package / "kept.tmp"
    damaged = bytearray(target.read_bytes())
    damaged[2] ^= 0x01
    before, after = {
        "none": (lambda: None, lambda: None),
        "swapped": (lambda: swap_in(target, bytes(damaged)), lambda: None),
        "rewritten": (lambda: flip_byte(target, offset=2), lambda: None),
        "swapped and put back": (lambda: (os.link(target, kept), swap_in(target, bytes(damaged))),
                                 lambda: os.replace(kept, target)),
        # the same inode throughout: only size, mtime or ctime tell the worker's file from the one listed
        "rewritten and put back": (lambda: flip_byte(target, offset=2), lambda: flip_byte(target, offset=2)),
    }[change]
    shared = SharedDigests(HashHere(target, before, after))
    result = verify_bag(package, mode="full", package_rules=True, shared=shared)
    alone = SharedDigests()
    after_all = verify_bag(package, mode="full", package_rules=True, shared=alone)
    assert result == after_all  # as one process reading each file where it is checked finds it
    mismatch = [p for p in result.problems if p.code == "B004" and p.file == f"{package.name}/{path}"]
    if change in ("swapped", "rewritten"):
        assert mismatch and not result.ok
    else:
        assert result.ok and not mismatch
    # read again here only when the file hashed is not the one under the name at the
    # check (a file swapped or rewritten before hashing is, and is not read twice)
    assert shared.files_read == alone.files_read + (change in ("swapped and put back", "rewritten and put back"))


# -- fixity on a schedule ----------------------------------------------------------

def log_checks(archive, checks):
    append_events(archive / EVENTS_NAME, [
        EventDraft("fixity check", when, outcome, "test", (package_link(name),)) for name, when, outcome in checks])


def test_period_syntax():
    assert parse_period("90d") == dt.timedelta(days=90) and parse_period("10m") == dt.timedelta(minutes=10)
    for bad in ("90", "d", "0d", "1y", "-1d"):
        with pytest.raises(ValueError):
            parse_period(bad)


def test_due_is_never_checked_first_then_oldest_and_failures_stay_due(archive):
    v1, v2, v3 = names(archive)
    log_checks(archive, [(v1, NOW - dt.timedelta(days=200), "success"),
                         (v2, NOW - dt.timedelta(days=10), "success"),
                         (v1, NOW - dt.timedelta(days=100), "success")])
    plan = schedule(archive, names(archive), NOW, dt.timedelta(days=90))
    assert plan.due == (v3, v1)
    assert schedule(archive, names(archive), NOW, dt.timedelta(days=101)).due == (v3,)
    log_checks(archive, [(v2, NOW - dt.timedelta(days=1), "failure")])  # newest check failed: due now
    assert schedule(archive, names(archive), NOW, dt.timedelta(days=90)).due == (v2, v3, v1)
    log_checks(archive, [(v2, NOW, "success")])  # repaired and checked again
    assert schedule(archive, names(archive), NOW, dt.timedelta(days=90)).due == (v3, v1)


def test_a_fixity_check_spelled_with_json_escapes_still_counts(archive):
    """The schedule parses only lines that can be a fixity check: one whose
    eventType is written with an escape (not canonical, which verify reports)
    is read as read_events reads it."""
    v1, v2, v3 = names(archive)
    period = dt.timedelta(days=90)
    assert schedule(archive, names(archive), NOW, period).due == (v1, v2, v3)  # control: never checked
    log_checks(archive, [(v1, NOW, "success")])
    log = archive / EVENTS_NAME
    *older, last = log.read_bytes().splitlines(keepends=True)
    escaped = last.replace(b'"fixity check"', b'"fixity\\u0020check"')
    assert escaped != last and json.loads(escaped) == json.loads(last)
    log.write_bytes(b"".join(older) + escaped)
    assert schedule(archive, names(archive), NOW, period).due == (v2, v3)


def test_verify_due_checks_only_what_is_due_and_logs_it(archive):
    v1, v2, v3 = names(archive)
    log_checks(archive, [(v1, NOW - dt.timedelta(days=120), "success"),
                         (v2, NOW - dt.timedelta(days=30), "success")])
    code, out = cli(archive, "--due", "90d")
    assert code == 0, out
    checked = [line.split()[1] for line in out.splitlines() if line.startswith("OK ")]
    assert checked == [v1, v3]  # v2 was checked 30 days ago
    assert "2 of 2 package(s) due" in out and "0 of 3 package(s) (0% of the archive) still overdue" in out
    code, out = cli(archive, "--due", "90d")  # just checked and logged: nothing due now
    assert code == 0 and "0 of 0 package(s) due" in out and not [l for l in out.splitlines() if l.startswith("OK ")]
    later = str(int((NOW + dt.timedelta(days=61)).timestamp()))
    code, out = cli(archive, "--due", "90d", epoch=later)  # v2's check is now 91 days old
    assert [line.split()[1] for line in out.splitlines() if line.startswith("OK ")] == [v2]
    code, out = cli(archive)  # positive control: no options, every package
    assert [line.split()[1] for line in out.splitlines() if line.startswith("OK ")] == [v1, v2, v3]


def test_a_spent_budget_stops_after_the_first_package_and_says_what_is_overdue(archive):
    v1, v2, v3 = names(archive)
    plan = schedule(archive, names(archive), NOW, dt.timedelta(days=90))
    assert plan.due == (v1, v2, v3)  # never checked: by name
    result = verify_archive(archive, only=plan.due, keep_going=lambda: False)
    assert [p.name for p in result.packages] == [v1] and result.ok
    assert plan.overdue_after([v1], []) == (v2, v3)
    code, out = cli(archive, "--due", "90d", "--budget", "10m")  # a budget not spent: all three
    assert code == 0 and "3 of 3 package(s) due" in out and "0 of 3" in out
    code, out = cli(archive, "--due", "1s", "--json", epoch=str(int(NOW.timestamp()) + 2))
    report = json.loads(out[out.index("{"):])
    assert report["due"]["checked"] == [v1, v2, v3] and report["due"]["still_overdue"] == []


def test_a_damaged_package_checked_when_due_stays_overdue(archive):
    v1, v2, v3 = names(archive)
    flip_byte(archive / v3 / "data" / IDS[2] / f"{IDS[2]}.md")  # changed in v3: not shared
    code, out = cli(archive, "--due", "90d")
    assert code == 1 and "1 of 3 package(s) (33% of the archive) still overdue" in out
    assert schedule(archive, names(archive), NOW, dt.timedelta(days=90)).due == (v3,)


@pytest.mark.parametrize("args", [["--budget", "10m"], ["--due", "90d", "--fast"], ["--due", "soon"]])
def test_usage_problems(archive, args):
    assert cli(archive, *args)[0] == 2


def test_a_spent_budget_with_two_workers_stops_after_one_round(archive):
    v1, v2, v3 = names(archive)
    result = verify_archive(archive, only=(v3, v1, v2), keep_going=lambda: False, workers=2)
    assert [p.name for p in result.packages] == [v1, v3] and result.ok  # one package per worker
    everything = verify_archive(archive, only=(v3, v1, v2), keep_going=lambda: True, workers=2)
    assert everything == verify_archive(archive)  # positive control: a budget not spent checks all


def test_verify_hashes_with_one_worker_per_core_unless_told(archive, monkeypatch):
    import pipeline.verify

    asked = []
    real = pipeline.verify.verify_archive

    def recording(*args, **kwargs):
        asked.append(kwargs["workers"])
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline.verify, "verify_archive", recording)
    monkeypatch.setattr(os, "cpu_count", lambda: 3)
    by_default = cli(archive, "--json")
    assert by_default[0] == 0 and asked == [3]  # the default, as the other stages: one per core
    alone = cli(archive, "--workers", "1", "--json")
    assert alone[0] == 0 and asked == [3, 1]  # control: as told
    assert by_default == alone  # the same report, whatever the number
    monkeypatch.setattr(os, "cpu_count", lambda: None)  # cores unknown: one
    assert cli(archive)[0] == 0 and asked == [3, 1, 1]
