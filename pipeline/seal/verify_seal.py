"""Checking a seal: signature, certificate chains, timestamps, hash-tree proofs, renewals.

For a package ``P`` and its seal ``seals/P/`` (see :mod:`.layout`):

1. every step's ``proof.txt`` leads from its leaf file (``signature.p7s``, or
   the step's ``covers.txt``) to its root, and each token's message imprint
   is that root (A007, A005);
2. each renewal's ``covers.txt`` lists exactly the tag manifest, the
   signature and every file of the earlier steps, with their digests now (A008);
3. each token is signed by a TSA whose certificate chains to a trust anchor
   at the time the token is next proven to have existed: the next step's time,
   or now for the newest step; the token's own time lies in that certificate's
   validity (A005, A006);
4. the signature is intact over ``P/tagmanifest-sha512.txt`` as it is now
   (A003) and its certificate chains to a trust anchor at the time the first
   step proves the signature existed, so a certificate that expired after
   sealing does not invalidate the seal, and a timestamp after it expired does (A004).

pyHanko and its certificate validator do the cryptography; nothing here
parses ASN.1 by hand. Revocation: no network is used (``allow_fetching``
off, soft-fail), so a seal checks offline; CRLs and OCSP responses that a
token or the signature carries are used.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from asn1crypto import cms, x509 as asn1_x509
from pyhanko.sign.validation.generic_cms import async_validate_detached_cms, validate_tst_signed_data
from pyhanko_certvalidator import ValidationContext

from pipeline.core.records import Problem
from pipeline.seal.layout import (
    COVERS_FILE, PROOF_FILE, SEALED_FILE, SIGNATURE_FILE, STEP_PATTERN, TOKEN_PATTERN,
    sealed_path, step_name,
)
from pipeline.seal.tree import parse_proof, root_of, leaf_digest

# pyHanko logs validation failures with tracebacks; we report them as problems instead.
for _name in ("pyhanko", "pyhanko_certvalidator"):
    logging.getLogger(_name).addHandler(logging.NullHandler())
    logging.getLogger(_name).propagate = False


@dataclass(frozen=True)
class TokenFacts:
    file: str
    time: dt.datetime
    tsa: str
    tsa_not_after: dt.datetime | None


@dataclass(frozen=True)
class SealCheck:
    """What checking one seal found: problems, and facts for the event log."""

    package: str
    problems: tuple[Problem, ...]
    signer: str = ""
    steps: int = 0
    tokens: tuple[TokenFacts, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    def newest_expiry(self) -> dt.datetime | None:
        """When the newest step stops being provable: its last TSA certificate's end."""
        newest = [t for t in self.tokens if t.file.startswith(step_name(self.steps) + "/")]
        ends = [t.tsa_not_after for t in newest if t.tsa_not_after is not None]
        return max(ends) if ends else None


