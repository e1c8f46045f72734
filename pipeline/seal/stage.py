"""The seal stage: seal packages, and renew seals, with one TSA request per TSA per run.

Every package of a run is signed, each signature becomes a leaf of one hash
tree (:mod:`.tree`), and each TSA is asked once, for the root. Renewal
(``reseal``) does the same with each seal's new ``covers.txt`` as the leaf.
Nothing is written until every TSA has answered, and each seal or step is
built in ``seals/.incoming/`` and renamed into place, so a failure or a crash
leaves the archive as it was.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping, Sequence

from pipeline.archive.folder import archive_lock
from pipeline.core.files import fsync_dir
from pipeline.core.errors import ArchiveError, StageError
from pipeline.core.records import Problem
from pipeline.seal.keys import SigningKey
from pipeline.seal.layout import (
    COVERS_FILE, INCOMING, PROOF_FILE, SEALED_FILE, SEALS_DIR, SIGNATURE_FILE, seal_dir,
    step_name, token_name,
)
from pipeline.seal.sign import sign_detached, signer_for
from pipeline.seal.timestamp import DEFAULT_TIMEOUT, Token, request_token
from pipeline.seal.tree import Proof, build_proofs, leaf_digest
from pipeline.seal.verify_seal import SealCheck, expected_covers, read_nofollow

DEFAULT_DIGEST = "sha256"


@dataclass(frozen=True)
class SealOutcome:
    """One seal written or renewed: which step, over which root, from which TSAs."""

    package: str
    step: int
    root: str
    tsa_urls: tuple[str, ...]
    times: tuple[str, ...]
    signer: str = ""


def seal_packages(archive_dir: Path, packages: Sequence[str], key: SigningKey,
                  tsa_urls: Sequence[str], when: dt.datetime, *, digest: str = DEFAULT_DIGEST,
                  timeout: float = DEFAULT_TIMEOUT) -> tuple[SealOutcome, ...]:
    """Seal each of *packages* (names under *archive_dir*, not yet sealed)."""
    if not tsa_urls:
        raise StageError("no TSA given: pass --tsa URL or set STATEMENT_ARCHIVE_TSA",
                         [Problem("A010", "", "", "no TSA configured")])
    with _locked(archive_dir):
        for name in packages:
            if seal_dir(archive_dir, name).exists():
                raise StageError(f"{name} is already sealed", [Problem(
                    "A002", f"{SEALS_DIR}/{name}", "", "already sealed; a seal is never rewritten "
                    "(use `statement-archive reseal` to renew it)")])
        signer = signer_for(key)
        signatures = {name: sign_detached(signer, _tag_manifest(archive_dir, name), when)
                      for name in packages}
        proofs = build_proofs(digest, [(SIGNATURE_FILE, leaf_digest(digest, signatures[n]))
                                       for n in packages])
        tokens = _timestamps(tsa_urls, proofs, digest, timeout)
        _within_validity(key, tokens)
        for name, proof in zip(packages, proofs):
            write_seal(archive_dir, name, signatures[name], proof, tokens)
    return tuple(SealOutcome(n, 1, p.root, tuple(tsa_urls), _times(tokens), key.subject)
                 for n, p in zip(packages, proofs))


def reseal_packages(archive_dir: Path, checks: Mapping[str, SealCheck], tsa_urls: Sequence[str],
                    *, digest: str = DEFAULT_DIGEST, timeout: float = DEFAULT_TIMEOUT,
                    ) -> tuple[SealOutcome, ...]:
    """Add a renewal step to each seal in *checks* (verified just before, by the caller)."""
    if not tsa_urls:
        raise StageError("no TSA given: pass --tsa URL or set STATEMENT_ARCHIVE_TSA",
                         [Problem("A010", "", "", "no TSA configured")])
    names = sorted(checks)
    if not names:
        return ()
    with _locked(archive_dir):
        covers = {}
        for name in names:
            seal = seal_dir(archive_dir, name)
            covers[name] = expected_covers(archive_dir, name, seal, checks[name].steps + 1, digest)
        proofs = build_proofs(digest, [(COVERS_FILE, leaf_digest(digest, covers[n])) for n in names])
        tokens = _timestamps(tsa_urls, proofs, digest, timeout)
        for name, proof in zip(names, proofs):
            write_step(archive_dir, name, checks[name].steps + 1, proof, tokens, covers[name])
    return tuple(SealOutcome(n, checks[n].steps + 1, p.root, tuple(tsa_urls), _times(tokens),
                             checks[n].signer) for n, p in zip(names, proofs))


def write_seal(archive_dir: Path, package: str, signature: bytes, proof: Proof,
               tokens: Sequence[Token]) -> Path:
    """Write a seal folder (signature and step 1) aside, then rename it into place."""
    incoming = _incoming(archive_dir) / package
    step = incoming / step_name(1)
    step.mkdir(parents=True)
    _write(incoming / SIGNATURE_FILE, signature)
    _write_step_files(step, proof, tokens)
    fsync_dir(incoming)
    return _move(incoming, seal_dir(archive_dir, package))


def write_step(archive_dir: Path, package: str, number: int, proof: Proof, tokens: Sequence[Token],
               covers: bytes) -> Path:
    incoming = _incoming(archive_dir) / f"{package}.{step_name(number)}"
    incoming.mkdir()
    _write(incoming / COVERS_FILE, covers)
    _write_step_files(incoming, proof, tokens)
    return _move(incoming, seal_dir(archive_dir, package) / step_name(number))


def _timestamps(tsa_urls: Sequence[str], proofs: Sequence[Proof], digest: str,
                timeout: float) -> list[Token]:
    root = bytes.fromhex(proofs[0].root)  # one tree: every proof has the same root
    return [request_token(url, digest, root, timeout) for url in tsa_urls]


def _within_validity(key: SigningKey, tokens: Sequence[Token]) -> None:
    """Refuse a seal whose timestamp falls outside the signer's certificate: it would never verify."""
    cert = key.certificate
    for token in tokens:
        when = token.info["gen_time"].native
        if not cert.not_valid_before_utc <= when <= cert.not_valid_after_utc:
            raise StageError(f"{token.url} timestamped at {when:%Y-%m-%dT%H:%M:%SZ}, outside the "
                             "signing certificate's validity; nothing was sealed", [Problem(
                                 "A004", token.url, "", f"timestamp {when:%Y-%m-%dT%H:%M:%SZ} is outside "
                                 f"the validity of {key.subject}'s certificate "
                                 f"({cert.not_valid_before_utc:%Y-%m-%d} to "
                                 f"{cert.not_valid_after_utc:%Y-%m-%d}); nothing was sealed")])


