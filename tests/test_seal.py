"""Seals on real parts: a CA and certificates made here, an RFC 3161 TSA on 127.0.0.1,
packages written by our writer, and openssl as the independent checker."""

from __future__ import annotations

import io
import json
import os
import subprocess
from pathlib import Path

import pytest

pytest.importorskip("pyhanko", reason="sealing needs pyHanko: pip install '.[seal]'")

from bagutil import flip_byte, tamper  # noqa: E402
from pipeline.cli import main  # noqa: E402
from pipeline.seal.keys import load_key  # noqa: E402
from pipeline.seal.stage import seal_packages  # noqa: E402
from pipeline.seal.verify_seal import verify_seal  # noqa: E402
from seal_pki import DAY, NOW, issue, make_ca, running_tsa, write_key_dir  # noqa: E402
from sealutil import (  # noqa: E402,F401  (fixtures: pki, tsa, sealed)
    OPENSSL, PASSPHRASE, PROJECT, codes, make_archive, openssl_check, pki, run_cli, sealed, tsa, verify,
)


def test_one_tsa_request_seals_every_package_and_verify_accepts_them(sealed, tsa):
    archive, names, trust, _ = sealed
    assert len(tsa.requests) == 1  # three packages, one round trip
    assert tsa.requests == ["application/timestamp-query"]
    assert sorted(os.listdir(archive / "seals")) == names
    code, report = verify(archive, trust, "--require-seal")
    assert code == 0, report
    assert not [p for s in report["stages"] for p in s["problems"]]  # not even a stray-entry warning
    out = io.StringIO()
    assert main(["verify", "--archive", str(archive), "--trust", str(trust)], out, io.StringIO()) == 0
    assert "seals: 3 checked, all valid" in out.getvalue()


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
    flipped = next((archive / names[0] / "data").rglob("*.md"))
    in_last = archive / names[2] / flipped.relative_to(archive / names[0])
    # versions share unchanged files (hard links): the byte is then flipped in names[2] too
    shared = in_last.exists() and os.stat(in_last).st_ino == os.stat(flipped).st_ino
    flip_byte(flipped, 0)  # a payload byte
    _rewrite_manifests(archive / names[1])  # a manifest line, manifests made consistent
    flip_byte(archive / "seals" / names[2] / "signature.p7s", 200)  # a seal byte
    code, report = verify(archive, trust)
    assert code == 1
    by_package = {item["name"]: {p["code"] for p in item["problems"]} for s in report["stages"] for item in s["items"]}
    assert "B004" in by_package[names[0]] and not any(c.startswith("A") for c in by_package[names[0]])
    assert by_package[names[1]] == {"A003"}  # checksums alone cannot see a consistent forgery
    # the signature is unreadable and no longer the proof's leaf (B009: its predecessor, forged above)
    assert by_package[names[2]] == {"A003", "A007", "B009"} | ({"B004"} if shared else set())


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


def test_build_seal_with_the_tsa_down_keeps_the_package_and_says_it_is_unsealed(tmp_path, pki, monkeypatch,
                                                                              fonts_dir):
    from statement_factory import write_statement

    write_statement(tmp_path / "statements", "seal-2026-002", "Another statement.\n")
    key_dir = write_key_dir(tmp_path / "key", pki["signer"], PASSPHRASE.encode())
    with running_tsa(pki["tsa"], pki["ca"]) as gone:
        url = gone.url
    monkeypatch.setenv("STATEMENT_ARCHIVE_KEY_PASSPHRASE", PASSPHRASE)
    code, report, _ = run_cli("build", "--seal", "--key", str(key_dir), "--tsa", url,
                              "--statements", str(tmp_path / "statements"), "--archive", str(tmp_path / "archive"),
                              "--build-dir", str(tmp_path / "build"), "--date", "2026-11-28", "--quiet")
    assert code == 1 and codes(report) == {"A010"} and "not sealed" in report["error"]
    assert (tmp_path / "archive" / "statements-2026-11-28-v0001").is_dir()
    assert not (tmp_path / "archive" / "seals" / "statements-2026-11-28-v0001").exists()
