"""Shared by the seal tests: fixtures (a PKI, a running TSA, a sealed archive) and helpers
(archives of packages, the CLI, the README's openssl script)."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from bagutil import AGENT, DATE, EVENT_TIME, make_statement
from pipeline.cli import main
from pipeline.package import package_statements
from seal_pki import DAY, NOW, issue, make_ca, running_tsa, write_key_dir

PROJECT = Path(__file__).resolve().parents[1]
PASSPHRASE = "correct horse battery staple"
OPENSSL = shutil.which("openssl")


@pytest.fixture(scope="module")
def pki():
    ca = make_ca()
    return {
        "ca": ca,
        "signer": issue(ca, "Embassy press office", not_before=NOW - 30 * DAY, not_after=NOW + 700 * DAY),
        "tsa": issue(ca, "Test TSA", not_before=NOW - 300 * DAY, not_after=NOW + 3000 * DAY, tsa=True),
    }


@pytest.fixture()
def tsa(pki):
    with running_tsa(pki["tsa"], pki["ca"]) as running:
        yield running


def make_archive(tmp_path: Path, count: int) -> tuple[Path, list[str]]:
    archive = tmp_path / "archive"
    statements = []  # each version adds one: a statement that vanished would stop the build
    for i in range(count):
        statements.append(make_statement(tmp_path / "src", f"st-{i:03d}", body=f"Body {i}.\n"))
        package_statements(statements, archive, bagging_date=DATE, software_agent=AGENT,
                           event_time=EVENT_TIME)
    return archive, sorted(p.name for p in archive.iterdir() if p.name.startswith("statements-"))


def run_cli(*argv: str) -> tuple[int, dict, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([*argv, "--json"], out, err)
    return code, json.loads(out.getvalue()), err.getvalue()


def codes(report: dict) -> set[str]:
    return {p["code"] for stage in report["stages"] for p in stage["problems"] if p["severity"] == "error"}


@pytest.fixture()
def sealed(tmp_path, pki, tsa, monkeypatch):
    """Three packages sealed through the CLI, and the trust anchor file."""
    monkeypatch.setenv("STATEMENT_ARCHIVE_KEY_PASSPHRASE", PASSPHRASE)
    archive, names = make_archive(tmp_path, 3)
    key_dir = write_key_dir(tmp_path / "key", pki["signer"], PASSPHRASE.encode())
    trust = tmp_path / "trust.pem"
    trust.write_bytes(pki["ca"].pem())
    code, report, err = run_cli("seal", "--archive", str(archive), "--key", str(key_dir), "--tsa", tsa.url)
    assert code == 0, (report, err)
    return archive, names, trust, key_dir


def verify(archive: Path, trust: Path, *extra: str) -> tuple[int, dict]:
    code, report, _ = run_cli("verify", "--archive", str(archive), "--trust", str(trust), *extra)
    return code, report


def check_seal_script() -> str:
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"```sh\n# check-seal\n(.*?)```", readme, re.S)
    assert match, "README lost its check-seal script"
    return match.group(1)


def openssl_check(archive: Path, package: str, trust: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", check_seal_script()], cwd=archive, capture_output=True, text=True,
                          env={**os.environ, "PKG": package, "TRUST": str(trust), "LC_ALL": "C"})