def _times(tokens: Sequence[Token]) -> tuple[str, ...]:
    return tuple(t.info["gen_time"].native.strftime("%Y-%m-%dT%H:%M:%SZ") for t in tokens)


def _tag_manifest(archive_dir: Path, package: str) -> bytes:
    path = archive_dir / package / SEALED_FILE
    try:
        return read_nofollow(path)
    except OSError as exc:
        raise ArchiveError(f"{path} cannot be read: {exc.strerror or exc}") from exc


def _write_step_files(step: Path, proof: Proof, tokens: Sequence[Token]) -> None:
    _write(step / PROOF_FILE, proof.text())
    for number, token in enumerate(tokens, start=1):
        _write(step / token_name(number), token.der)
    fsync_dir(step)


def _write(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _incoming(archive_dir: Path) -> Path:
    path = archive_dir / SEALS_DIR / INCOMING
    path.mkdir(parents=True, exist_ok=True)
    return path


def _move(source: Path, target: Path) -> Path:
    if target.exists():
        raise ArchiveError(f"{target} appeared while sealing; nothing was replaced")
    os.rename(source, target)
    fsync_dir(target.parent)
    return target


@contextmanager
def _locked(archive_dir: Path) -> Iterator[None]:
    """The archive's exclusive lock, and a clean ``seals/.incoming/`` (a dead run's leftovers).
    A write that fails (full disk, read-only archive) is an ArchiveError (exit 4)."""
    try:
        with archive_lock(archive_dir):
            if (archive_dir / SEALS_DIR).is_symlink():
                raise ArchiveError(f"{archive_dir / SEALS_DIR} is a symbolic link; seals are "
                                   "written only inside the archive folder")
            leftovers = archive_dir / SEALS_DIR / INCOMING
            if leftovers.is_dir() and not leftovers.is_symlink():
                shutil.rmtree(leftovers)
            yield
            if leftovers.is_dir():
                leftovers.rmdir()  # empty: everything was renamed into place
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else f" {archive_dir}"
        raise ArchiveError(f"cannot write{where}: {exc.strerror or exc}; nothing was sealed "
                           "that is not complete") from exc