def read_nofollow(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as handle:
        return handle.read()


def step_files(seal: Path, step: int) -> list[str]:
    """Files of one step, seal-relative, sorted: covers, proof, tokens."""
    folder = seal / step_name(step)
    return sorted(f"{step_name(step)}/{name}" for name in os.listdir(folder))


def expected_covers(archive_dir: Path, package: str, seal: Path, step: int, digest: str) -> bytes:
    """What ``covers.txt`` of renewal *step* must say (and what a renewal writes)."""
    paths = [sealed_path(package), SIGNATURE_FILE]
    for earlier in range(1, step):
        paths += step_files(seal, earlier)
    lines = []
    for rel in paths:
        data = read_nofollow(archive_dir / package / SEALED_FILE if rel == paths[0] else seal / rel)
        lines.append(f"{leaf_digest(digest, data)}  {rel}\n")
    return "".join(lines).encode("utf-8")


def trust_context(anchors: Sequence[asn1_x509.Certificate], moment: dt.datetime,
                  signed: cms.SignedData | None = None) -> ValidationContext:
    """Offline validation at *moment*, with the CRLs and OCSP responses that *signed*
    carries (a TSA may put them in its token): used when present, never fetched."""
    crls, ocsps = [], []
    for choice in (signed["crls"] if signed is not None and signed["crls"].native else []):
        if choice.name == "crl":
            crls.append(choice.chosen)
        elif choice.chosen["other_rev_info_format"].native == "ocsp_response":
            ocsps.append(choice.chosen["other_rev_info"])
    return ValidationContext(trust_roots=list(anchors), moment=moment, crls=crls, ocsps=ocsps,
                             allow_fetching=False, revocation_mode="soft-fail")


def verify_seal(archive_dir: Path, package: str, anchors: Sequence[asn1_x509.Certificate],
                now: dt.datetime) -> SealCheck:
    seal = archive_dir / "seals" / package
    where = f"seals/{package}"
    problems: list[Problem] = []

    def problem(code: str, rel: str, message: str) -> None:
        problems.append(Problem(code, f"{where}/{rel}" if rel else where, "", message))

    steps = _layout_problems(seal, problem)
    if steps is None:
        return SealCheck(package, tuple(problems))
    if not anchors:
        problem("A009", "", "no trust anchors configured: pass --trust FILE.pem (or set "
                "STATEMENT_ARCHIVE_TRUST) naming the signer's and the TSAs' root certificates")
        return SealCheck(package, tuple(problems), steps=len(steps))
    tokens: dict[int, list[tuple[str, cms.ContentInfo, dt.datetime]]] = {}
    for number, token_files in steps:
        tokens[number] = _step_tokens(archive_dir, package, seal, number, token_files, problem)
    facts: list[TokenFacts] = []
    numbers = [n for n, _ in steps]
    for number in numbers:
        later = tokens.get(number + 1) or []
        moment = min((t for _, _, t in later), default=now)
        for rel, token, time in tokens[number]:
            facts.append(_check_token(rel, token, time, moment, anchors, problem))
    signer = _check_signature(archive_dir, package, seal, anchors, tokens.get(1) or [], now, problem)
    return SealCheck(package, tuple(problems), signer, len(steps), tuple(facts))


def _layout_problems(seal: Path, problem) -> list[tuple[int, list[str]]] | None:
    """(step number, token files) for each step, or None if the seal is unusable."""
    if seal.is_symlink() or not seal.is_dir():
        problem("A002", "", "not a folder (a symbolic link is not followed)")
        return None
    steps: list[tuple[int, list[str]]] = []
    for entry in sorted(os.listdir(seal)):
        path = seal / entry
        matched = STEP_PATTERN.fullmatch(entry)
        if entry == SIGNATURE_FILE and path.is_file() and not path.is_symlink():
            continue
        if not matched or path.is_symlink() or not path.is_dir():
            problem("A002", entry, "not part of a seal (added after sealing?)")
            continue
        number = int(matched.group(1))
        tokens = []
        for name in sorted(os.listdir(path)):
            inner = path / name
            allowed = name == PROOF_FILE or (name == COVERS_FILE and number > 1) \
                or TOKEN_PATTERN.fullmatch(name)
            if not allowed or inner.is_symlink() or not inner.is_file():
                problem("A002", f"{entry}/{name}", "not part of a seal step (added after sealing?)")
            elif TOKEN_PATTERN.fullmatch(name):
                tokens.append(name)
        for needed in (PROOF_FILE, *((COVERS_FILE,) if number > 1 else ())):
            if not (path / needed).is_file():
                problem("A002", f"{entry}/{needed}", "missing")
        if not tokens:
            problem("A002", entry, "has no timestamp token")
        steps.append((number, tokens))
    if not (seal / SIGNATURE_FILE).is_file() or (seal / SIGNATURE_FILE).is_symlink():
        problem("A002", SIGNATURE_FILE, "missing")
        return None
    if [n for n, _ in steps] != list(range(1, len(steps) + 1)):
        problem("A008", "", f"steps {', '.join(step_name(n) for n, _ in steps) or '(none)'} "
                "are not numbered 1, 2, 3…: a step is missing")
        return None
    return steps


def _step_tokens(archive_dir: Path, package: str, seal: Path, number: int, names: list[str],
                 problem) -> list[tuple[str, cms.ContentInfo, dt.datetime]]:
    """Tokens of one step whose imprint is the root its proof leads to."""
    step = step_name(number)
    try:
        proof = parse_proof(read_nofollow(seal / step / PROOF_FILE))
    except (OSError, ValueError) as exc:
        problem("A007", f"{step}/{PROOF_FILE}", f"unreadable proof: {exc}")
        return []
    expected_leaf = SIGNATURE_FILE if number == 1 else COVERS_FILE
    if proof.leaf_file != expected_leaf:
        problem("A007", f"{step}/{PROOF_FILE}", f"leaf is {proof.leaf_file!r}, expected {expected_leaf!r}")
        return []
    leaf_path = seal / (SIGNATURE_FILE if number == 1 else f"{step}/{COVERS_FILE}")
    try:
        leaf = leaf_digest(proof.digest, read_nofollow(leaf_path))
        if number > 1 and read_nofollow(leaf_path) != expected_covers(
                archive_dir, package, seal, number, proof.digest):
            problem("A008", f"{step}/{COVERS_FILE}", "does not match the tag manifest, signature "
                    "and earlier steps as they are now: one of them changed after this renewal")
    except OSError as exc:
        problem("A002", f"{step}", f"cannot be read: {exc.strerror or exc}")
        return []
    if root_of(proof.digest, leaf, proof.siblings) != proof.root:
        problem("A007", f"{step}/{PROOF_FILE}", f"{expected_leaf} and the siblings do not lead "
                "to the root: the file or the proof changed")
        return []
    found = []
    for name in names:
        rel = f"{step}/{name}"
        try:
            token = cms.ContentInfo.load(read_nofollow(seal / rel))
            info = token["content"]["encap_content_info"]["content"].parsed
            imprint = info["message_imprint"]
            algorithm = imprint["hash_algorithm"]["algorithm"].native
            if algorithm != proof.digest or imprint["hashed_message"].native != bytes.fromhex(proof.root):
                problem("A005", rel, "message imprint is not the root of the proof")
                continue
            found.append((rel, token, info["gen_time"].native))
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            problem("A005", rel, "not a readable RFC 3161 timestamp token")
    return found


def _check_token(rel: str, token: cms.ContentInfo, time: dt.datetime, moment: dt.datetime,
                 anchors, problem) -> TokenFacts:
    root = token["content"]["encap_content_info"]["content"].parsed["message_imprint"]["hashed_message"].native
    try:
        status = asyncio.run(validate_tst_signed_data(
            token["content"], trust_context(anchors, moment, token["content"]), lambda _algorithm: root))
    except Exception as exc:  # pyHanko raises several kinds for a malformed token
        problem("A005", rel, f"timestamp signature cannot be checked: {exc}")
        return TokenFacts(rel, time, "", None)
    cert = status.get("signing_cert")
    tsa = cert.subject.human_friendly if cert is not None else ""
    not_after = cert["tbs_certificate"]["validity"]["not_after"].native if cert is not None else None
    not_before = cert["tbs_certificate"]["validity"]["not_before"].native if cert is not None else None
    if not (status.get("intact") and status.get("valid")):
        problem("A005", rel, "the TSA's signature over the timestamp is not valid (token altered)")
    elif "REVOKED" in _indication(status.get("trust_problem_indic")):
        problem("A006", rel, f"the TSA certificate ({tsa}) was revoked before {_iso(moment)}, "
                "says the revocation data in the token")
    elif status.get("trust_problem_indic") is not None or status.get("validation_path") is None:
        problem("A006", rel, f"the TSA certificate ({tsa}) does not chain to a trust anchor at "
                f"{_iso(moment)}: {_indication(status.get('trust_problem_indic'))}"
                + ("; renew the seal (`statement-archive reseal`) before a TSA certificate "
                   "expires" if not_after and not_after < moment else ""))
    elif not_before and not_after and not (not_before <= time <= not_after):
        problem("A006", rel, f"the token's time {_iso(time)} is outside its TSA certificate's validity")
    return TokenFacts(rel, time, tsa, not_after)


def _check_signature(archive_dir: Path, package: str, seal: Path, anchors, first_tokens, now,
                     problem) -> str:
    try:
        signed = cms.ContentInfo.load(read_nofollow(seal / SIGNATURE_FILE))["content"]
        data = read_nofollow(archive_dir / package / SEALED_FILE)
    except OSError as exc:
        problem("A003", SIGNATURE_FILE, f"cannot be read: {exc.strerror or exc}")
        return ""
    except ValueError:
        problem("A003", SIGNATURE_FILE, "not a CMS signature")
        return ""
    proven = min((t for _, _, t in first_tokens), default=None)
    try:
        status = asyncio.run(async_validate_detached_cms(
            data, signed, signer_validation_context=trust_context(anchors, proven or now, signed)))
    except Exception as exc:  # a malformed signature: pyHanko raises several kinds
        problem("A003", SIGNATURE_FILE, f"cannot be checked: {exc}")
        return ""
    signer = status.signing_cert.subject.human_friendly
    if not status.intact:
        problem("A003", SIGNATURE_FILE, f"does not match {package}/{SEALED_FILE}: the tag "
                "manifest (and so the package) changed after sealing")
    elif not status.valid:
        problem("A003", SIGNATURE_FILE, "the signature value is not valid (altered)")
    elif not status.trusted:
        when = f"at {_iso(proven)}, the time the first timestamp proves" if proven else "now"
        problem("A004", SIGNATURE_FILE, f"the signer's certificate ({signer}) is not valid or does "
                f"not chain to a trust anchor {when}: {_indication(status.trust_problem_indic)}")
    return signer


def _indication(indic) -> str:
    return getattr(indic, "name", None) or str(indic or "no validation path")


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
