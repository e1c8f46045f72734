"""Renewal, hash-tree proofs across packages, several TSAs and revocation data in tokens:
real TSAs on 127.0.0.1, certificates made here, openssl as the independent checker."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

pytest.importorskip("pyhanko", reason="sealing needs pyHanko: pip install '.[seal]'")

from bagutil import flip_byte  # noqa: E402
from pipeline.seal.keys import load_key  # noqa: E402
from pipeline.seal.stage import reseal_packages, seal_packages  # noqa: E402
from pipeline.seal.verify_seal import verify_seal  # noqa: E402
from seal_pki import DAY, NOW, issue, running_tsa, write_key_dir  # noqa: E402
from sealutil import (  # noqa: E402,F401  (fixtures: pki, tsa, sealed)
    OPENSSL, codes, make_archive, openssl_check, pki, run_cli, sealed, tsa, verify,
)


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
