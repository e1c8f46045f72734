"""Keys (permissions, passphrases, PKCS #12) and the hash tree, on their own."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
from pathlib import Path

import pytest

pytest.importorskip("pyhanko", reason="sealing needs pyHanko: pip install '.[seal]'")

from pipeline.cli import main  # noqa: E402
from pipeline.core.errors import InputError  # noqa: E402
from pipeline.seal.keys import create_key, import_p12, key_is_encrypted, load_key, passphrase_from  # noqa: E402
from pipeline.seal.tree import build_proofs, parse_proof, root_of  # noqa: E402
from seal_pki import DAY, NOW, issue, make_ca  # noqa: E402


def run_cli(*argv: str) -> tuple[int, dict]:
    out = io.StringIO()
    code = main([*argv, "--json"], out, io.StringIO())
    return code, json.loads(out.getvalue())


def test_keys_init_writes_a_protected_encrypted_key(tmp_path, monkeypatch):
    monkeypatch.setenv("STATEMENT_ARCHIVE_KEY_PASSPHRASE", "s3cret passphrase")
    code, report = run_cli("keys", "init", "--out", str(tmp_path / "k"), "--name", "Press office")
    assert code == 0, report
    assert report["key"]["subject"] == "CN=Press office" and report["key"]["encrypted"]
    assert os.stat(tmp_path / "k" / "key.pem").st_mode & 0o777 == 0o600
    assert os.stat(tmp_path / "k").st_mode & 0o777 == 0o700
    assert key_is_encrypted(tmp_path / "k")
    assert load_key(tmp_path / "k", b"s3cret passphrase").subject == "CN=Press office"
    with pytest.raises(InputError, match="wrong passphrase"):
        load_key(tmp_path / "k", b"not it")
    with pytest.raises(InputError, match="encrypted"):
        load_key(tmp_path / "k", None)
    assert run_cli("keys", "init", "--out", str(tmp_path / "k"), "--name", "Again")[0] == 1  # never overwritten
    # openssl reads what we wrote (certificate) and agrees the key is encrypted
    text = subprocess.run(["openssl", "x509", "-in", str(tmp_path / "k" / "certificate.pem"), "-noout", "-subject"],
                          capture_output=True, text=True, check=True).stdout
    assert "Press office" in text


def test_key_folder_inside_the_archive_is_refused(tmp_path):
    code, report = run_cli("keys", "init", "--out", str(tmp_path / "archive" / "key"), "--name", "Office",
                           "--no-passphrase", "--archive", str(tmp_path / "archive"))
    assert code == 2 and "inside the archive" in report["error"]
    assert not (tmp_path / "archive").exists()
    assert run_cli("keys", "init", "--out", str(tmp_path / "key"), "--name", "Office",  # control
                   "--no-passphrase", "--archive", str(tmp_path / "archive"))[0] == 0


def test_key_readable_by_others_is_refused(tmp_path):
    create_key(tmp_path / "k", "Office", b"pass phrase", NOW)
    load_key(tmp_path / "k", b"pass phrase")  # control
    os.chmod(tmp_path / "k" / "key.pem", 0o640)
    with pytest.raises(InputError, match="chmod 600"):
        load_key(tmp_path / "k", b"pass phrase")


def test_no_passphrase_only_when_asked(tmp_path, monkeypatch):
    monkeypatch.delenv("STATEMENT_ARCHIVE_KEY_PASSPHRASE", raising=False)
    code, report = run_cli("keys", "init", "--out", str(tmp_path / "k"), "--name", "Office")
    assert code == 1 and "STATEMENT_ARCHIVE_KEY_PASSPHRASE" in report["error"]  # no terminal here
    assert not (tmp_path / "k" / "key.pem").exists()
    code, report = run_cli("keys", "init", "--out", str(tmp_path / "k"), "--name", "Office", "--no-passphrase")
    assert code == 0 and not report["key"]["encrypted"] and not key_is_encrypted(tmp_path / "k")
    load_key(tmp_path / "k", None)
    monkeypatch.setenv("STATEMENT_ARCHIVE_KEY_PASSPHRASE", "whatever")
    with pytest.raises(InputError, match="--no-passphrase"):
        load_key(tmp_path / "k", passphrase_from())


def test_prompt_is_confirmed():
    answers = iter(["one", "two"])
    with pytest.raises(InputError, match="differ"):
        passphrase_from({}, lambda _: next(answers), confirm=True)
    same = iter(["good one", "good one"])
    assert passphrase_from({}, lambda _: next(same), confirm=True) == b"good one"


def test_keys_import_takes_key_certificate_and_chain_from_p12(tmp_path, monkeypatch):
    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

    ca = make_ca("Organisation CA")
    signer = issue(ca, "Ministry press office", not_before=NOW - DAY, not_after=NOW + 300 * DAY)
    p12 = tmp_path / "office.p12"
    p12.write_bytes(pkcs12.serialize_key_and_certificates(
        b"office", signer.key, signer.cert, [ca.cert], BestAvailableEncryption(b"p12 pass")))
    monkeypatch.setenv("STATEMENT_ARCHIVE_KEY_PASSPHRASE", "wrong")
    assert run_cli("keys", "import", str(p12), "--out", str(tmp_path / "bad"))[0] == 1
    monkeypatch.setenv("STATEMENT_ARCHIVE_KEY_PASSPHRASE", "p12 pass")
    code, report = run_cli("keys", "import", str(p12), "--out", str(tmp_path / "k"))
    assert code == 0, report
    key = load_key(tmp_path / "k", b"p12 pass")
    assert key.subject == "CN=Ministry press office" and [c.subject for c in key.chain] == [ca.cert.subject]


@pytest.mark.parametrize("count", [1, 2, 3, 5, 8, 9])
def test_every_proof_leads_to_the_one_root(count):
    leaves = [(f"leaf-{i}", hashlib.sha256(str(i).encode()).hexdigest()) for i in range(count)]
    proofs = build_proofs("sha256", leaves)
    assert len({p.root for p in proofs}) == 1
    for (name, leaf), proof in zip(leaves, proofs):
        assert parse_proof(proof.text()) == proof
        assert root_of("sha256", leaf, proof.siblings) == proof.root
        assert len(proof.siblings) <= max(1, (count - 1).bit_length())
    if count > 1:  # a changed leaf or sibling leads elsewhere
        wrong = hashlib.sha256(b"other").hexdigest()
        assert root_of("sha256", wrong, proofs[0].siblings) != proofs[0].root
        assert root_of("sha256", leaves[0][1], (wrong, *proofs[0].siblings[1:])) != proofs[0].root
    else:
        assert proofs[0].root == leaves[0][1]  # one leaf: it is the root


def test_parent_rule_is_what_sort_and_sha256sum_compute():
    a, b = hashlib.sha256(b"a").hexdigest(), hashlib.sha256(b"b").hexdigest()
    proof = build_proofs("sha256", [("x", a), ("y", b)])[0]
    shell = subprocess.run(["bash", "-c", f"printf '%s\\n%s\\n' {b} {a} | LC_ALL=C sort | sha256sum"],
                           capture_output=True, text=True, check=True).stdout.split()[0]
    assert proof.root == shell


@pytest.mark.parametrize("broken", [
    b"", b"statement-archive hash-tree proof 1\ndigest md5\nleaf x\nroot 00\n",
    b"statement-archive hash-tree proof 1\ndigest sha256\nleaf x\nroot " + b"A" * 64 + b"\n",
    b"statement-archive hash-tree proof 1\ndigest sha256\nleaf x\nroot " + b"0" * 64,
])
def test_malformed_proofs_are_refused(broken):
    with pytest.raises(ValueError, match="ASCII|newline|first line|line 2|line 3|last line|line [0-9]"):
        parse_proof(broken)
    good = b"statement-archive hash-tree proof 1\ndigest sha256\nleaf x\nroot " + b"0" * 64 + b"\n"
    assert parse_proof(good).root == "0" * 64


def test_seal_usage_errors_exit_2(tmp_path):
    assert main(["reseal"], io.StringIO(), io.StringIO()) == 2  # --before is required
    create_key(tmp_path / "k", "Office", None, NOW)
    seal = ["seal", "--archive", str(tmp_path), "--key", str(tmp_path / "k"), "--tsa", "http://127.0.0.1:9/"]
    assert main([*seal, "--no-passphrase", "no-such-package-2026-01-01-v0001"], io.StringIO(), io.StringIO()) == 2
    assert main([*seal, "--no-passphrase", "../outside"], io.StringIO(), io.StringIO()) == 2
    code, report = run_cli(*seal, "--no-passphrase")  # control: a real archive with nothing to seal
    assert code == 0 and report["stages"][0]["items"] == []
