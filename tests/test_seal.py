"""Seals on real parts: a CA and certificates made here, an RFC 3161 TSA on 127.0.0.1,
packages written by our writer, and openssl as the independent checker."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

pytest.importorskip("pyhanko", reason="sealing needs pyHanko: pip install '.[seal]'")

from bagutil import AGENT, DATE, flip_byte, make_statement, tamper  # noqa: E402
from pipeline.cli import main  # noqa: E402
from pipeline.package import package_statements  # noqa: E402
from pipeline.seal.keys import load_key  # noqa: E402
from pipeline.seal.stage import reseal_packages, seal_packages  # noqa: E402
from pipeline.seal.verify_seal import verify_seal  # noqa: E402
from seal_pki import DAY, NOW, issue, make_ca, running_tsa, write_key_dir  # noqa: E402

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
    for i in range(count):
        package_statements([make_statement(tmp_path / "src", f"st-{i:03d}", body=f"Body {i}.\n")],
                           archive, bagging_date=DATE, software_agent=AGENT)
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


def test_one_tsa_request_seals_every_package_and_verify_accepts_them(sealed, tsa):
    archive, names, trust, _ = sealed
    assert len(tsa.requests) == 1  # three packages, one round trip
    assert tsa.requests == ["application/timestamp-query"]
    assert sorted(os.listdir(archive / "seals")) == names
    code, report = verify(archive, trust, "--require-seal")
    assert code == 0, report
    assert not [p for s in report["stages"] for p in s["problems"]]  # not even a stray-entry warning


def test_require_seal_makes_an_unsealed_package_an_error(tmp_path, pki):
    archive, names = make_archive(tmp_path, 1)
    trust = tmp_path / "trust.pem"
    trust.write_bytes(pki["ca"].pem())
    assert verify(archive, trust)[0] == 0  # control: without the flag an unsealed package is fine
    code, report = verify(archive, trust, "--require-seal")
    assert code == 1 and codes(report) == {"A001"}


@pytest.mark.skipif(OPENSSL is None, reason="openssl is not installed")
def test_readme_openssl_script_checks_real_seals_and_fails_on_tampering(sealed):
    archive, names, trust, _ = sealed
    for name in names:
        done = openssl_check(archive, name, trust)
        assert done.returncode == 0, done.stderr
        assert f"seal of {name} verified" in done.stdout and "Verification: OK" in done.stdout
    flip_byte(next((archive / names[0] / "data").rglob("*.pdf")), 20)
    assert openssl_check(archive, names[0], trust).returncode != 0
    _rewrite_manifests(archive / names[1])  # consistent forgery: only the signature catches it
    done = openssl_check(archive, names[1], trust)
    assert done.returncode != 0 and "CMS Verification failure" in done.stderr
    token = archive / "seals" / names[2] / "step-0001" / "token-1.tst"
    flip_byte(token, len(token.read_bytes()) - 10)
    assert openssl_check(archive, names[2], trust).returncode != 0


def _rewrite_manifests(bag: Path) -> None:
    """Change a payload file and rewrite every manifest and tag manifest to match:
    what someone with write access could do. The bag alone then looks intact."""
    import hashlib

    flip_byte(next((bag / "data").rglob("*.pdf")), 12)  # same size: Payload-Oxum still agrees
    for kind in ("manifest", "tagmanifest"):
        for alg in ("sha256", "sha512"):
            path = bag / f"{kind}-{alg}.txt"
            lines = []
            for line in path.read_text(encoding="utf-8").splitlines():
                _, rel = line.split("  ", 1)
                lines.append(f"{hashlib.new(alg, (bag / rel).read_bytes()).hexdigest()}  {rel}")
            tamper(path, ("\n".join(lines) + "\n").encode("utf-8"))


def test_tampering_is_named_by_verify(sealed, pki, tmp_path):
    archive, names, trust, _ = sealed
    assert verify(archive, trust)[0] == 0  # control
    flip_byte(next((archive / names[0] / "data").rglob("*.md")), 0)  # a payload byte
    _rewrite_manifests(archive / names[1])  # a manifest line, manifests made consistent
    flip_byte(archive / "seals" / names[2] / "signature.p7s", 200)  # a seal byte
    code, report = verify(archive, trust)
    assert code == 1
    by_package = {item["name"]: {p["code"] for p in item["problems"]} for s in report["stages"] for item in s["items"]}
    assert "B004" in by_package[names[0]] and not any(c.startswith("A") for c in by_package[names[0]])
    assert by_package[names[1]] == {"A003"}  # checksums alone cannot see a consistent forgery
    # the signature is unreadable and no longer the proof's leaf (B009: its predecessor, forged above)
    assert by_package[names[2]] == {"A003", "A007", "B009"}


def test_wrong_key_is_not_trusted(tmp_path, pki, tsa):
    archive, names = make_archive(tmp_path, 1)
    other_ca = make_ca("Some other CA")
    stranger = issue(other_ca, "Not the office", not_before=NOW - DAY, not_after=NOW + 100 * DAY)
    key = load_key(write_key_dir(tmp_path / "key", stranger), b"test passphrase")
    seal_packages(archive, names, key, [tsa.url], NOW)
    check = verify_seal(archive, names[0], [pki["ca"].asn1()], NOW)
    assert {p.code for p in check.problems} == {"A004"}
    trusting_both = verify_seal(archive, names[0], [pki["ca"].asn1(), other_ca.asn1()], NOW)
    assert trusting_both.ok, trusting_both.problems  # control: same seal, its CA trusted


def test_certificate_expired_after_sealing_is_fine_but_a_timestamp_after_expiry_is_not(tmp_path, pki):
    archive, names = make_archive(tmp_path, 2)
    short = issue(pki["ca"], "Office 2025", not_before=NOW - 400 * DAY, not_after=NOW - 100 * DAY)
    key = load_key(write_key_dir(tmp_path / "key", short), b"test passphrase")
    anchors = [pki["ca"].asn1()]
    with running_tsa(pki["tsa"], pki["ca"], when=NOW - 200 * DAY) as in_time:
        seal_packages(archive, names[:1], key, [in_time.url], NOW - 200 * DAY)
    check = verify_seal(archive, names[0], anchors, NOW)  # the certificate has expired since
    assert check.ok, check.problems
    with running_tsa(pki["tsa"], pki["ca"], when=NOW - 50 * DAY) as late:
        with pytest.raises(Exception) as refused:  # the stage refuses to write such a seal…
            seal_packages(archive, names[1:], key, [late.url], NOW - 150 * DAY)
        assert [p.code for p in refused.value.problems] == ["A004"]
        assert not (archive / "seals" / names[1]).exists()
        _write_seal_anyway(archive, names[1], key, late.url)  # …and verify rejects one made anyway
    late_check = verify_seal(archive, names[1], anchors, NOW)
    assert {p.code for p in late_check.problems} == {"A004"}


def _write_seal_anyway(archive: Path, name: str, key, url: str) -> None:
    from pipeline.seal.sign import sign_detached, signer_for
    from pipeline.seal.stage import write_seal
    from pipeline.seal.timestamp import request_token
    from pipeline.seal.tree import build_proofs, leaf_digest

    signature = sign_detached(signer_for(key), (archive / name / "tagmanifest-sha512.txt").read_bytes(), NOW)
    proof = build_proofs("sha256", [("signature.p7s", leaf_digest("sha256", signature))])[0]
    write_seal(archive, name, signature, proof, [request_token(url, "sha256", bytes.fromhex(proof.root))])


def test_renewal_outlives_the_tsa_certificate_and_one_request_renews_many(tmp_path, pki):
    archive, names = make_archive(tmp_path, 4)
    key = load_key(write_key_dir(tmp_path / "key", pki["signer"]), b"test passphrase")
    anchors = [pki["ca"].asn1()]
    old_tsa = issue(pki["ca"], "Old TSA", not_before=NOW - 100 * DAY, not_after=NOW - 10 * DAY, tsa=True)
    with running_tsa(old_tsa, pki["ca"], when=NOW - 25 * DAY) as old:
        seal_packages(archive, names, key, [old.url], NOW - 25 * DAY)
    before_expiry = {n: verify_seal(archive, n, anchors, NOW - 20 * DAY) for n in names}
    assert all(c.ok for c in before_expiry.values())
    assert {p.code for p in verify_seal(archive, names[0], anchors, NOW).problems} == {"A006"}  # not renewed
    with running_tsa(pki["tsa"], pki["ca"], when=NOW - 20 * DAY) as new:
        reseal_packages(archive, {n: before_expiry[n] for n in names[:3]}, [new.url])
        assert len(new.requests) == 1  # three renewals, one round trip
    for name in names[:3]:
        renewed = verify_seal(archive, name, anchors, NOW)
        assert renewed.ok and renewed.steps == 2, renewed.problems
    assert not verify_seal(archive, names[3], anchors, NOW).ok  # control: the one not renewed
    # renewed too late: the old token was no longer provable when the new step was made
    with running_tsa(pki["tsa"], pki["ca"], when=NOW - 5 * DAY) as late:
        reseal_packages(archive, {names[3]: before_expiry[names[3]]}, [late.url])
    assert "A006" in {p.code for p in verify_seal(archive, names[3], anchors, NOW).problems}
    # a renewal covers the earlier step: altering it breaks the chain
    proof = archive / "seals" / names[0] / "step-0001" / "proof.txt"
    os.chmod(proof, 0o644)
    proof.write_bytes(proof.read_bytes().replace(b"digest sha256", b"digest sha256 "))
    assert {"A007", "A008"} <= {p.code for p in verify_seal(archive, names[0], anchors, NOW).problems}


@pytest.mark.skipif(OPENSSL is None, reason="openssl is not installed")
def test_each_package_proof_stands_alone(tmp_path, pki, tsa):
    archive, names = make_archive(tmp_path, 5)
    key = load_key(write_key_dir(tmp_path / "key", pki["signer"]), b"test passphrase")
    seal_packages(archive, names, key, [tsa.url], NOW)
    assert len(tsa.requests) == 1
    roots = {(archive / "seals" / n / "step-0001" / "proof.txt").read_text().splitlines()[-1] for n in names}
    assert len(roots) == 1  # one tree
    trust = tmp_path / "trust.pem"
    trust.write_bytes(pki["ca"].pem())
    for name in names:  # one package and its seal alone, in an archive of their own
        alone = tmp_path / f"alone-{name}"
        shutil.copytree(archive / name, alone / name)
        shutil.copytree(archive / "seals" / name, alone / "seals" / name)
        assert verify_seal(alone, name, [pki["ca"].asn1()], NOW).ok
        assert openssl_check(alone, name, trust).returncode == 0


@pytest.mark.skipif(OPENSSL is None, reason="openssl is not installed")
def test_readme_script_checks_renewed_seals(sealed, tsa):
    archive, names, trust, _ = sealed
    code, report, err = run_cli("reseal", "--archive", str(archive), "--tsa", tsa.url, "--trust", str(trust),
                                "--before", "2000-01-01")  # control: nothing expires that early
    assert code == 0 and report["renewed"] == [] and len(tsa.requests) == 1
    code, report, err = run_cli("reseal", "--archive", str(archive), "--tsa", tsa.url, "--trust", str(trust),
                                "--before", "2100-01-01")
    assert code == 0, (report, err)
    assert report["renewed"] == names and len(tsa.requests) == 2  # seal + renewal
    for name in names:
        done = openssl_check(archive, name, trust)
        assert done.returncode == 0, done.stderr
        assert done.stdout.count("Verification: OK") == 2
    covers = archive / "seals" / names[0] / "step-0002" / "covers.txt"
    assert covers.read_text().splitlines()[0].endswith(f"../../{names[0]}/tagmanifest-sha512.txt")
    assert verify(archive, trust, "--require-seal")[0] == 0
    flip_byte(archive / "seals" / names[0] / "step-0001" / "token-1.tst", 50)  # covered by step 2
    assert openssl_check(archive, names[0], trust).returncode != 0
    assert "A008" in codes(verify(archive, trust)[1])


def test_events_name_software_signer_and_tsa(sealed, tsa):
    archive, names, trust, _ = sealed
    assert verify(archive, trust)[0] == 0
    events = [json.loads(line) for line in (archive / "events.jsonl").read_text().splitlines()]
    generated = [e for e in events if e["eventType"] == "digital signature generation"]
    validated = [e for e in events if e["eventType"] == "digital signature validation"]
    assert len(generated) == len(validated) == 3
    assert generated[0]["eventTypeURI"].endswith("/dsg") and validated[0]["eventTypeURI"].endswith("/dig")
    agents = {(a["type"], a["value"]) for a in generated[0]["linkingAgentIdentifier"]}
    assert ("certificate subject", "CN=Embassy press office") in agents
    assert ("timestamping authority", tsa.url) in agents
    assert any(a["type"] == "software" for a in validated[0]["linkingAgentIdentifier"])
    assert {e["eventOutcome"] for e in validated} == {"success"}
    assert run_cli("events", "--archive", str(archive), "--check")[0] == 0
    assert run_cli("export-premis", "--archive", str(archive), "--output", str(archive.parent / "p.xml"))[0] == 0


def test_sealed_package_is_still_a_valid_bag_for_loc_bagit(sealed):
    bagit = pytest.importorskip("bagit")
    archive, names, _, _ = sealed
    for name in names:
        bagit.Bag(str(archive / name)).validate()  # raises if invalid
    assert not list((archive / names[0]).rglob("*.p7s"))  # nothing added inside the bag


def test_private_key_and_passphrase_never_leave_the_key_folder(sealed, pki, capfd):
    from cryptography.hazmat.primitives import serialization

    archive, names, trust, key_dir = sealed
    code, report, err = run_cli("verify", "--archive", str(archive), "--trust", str(trust))
    assert code == 0
    key = pki["signer"].key
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    scalar = key.private_numbers().private_value.to_bytes(32, "big")
    pem_lines = [line for line in (key_dir / "key.pem").read_bytes().splitlines() if b"-----" not in line]
    secrets = [der, scalar, scalar.hex().encode(), PASSPHRASE.encode(), *pem_lines]
    places = [p for p in archive.rglob("*") if p.is_file()]
    assert places  # control: there is something to search
    texts = [p.read_bytes() for p in places] + [json.dumps(report).encode(), err.encode(),
                                               "".join(capfd.readouterr()).encode()]
    for text in texts:
        for secret in secrets:
            assert secret not in text
    # positive control: the same search finds the key where it is
    assert pem_lines[1] in (key_dir / "key.pem").read_bytes()


def test_build_seal_needs_configuration(tmp_path, monkeypatch):
    for name in ("STATEMENT_ARCHIVE_SEAL_KEY", "STATEMENT_ARCHIVE_TSA"):
        monkeypatch.delenv(name, raising=False)
    code, report, err = run_cli("build", "--seal", "--archive", str(tmp_path / "archive"),
                                "--statements", str(tmp_path))
    assert code == 2 and "not configured" in report["error"]
    assert not (tmp_path / "archive").exists()


def test_unreachable_tsa_seals_nothing(tmp_path, pki, monkeypatch):
    monkeypatch.setenv("STATEMENT_ARCHIVE_KEY_PASSPHRASE", PASSPHRASE)
    archive, names = make_archive(tmp_path, 1)
    key_dir = write_key_dir(tmp_path / "key", pki["signer"], PASSPHRASE.encode())
    with running_tsa(pki["tsa"], pki["ca"]) as gone:
        url = gone.url
    code, report, _ = run_cli("seal", "--archive", str(archive), "--key", str(key_dir), "--tsa", url)
    assert code == 1 and codes(report) == {"A010"}
    assert not (archive / "seals" / names[0]).exists()


def test_build_seal_builds_then_seals_with_one_request(tmp_path, pki, tsa, monkeypatch, fonts_dir):
    from statement_factory import write_statement

    statements = tmp_path / "statements"
    statements.mkdir()
    write_statement(statements, "seal-2026-001", "A statement to seal.\n")
    key_dir = write_key_dir(tmp_path / "key", pki["signer"], PASSPHRASE.encode())
    monkeypatch.setenv("STATEMENT_ARCHIVE_KEY_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("STATEMENT_ARCHIVE_SEAL_KEY", str(key_dir))
    monkeypatch.setenv("STATEMENT_ARCHIVE_TSA", tsa.url)
    argv = ["build", "--statements", str(statements), "--archive", str(tmp_path / "archive"),
            "--build-dir", str(tmp_path / "build"), "--date", "2026-11-28", "--quiet"]
    code, report, err = run_cli(*argv)  # control: without --seal nothing is sealed
    assert code == 0, (report, err)
    assert tsa.requests == [] and not (tmp_path / "archive" / "seals").exists()
    code, report, err = run_cli(*argv, "--seal")
    assert code == 0, (report, err)
    assert [s["package"] for s in report["seals"]] == ["statements-2026-11-28-v0001"]
    assert len(tsa.requests) == 1
    trust = tmp_path / "trust.pem"
    trust.write_bytes(pki["ca"].pem())
    assert verify(tmp_path / "archive", trust, "--require-seal")[0] == 0


@pytest.mark.slow
def test_seal_bench_smoke_runs(tmp_path):
    import sys

    done = subprocess.run([sys.executable, str(PROJECT / "bench" / "seal.py"), "--smoke", "--work", str(tmp_path)],
                          capture_output=True, text=True, timeout=300, cwd=PROJECT)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "1 TSA request per run (counted)" in done.stdout


def test_strays_in_seals_are_warned_and_a_partial_seal_is_an_error(sealed):
    archive, names, trust, _ = sealed
    (archive / "seals" / "notes.txt").write_text("hello\n")
    (archive / "seals" / ".incoming" / names[0]).mkdir(parents=True)
    code, report = verify(archive, trust)
    assert code == 0  # warnings only
    warned = {p["code"] for s in report["stages"] for p in s["problems"] if p["severity"] == "warning"}
    assert warned == {"A011", "A012"}
    (archive / "seals" / names[0] / "extra.txt").write_text("added later\n")
    os.remove(archive / "seals" / names[1] / "step-0001" / "token-1.tst")
    code, report = verify(archive, trust)
    assert code == 1 and codes(report) == {"A002"}


def test_two_tsas_one_request_each_and_every_token_checked(tmp_path, pki):
    archive, names = make_archive(tmp_path, 2)
    key = load_key(write_key_dir(tmp_path / "key", pki["signer"]), b"test passphrase")
    second_tsa = issue(pki["ca"], "Second TSA", not_before=NOW - DAY, not_after=NOW + 900 * DAY, tsa=True)
    anchors = [pki["ca"].asn1()]
    with running_tsa(pki["tsa"], pki["ca"]) as one, running_tsa(second_tsa, pki["ca"]) as two:
        seal_packages(archive, names, key, [one.url, two.url], NOW)
        assert len(one.requests) == len(two.requests) == 1
        check = verify_seal(archive, names[0], anchors, NOW)
        assert check.ok and {t.tsa for t in check.tokens} == {"Common Name: Test TSA", "Common Name: Second TSA"}
        # renewal with a stronger hash, as when SHA-256 ages
        reseal_packages(archive, {n: verify_seal(archive, n, anchors, NOW) for n in names}, [two.url],
                        digest="sha512")
    renewed = verify_seal(archive, names[0], anchors, NOW)
    assert renewed.ok and renewed.steps == 2, renewed.problems
    assert b"digest sha512" in (archive / "seals" / names[0] / "step-0002" / "proof.txt").read_bytes()
    token = archive / "seals" / names[1] / "step-0001" / "token-2.tst"
    flip_byte(token, len(token.read_bytes()) - 10)  # in the TSA's signature value
    assert {"A005", "A008"} <= {p.code for p in verify_seal(archive, names[1], anchors, NOW).problems}


def test_revocation_data_in_a_token_is_used_offline(tmp_path, pki):
    from seal_pki import revoking_stamper

    archive, names = make_archive(tmp_path, 1)
    key = load_key(write_key_dir(tmp_path / "key", pki["signer"]), b"test passphrase")
    revoked = issue(pki["ca"], "Revoked TSA", not_before=NOW - 100 * DAY, not_after=NOW + 900 * DAY, tsa=True,
                    crl_url="http://127.0.0.1:9/never-fetched.crl")
    with running_tsa(revoked, pki["ca"], stamper=revoking_stamper(revoked, pki["ca"])) as tsa:
        seal_packages(archive, names, key, [tsa.url], NOW)
    token = archive / "seals" / names[0] / "step-0001" / "token-1.tst"
    listed = subprocess.run(["openssl", "cms", "-cmsout", "-print", "-inform", "DER", "-in", str(token)],
                            capture_output=True, text=True).stdout
    assert "d.crl:" in listed and "revoked:" in listed  # the CRL travels inside the seal
    assert {p.code for p in verify_seal(archive, names[0], [pki["ca"].asn1()], NOW).problems} == {"A006"}
    # control: the same TSA certificate, no CRL in the token: nothing says it is revoked
    with running_tsa(revoked, pki["ca"]) as plain:
        shutil.rmtree(archive / "seals")
        seal_packages(archive, names, key, [plain.url], NOW)
    assert verify_seal(archive, names[0], [pki["ca"].asn1()], NOW).ok
