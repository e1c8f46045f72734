"""S3 submission faults, as real as the WebDAV ones: moto's S3 server on 127.0.0.1
behind a fault-injecting HTTP proxy (tests/s3_fault_proxy.py) started by each test.

The same promises as tests/test_submit_webdav.py: a dropped connection or a 503
is retried a bounded number of times, a 403 is not retried and its words are
reported, and nothing is recorded as confirmed unless the bytes the store
returns are the bytes sent, even when its HEAD answer says all is well.
"""

from __future__ import annotations

import hashlib

import pytest

from s3_fault_proxy import S3Faults, s3_fault_proxy
from submit_servers import make_archive, moto_server
from test_submit_s3 import bucket, client, submit, target_for

PDF_SIZE = 200_000  # large enough to be cut mid-body
KEY = "inbox/alpha/v0001/alpha.pdf"


@pytest.fixture(scope="module")
def moto():
    with moto_server() as url:
        yield url


def stored(moto: str, name: str, key: str = KEY) -> bytes:
    """The object as moto keeps it (not through the proxy)."""
    return client(moto).get_object(Bucket=name, Key=key)["Body"].read()


def package_pdf(archive) -> bytes:
    newest = sorted(archive.glob("statements-*"))[-1]
    return (newest / "data/alpha/alpha.pdf").read_bytes()


def test_through_the_proxy_without_faults_everything_is_confirmed(tmp_path, moto):
    """Positive control: the proxy itself changes nothing."""
    archive = make_archive(tmp_path, ("alpha",), pdf_size=PDF_SIZE)
    name = bucket(moto, "faults-none")
    with s3_fault_proxy(moto) as (url, faults):
        outcome, rows, sleeps = submit(archive, target_for(f"s3://{name}/inbox", url), tmp_path / "l.sqlite")
    assert [i.status for i in outcome.items] == ["confirmed"] and not outcome.problems and sleeps == []
    assert stored(moto, name) == package_pdf(archive)
    assert (faults.count("PUT", ".pdf"), faults.count("HEAD", ".pdf"), faults.count("GET", ".pdf")) == (1, 1, 1)
    assert "read back: sha256 " + hashlib.sha256(package_pdf(archive)).hexdigest() in rows[0].response


def test_connection_dropped_mid_upload_is_retried_and_confirmed(tmp_path, moto):
    archive = make_archive(tmp_path, ("alpha",), pdf_size=PDF_SIZE)
    name = bucket(moto, "faults-drop")
    with s3_fault_proxy(moto, S3Faults(drop_puts=1)) as (url, faults):
        outcome, rows, sleeps = submit(archive, target_for(f"s3://{name}/inbox", url), tmp_path / "l.sqlite")
        assert faults.dropped == 1 and faults.count("PUT", ".pdf") == 2
    assert [i.status for i in outcome.items] == ["confirmed"] and len(sleeps) == 1
    assert rows[0].status == "confirmed" and rows[0].tries == 5  # one more PUT than needed
    assert stored(moto, name) == package_pdf(archive)


def test_503_then_success(tmp_path, moto):
    archive = make_archive(tmp_path, ("alpha",))
    name = bucket(moto, "faults-503-once")
    faults = S3Faults(statuses={"PUT": [(503, "SlowDown", "Please reduce your request rate.")]})
    with s3_fault_proxy(moto, faults) as (url, faults):
        outcome, rows, sleeps = submit(archive, target_for(f"s3://{name}/inbox", url), tmp_path / "l.sqlite")
        assert faults.count("PUT", ".pdf") == 2
    assert [i.status for i in outcome.items] == ["confirmed"] and len(sleeps) == 1
    assert rows[0].status == "confirmed" and stored(moto, name) == package_pdf(archive)


def test_503_for_ever_gives_up_after_the_bounded_tries(tmp_path, moto):
    archive = make_archive(tmp_path, ("alpha", "beta"))
    name = bucket(moto, "faults-503-always")
    faults = S3Faults(statuses={"PUT": [(503, "ServiceUnavailable", "down for maintenance")] * 10})
    with s3_fault_proxy(moto, faults) as (url, faults):
        outcome, rows, sleeps = submit(archive, target_for(f"s3://{name}/inbox", url),
                                       tmp_path / "l.sqlite", attempts=3)
        assert faults.count("PUT", ".pdf") == 3  # beta was not even tried
    assert [i.status for i in outcome.items] == ["failed", "not sent"]
    assert [p.code for p in outcome.problems] == ["S004", "S004"] and len(sleeps) == 2
    assert "503" in outcome.problems[0].message and "down for maintenance" in outcome.problems[0].message
    assert [r.status for r in rows] == ["failed"]
    assert client(moto).list_objects_v2(Bucket=name, Prefix="inbox/alpha/v0001/alpha.pdf")["KeyCount"] == 0


def test_403_is_not_retried_and_the_stores_words_are_reported(tmp_path, moto):
    archive = make_archive(tmp_path, ("alpha",))
    name = bucket(moto, "faults-403")
    words = "Quota for bucket faults-403 exceeded; ask the records team"
    with s3_fault_proxy(moto, S3Faults(statuses={"PUT": [(403, "AccessDenied", words)]})) as (url, faults):
        outcome, rows, sleeps = submit(archive, target_for(f"s3://{name}/inbox", url), tmp_path / "l.sqlite")
        assert faults.count("PUT", ".pdf") == 1
    assert [p.code for p in outcome.problems] == ["S003"] and sleeps == []
    assert "403 AccessDenied" in outcome.problems[0].message and words in outcome.problems[0].message
    assert [r.status for r in rows] == ["failed"] and words in rows[0].response


@pytest.mark.parametrize("fault", ["corrupt_puts", "corrupt_gets"])
def test_a_store_that_damages_the_object_is_caught_and_nothing_is_confirmed(tmp_path, moto, fault):
    """``corrupt_puts``: the store keeps a damaged copy, yet HEAD answers with the
    ETag (MD5) of what was sent and the sha256 metadata we set, so only reading
    the object back catches it. ``corrupt_gets``: the copy reads back damaged."""
    archive = make_archive(tmp_path, ("alpha",))
    name = bucket(moto, f"faults-{fault.replace('_', '-')}")
    ledger = tmp_path / "l.sqlite"
    sent = package_pdf(archive)
    with s3_fault_proxy(moto, S3Faults(**{fault: True})) as (url, faults):
        target = target_for(f"s3://{name}/inbox", url)
        head = client(url).head_object  # what the store says, through the proxy
        outcome, rows, _ = submit(archive, target, ledger)
        said = head(Bucket=name, Key=KEY)
        assert said["ETag"].strip('"') == hashlib.md5(sent).hexdigest()  # HEAD says all is well
        assert said["Metadata"]["sha256"] == hashlib.sha256(sent).hexdigest()
        if fault == "corrupt_puts":
            kept = stored(moto, name)
            assert kept != sent and len(kept) == len(sent)
        assert [p.code for p in outcome.problems] == ["S005"] and [r.status for r in rows] == ["failed"]
        assert "read back" in outcome.problems[0].message

        setattr(faults, fault, False)  # the store is repaired: the next run sends again
        outcome, rows, _ = submit(archive, target, ledger)
    assert [r.status for r in rows] == ["failed", "confirmed"] and not outcome.problems
    assert stored(moto, name) == sent
