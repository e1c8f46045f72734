"""Submitting to S3, against moto's S3 in server mode on 127.0.0.1.

What moto can prove: the API flow (PUT with Content-MD5 and object metadata,
HEAD to confirm, no second PUT for what is confirmed, a 4xx not retried).
What it cannot: that a server *rejects* a body whose Content-MD5 does not
match. moto accepts it (asserted below, so the day it starts checking this
test says so); a real Ceph RGW or AWS answers 400 BadDigest, which this code
treats as a refusal (S003). Digest rejection must be checked against a real
RGW; here we prove that the HEAD check catches such a copy on its own.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import random
import re
import socket
from pathlib import Path
from urllib.parse import unquote

import boto3
import pytest

from pipeline.submit import (
    RetryPolicy, SubmitOptions, TargetOptions, newest_verified_package, open_ledger, open_target,
    submit_package,
)
from submit_servers import make_archive, moto_server

KEYS = {"AWS_ACCESS_KEY_ID": "testing-key", "AWS_SECRET_ACCESS_KEY": "testing-secret-never-shown"}


def clock() -> dt.datetime:
    return dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def endpoint():
    with moto_server() as url:
        yield url


def client(endpoint: str):
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=KEYS["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=KEYS["AWS_SECRET_ACCESS_KEY"])


def bucket(endpoint: str, name: str) -> str:
    client(endpoint).create_bucket(Bucket=name)
    return name


def target_for(url: str, endpoint: str):
    return open_target(url, TargetOptions(timeout=5, s3_endpoint=endpoint, environ=KEYS))


def submit(archive: Path, target, ledger: Path, attempts: int = 3):
    sleeps: list[float] = []
    options = SubmitOptions(agent="statement-archive/test", retry=RetryPolicy(attempts, 0.01, 0.02),
                            sleep=sleeps.append, rng=random.Random(5))
    with open_ledger(ledger, exclusive=True) as db:
        outcome = submit_package(newest_verified_package(archive), target, db, clock=clock, options=options)
        return outcome, db.attempts(), sleeps


def record_puts(target) -> list[dict[str, str]]:
    """The headers of every PutObject the target's client sends, as sent."""
    seen: list[dict[str, str]] = []

    def keep(request, **_):
        body = _body(request)
        seen.append({**{k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()},
                     "_md5_of_body": base64.b64encode(hashlib.md5(body).digest()).decode()})

    target.client.meta.events.register("before-send.s3.PutObject", keep)
    return seen


def _body(request) -> bytes:
    body = request.body
    return body.getvalue() if isinstance(body, io.BytesIO) else bytes(body or b"")


def test_put_with_content_md5_and_metadata_then_head_confirms(tmp_path, endpoint):
    archive = make_archive(tmp_path, ("alpha", "beta"))
    name = bucket(endpoint, "records-a")
    target = target_for(f"s3://{name}/inbox", endpoint)
    puts = record_puts(target)
    outcome, rows, _ = submit(archive, target, tmp_path / "l.sqlite")
    assert [i.status for i in outcome.items] == ["confirmed", "confirmed"] and not outcome.problems
    assert len(puts) == 4 and all(p["Content-MD5"] == p["_md5_of_body"] for p in puts)
    assert not any(k.lower().startswith("x-amz-checksum") for p in puts for k in p)

    s3 = client(endpoint)
    head = s3.head_object(Bucket=name, Key="inbox/alpha/v0001/alpha.pdf")
    package = next(archive.glob("statements-*"))
    pdf = (package / "data/alpha/alpha.pdf").read_bytes()
    assert head["ContentType"] == "application/pdf"
    assert head["Metadata"]["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert unquote(head["Metadata"]["title"]) == "Statement alpha – “quoted”"  # non-ASCII, percent-encoded
    assert head["Metadata"]["package"] == package.name
    assert s3.get_object(Bucket=name, Key="inbox/alpha/v0001/alpha.pdf")["Body"].read() == pdf
    assert rows[0].location == f"s3://{name}/inbox/alpha/v0001/alpha.pdf" and "ETag" in rows[0].response

    puts.clear()
    again, rows, _ = submit(archive, target, tmp_path / "l.sqlite")
    assert [i.status for i in again.items] == ["already confirmed"] * 2 and puts == []


def test_moto_accepts_a_wrong_content_md5_so_only_the_head_check_catches_it(tmp_path, endpoint):
    archive = make_archive(tmp_path, ("alpha",))
    name = bucket(endpoint, "records-b")
    target = target_for(f"s3://{name}/", endpoint)

    def damage_pdf_in_transit(request, **_):
        if request.url.endswith(".pdf"):
            body = _body(request)
            request.body = io.BytesIO(body[:-1] + bytes([body[-1] ^ 1]))  # same length

    target.client.meta.events.register("before-send.s3.PutObject", damage_pdf_in_transit)
    outcome, rows, _ = submit(archive, target, tmp_path / "l.sqlite")
    # A real RGW would refuse this PUT (400 BadDigest → S003). moto stores it:
    stored = client(endpoint).get_object(Bucket=name, Key="alpha/v0001/alpha.pdf")["Body"].read()
    assert hashlib.sha256(stored).hexdigest() != rows[0].pdf_sha256
    # ... and the HEAD check (ETag is the MD5 of what was stored) refuses to confirm it.
    assert [p.code for p in outcome.problems] == ["S005"] and [r.status for r in rows] == ["failed"]
    assert "ETag" in outcome.problems[0].message


def test_missing_bucket_is_a_refusal_not_retried(tmp_path, endpoint):
    archive = make_archive(tmp_path, ("alpha",))
    outcome, rows, sleeps = submit(archive, target_for("s3://no-such-bucket/x/", endpoint), tmp_path / "l.sqlite")
    assert [p.code for p in outcome.problems] == ["S003"] and sleeps == [] and rows[0].tries == 1
    assert "NoSuchBucket" in outcome.problems[0].message
    assert KEYS["AWS_SECRET_ACCESS_KEY"] not in outcome.problems[0].message + rows[0].response


def test_unreachable_endpoint_is_retried_a_bounded_number_of_times(tmp_path):
    archive = make_archive(tmp_path, ("alpha", "beta"))
    with socket.create_server(("127.0.0.1", 0)) as reserved:
        port = reserved.getsockname()[1]
    outcome, rows, sleeps = submit(archive, target_for("s3://records/", f"http://127.0.0.1:{port}"),
                                   tmp_path / "l.sqlite", attempts=2)
    assert [i.status for i in outcome.items] == ["failed", "not sent"] and len(sleeps) == 1
    assert [p.code for p in outcome.problems] == ["S004", "S004"]
    message = outcome.problems[0].message
    assert f"endpoint http://127.0.0.1:{port}" in message and "run submit again" in message
    assert "connection was refused" in message
    # no Python class name (EndpointConnectionError, ConnectionRefusedError…): checked against a message that has one
    class_name = re.compile(r"\b[A-Z]\w*(?:Error|Exception)\b")
    assert not class_name.search(message) and class_name.search("EndpointConnectionError: Could not connect")
