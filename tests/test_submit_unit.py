"""The submit stage with an in-memory target: fast checks of retries, the
ledger, resuming, idempotency and refusal. Each target is also proven against
a real server in test_submit_file.py, test_submit_webdav.py and test_submit_s3.py."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import random
from pathlib import Path
from typing import Mapping

import pytest

from bagutil import flip_byte
from pipeline.core.errors import ArchiveError, InputError, StageError
from pipeline.submit import (
    Confirmation, Digest, Receipt, RetryPolicy, SubmitOptions, TargetError, Transient,
    newest_verified_package, open_ledger, plan_only, submit_package,
)
from pipeline.submit.credentials import find_credentials
from pipeline.submit.retry import Tries, with_retries
from pipeline.submit.targets.s3 import encode_metadata
from submit_servers import make_archive

T0 = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.timezone.utc)


def clock() -> dt.datetime:
    return T0


class MemoryTarget:
    """A target in a dict. ``script`` lists what the next puts do:
    'transient', '4xx', 'corrupt' or 'crash' (KeyboardInterrupt, as when killed)."""

    url = "memory://records/"

    def __init__(self, script: list[str] | None = None):
        self.store: dict[str, bytes] = {}
        self.properties: dict[str, Mapping[str, str]] = {}
        self.script = list(script or [])
        self.calls: list[str] = []

    def location(self, name: str) -> str:
        return self.url + name

    def _next(self) -> str:
        return self.script.pop(0) if self.script else "ok"

    def put(self, name: str, data: bytes, properties: Mapping[str, str]) -> Receipt:
        self.calls.append(f"put {name}")
        step = self._next()
        if step == "transient":
            raise Transient("connection reset")
        if step == "4xx":
            raise TargetError("PUT: 403 Forbidden: quota exceeded", 403)
        if step == "crash":
            raise KeyboardInterrupt
        self.store[name] = data[:-1] + b"X" if step == "corrupt" else data
        self.properties[name] = properties
        return Receipt(self.location(name), "201 Created")

    def confirm(self, name: str, expected: Digest) -> Confirmation:
        self.calls.append(f"confirm {name}")
        found = hashlib.sha256(self.store.get(name, b"")).hexdigest()
        return Confirmation(found == expected.sha256, self.location(name), f"sha256 {found}")


def options(sleeps: list[float] | None = None, attempts: int = 3) -> SubmitOptions:
    return SubmitOptions(agent="statement-archive/test", retry=RetryPolicy(attempts, 0.01, 0.05),
                         sleep=(sleeps.append if sleeps is not None else lambda s: None),
                         rng=random.Random(7))


def submit(archive: Path, target: MemoryTarget, ledger: Path, opts: SubmitOptions | None = None):
    with open_ledger(ledger, exclusive=True) as db:
        return submit_package(newest_verified_package(archive), target, db, clock=clock,
                              options=opts or options())


def codes(outcome) -> list[str]:
    return sorted(p.code for p in outcome.problems)


# -- retry -------------------------------------------------------------------------

def test_backoff_is_exponential_jittered_and_bounded():
    sleeps: list[float] = []
    tries = Tries()

    def always_down() -> None:
        raise Transient("down")

    with pytest.raises(Transient):
        with_retries(always_down, RetryPolicy(4, base=1.0, cap=3.0), tries=tries,
                     sleep=sleeps.append, rng=random.Random(1))
    assert tries.count == 4 and len(sleeps) == 3
    assert [s <= bound for s, bound in zip(sleeps, (1.0, 2.0, 3.0))] == [True] * 3
    assert len(set(sleeps)) == 3  # jitter: not the same delay each time


def test_a_refusal_is_not_retried():
    tries = Tries()

    def refused() -> None:
        raise TargetError("403 Forbidden", 403)

    with pytest.raises(TargetError):
        with_retries(refused, RetryPolicy(5), tries=tries, sleep=lambda s: None)
    assert tries.count == 1


# -- the stage -------------------------------------------------------------------

def test_submits_every_statement_with_its_metadata_then_nothing_the_second_time(tmp_path):
    archive = make_archive(tmp_path)
    target = MemoryTarget()
    first = submit(archive, target, tmp_path / "ledger.sqlite")
    assert [i.status for i in first.items] == ["confirmed", "confirmed"] and not first.problems
    assert sorted(target.store) == ["alpha/v0001/alpha.metadata.json", "alpha/v0001/alpha.pdf",
                                    "beta/v0001/beta.metadata.json", "beta/v0001/beta.pdf"]
    assert target.calls[:2] == ["put alpha/v0001/alpha.metadata.json",
                                "confirm alpha/v0001/alpha.metadata.json"]  # metadata before PDF
    assert target.properties["alpha/v0001/alpha.pdf"]["sha256"] == first.items[0].pdf_sha256

    target.calls.clear()
    second = submit(archive, target, tmp_path / "ledger.sqlite")
    assert [i.status for i in second.items] == ["already confirmed"] * 2 and target.calls == []
    with open_ledger(tmp_path / "ledger.sqlite") as db:
        rows = db.attempts()
    assert [(r.identifier, r.status, r.started) for r in rows] == [
        ("alpha", "confirmed", "2026-12-01T09:30:00.000000Z"),
        ("beta", "confirmed", "2026-12-01T09:30:00.000000Z")]
    assert all(r.event_id and r.location.startswith("memory://") for r in rows)


def test_a_new_version_goes_to_a_new_name_and_unchanged_statements_are_not_resent(tmp_path):
    archive = make_archive(tmp_path)
    target = MemoryTarget()
    submit(archive, target, tmp_path / "l.sqlite")
    # v0002 and v0003 change both (a statement left out would have to be withdrawn: P004)
    make_archive(tmp_path, ("alpha", "beta"), salt="-changed", archive=archive, date=dt.date(2026, 11, 29))
    make_archive(tmp_path, ("alpha", "beta"), salt="-v3", archive=archive, date=dt.date(2026, 11, 30))
    outcome = submit(archive, target, tmp_path / "l.sqlite")
    assert outcome.package.endswith("-v0003")
    assert {"alpha/v0001/alpha.pdf", "alpha/v0003/alpha.pdf", "beta/v0003/beta.pdf"} <= set(target.store)
    assert target.store["alpha/v0001/alpha.pdf"] != target.store["alpha/v0003/alpha.pdf"]


def test_transient_failures_are_retried_then_confirmed(tmp_path):
    archive = make_archive(tmp_path, ("alpha",))
    sleeps: list[float] = []
    outcome = submit(archive, MemoryTarget(["transient", "transient"]), tmp_path / "l.sqlite",
                     options(sleeps))
    # 2 failed puts, then put and confirm of the metadata and of the PDF
    assert outcome.items[0].status == "confirmed" and outcome.items[0].tries == 6
    assert len(sleeps) == 2


def test_a_target_that_stays_down_fails_once_and_the_rest_is_not_sent(tmp_path):
    archive = make_archive(tmp_path, ("alpha", "beta", "gamma"))
    target = MemoryTarget(["transient"] * 3)
    outcome = submit(archive, target, tmp_path / "l.sqlite", options(attempts=3))
    assert [i.status for i in outcome.items] == ["failed", "not sent", "not sent"]
    assert codes(outcome) == ["S004", "S004", "S004"]
    assert len(target.calls) == 3  # bounded: one item's tries, then no more


def test_refusal_is_reported_and_not_retried(tmp_path):
    archive = make_archive(tmp_path, ("alpha",))
    target = MemoryTarget(["4xx"])
    outcome = submit(archive, target, tmp_path / "l.sqlite")
    assert codes(outcome) == ["S003"] and len(target.calls) == 1
    assert "quota exceeded" in outcome.problems[0].message


def test_a_corrupted_copy_is_failed_not_confirmed_and_sent_again_next_time(tmp_path):
    archive = make_archive(tmp_path, ("alpha",))
    target = MemoryTarget(["ok", "corrupt"])  # the metadata arrives intact, the PDF does not
    outcome = submit(archive, target, tmp_path / "l.sqlite")
    assert codes(outcome) == ["S005"] and outcome.items[0].status == "failed"
    again = submit(archive, target, tmp_path / "l.sqlite")
    assert again.items[0].status == "confirmed"
    with open_ledger(tmp_path / "l.sqlite") as db:
        assert [r.status for r in db.attempts()] == ["failed", "confirmed"]


def test_an_interrupted_submit_leaves_pending_and_resumes(tmp_path):
    archive = make_archive(tmp_path, ("alpha", "beta"))
    target = MemoryTarget(["ok", "crash"])  # killed while sending alpha's PDF
    with pytest.raises(KeyboardInterrupt):
        submit(archive, target, tmp_path / "l.sqlite")
    with open_ledger(tmp_path / "l.sqlite") as db:
        assert [(r.identifier, r.status) for r in db.attempts()] == [("alpha", "pending")]
    outcome = submit(archive, target, tmp_path / "l.sqlite")
    assert [i.status for i in outcome.items] == ["confirmed", "confirmed"]
    assert codes(outcome) == ["S007"]
    with open_ledger(tmp_path / "l.sqlite") as db:
        rows = db.attempts()
    assert [(r.identifier, r.status) for r in rows] == [
        ("alpha", "failed"), ("alpha", "confirmed"), ("beta", "confirmed")]
    assert "interrupted" in rows[0].response


def test_dry_run_sends_nothing_and_records_nothing(tmp_path):
    archive = make_archive(tmp_path, ("alpha",))
    target = MemoryTarget()
    outcome = plan_only(newest_verified_package(archive), target, None)
    assert [i.status for i in outcome.items] == ["would send"] and target.calls == []
    assert outcome.items[0].location == "memory://records/alpha/v0001/alpha.pdf"


def test_newest_package_that_fails_verification_is_refused_naming_it(tmp_path):
    archive = make_archive(tmp_path, ("alpha",))
    package = next(archive.glob("statements-*"))
    flip_byte(package / "data" / "alpha" / "alpha.pdf", 3)
    with pytest.raises(ArchiveError, match=rf"{package.name} fails verification.*B004"):
        newest_verified_package(archive)


def test_no_package_and_no_archive_are_archive_errors(tmp_path):
    with pytest.raises(ArchiveError, match="not a folder"):
        newest_verified_package(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ArchiveError, match="no statements package"):
        newest_verified_package(tmp_path / "empty")


def test_two_submits_at_once_are_refused(tmp_path):
    with open_ledger(tmp_path / "l.sqlite", exclusive=True):
        with pytest.raises(StageError, match="another submit is running"):
            with open_ledger(tmp_path / "l.sqlite", exclusive=True):
                pass


# -- credentials and metadata ------------------------------------------------------

def test_credentials_from_environment_then_netrc(tmp_path):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine dav.example login clerk password from-netrc\n")
    os.chmod(netrc, 0o600)
    env = {"STATEMENT_ARCHIVE_USER": "officer", "STATEMENT_ARCHIVE_PASSWORD": "from-env"}
    assert find_credentials("dav.example", env, netrc).password == "from-env"
    found = find_credentials("dav.example", {}, netrc)
    assert (found.user, found.password) == ("clerk", "from-netrc")
    assert "from-netrc" not in repr(found)
    assert find_credentials("other.example", {"NETRC": str(netrc)}) is None
    os.chmod(netrc, 0o644)
    with pytest.raises(InputError, match="chmod 600"):
        find_credentials("dav.example", {}, netrc)


def test_malformed_netrc_is_reported_without_quoting_it(tmp_path):
    netrc = tmp_path / "netrc"
    # netrc's own message would quote the stray token, here the tail of a password with a space
    netrc.write_text("machine dav.example login clerk password pass secret-token\n")
    os.chmod(netrc, 0o600)
    with pytest.raises(InputError) as caught:
        find_credentials("dav.example", {}, netrc)
    assert "secret-token" not in str(caught.value)


def test_object_metadata_is_ascii_and_reversible():
    from urllib.parse import unquote

    values = {"title": "Заявление 100% “quoted”\nnext", "identifier": "nl-2019"}
    encoded = encode_metadata(values)
    assert all(v.isascii() and " " not in v for v in encoded.values())
    assert encoded["identifier"] == "nl-2019"
    assert {k: unquote(v) for k, v in encoded.items()} == values


def test_connection_failures_are_said_without_class_names():
    import http.client
    import socket

    from pipeline.submit.targets import connection_failure

    refused = ConnectionRefusedError(111, "Connection refused")
    wrapped = RuntimeError("could not connect")  # as botocore wraps urllib3's error, which wraps the OS's
    wrapped.__cause__ = OSError("new connection failed")
    wrapped.__cause__.__context__ = refused
    said = {
        "refused": connection_failure(refused),
        "wrapped": connection_failure(wrapped),
        "closed": connection_failure(http.client.RemoteDisconnected("Remote end closed connection")),
        "lookup": connection_failure(socket.gaierror(-2, "Name or service not known")),
        "other": connection_failure(OSError(101, "Network is unreachable")),
        "nothing": connection_failure(ValueError("?")),
    }
    assert said["refused"].startswith("the connection was refused") and said["wrapped"] == said["refused"]
    assert said["closed"].startswith("the connection was closed by the server")
    assert "could not be looked up (Name or service not known)" in said["lookup"]
    assert said["other"].startswith("the connection failed (Network is unreachable)")
    assert said["nothing"].startswith("the connection failed;")
    for words in said.values():
        assert words.endswith("then run submit again") and "Error" not in words
