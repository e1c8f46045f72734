"""Sealing commands: ``keys init``, ``keys import``, ``seal``, ``reseal``; ``build --seal``;
and the seal check that ``verify`` runs (``--require-seal``, ``--trust``).

Configuration (all optional; with none of it nothing is sealed and nothing changes):
``STATEMENT_ARCHIVE_SEAL_KEY`` (key folder), ``STATEMENT_ARCHIVE_TSA`` (TSA URLs,
space-separated), ``STATEMENT_ARCHIVE_TRUST`` (PEM files of trust anchors,
``:``-separated); the options ``--key``, ``--tsa`` and ``--trust`` win.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
from pathlib import Path
from typing import Sequence

from pipeline import SOFTWARE_AGENT
from pipeline.core.errors import ArchiveError, EnvironmentProblem, ProblemsFound, StageError
from pipeline.core.records import Problem, StageReport
from pipeline.cli.context import Run, UsageProblem, parse_date
from pipeline.core.clock import event_time

KEY_VARIABLE, TSA_VARIABLE, TRUST_VARIABLE = (
    "STATEMENT_ARCHIVE_SEAL_KEY", "STATEMENT_ARCHIVE_TSA", "STATEMENT_ARCHIVE_TRUST")


def _need_pyhanko() -> None:
    try:
        import pyhanko  # noqa: F401
    except ImportError:
        raise EnvironmentProblem("sealing needs pyHanko: pip install '.[seal]'") from None


def _key_dir(args) -> Path | None:
    named = getattr(args, "key", None) or os.environ.get(KEY_VARIABLE)
    return Path(named) if named else None


def _tsa_urls(args) -> list[str]:
    return list(getattr(args, "tsa", None) or os.environ.get(TSA_VARIABLE, "").split())


def _trust_anchors(args) -> list:
    from pipeline.seal.keys import load_certificates
    from pipeline.seal.sign import asn1_certificate

    files = getattr(args, "trust", None) or [p for p in os.environ.get(TRUST_VARIABLE, "").split(os.pathsep) if p]
    return [asn1_certificate(c) for f in files for c in load_certificates(Path(f))]


def _load_signing_key(args):
    from pipeline.seal.keys import load_key, passphrase_from

    key_dir = _key_dir(args)
    if key_dir is None:
        raise UsageProblem(f"sealing is not configured: pass --key DIR or set {KEY_VARIABLE} "
                           "(README: Sealing)")
    if not _tsa_urls(args):
        raise UsageProblem(f"no TSA: pass --tsa URL or set {TSA_VARIABLE} (README: Sealing)")
    return load_key(key_dir, None if args.no_passphrase else passphrase_from())


def _agents(signer: str, tsas: Sequence[str]):
    from pipeline.events.entry import Link, software_agent

    return (software_agent(), *((Link("certificate subject", signer, "signer"),) if signer else ()),
            *(Link("timestamping authority", t, "timestamping authority") for t in tsas))


def _log(run: Run, drafts) -> None:
    from pipeline.events.log import EVENTS_NAME, append_events

    try:
        append_events(run.args.archive / EVENTS_NAME, drafts)
    except ArchiveError as exc:
        raise ArchiveError(f"seals were written, but their events were not recorded: {exc}") from exc


# -- keys ---------------------------------------------------------------------------

def _outside_archive(run: Run) -> None:
    out, archive = run.args.out.resolve(), run.args.archive.resolve()
    if out == archive or archive in out.parents:
        raise UsageProblem(f"{run.args.out} is inside the archive folder {run.args.archive}: "
                           "a private key never goes there; choose a folder outside it")


def cmd_keys_init(run: Run) -> None:
    _need_pyhanko()
    _outside_archive(run)
    from pipeline.seal.keys import create_key, passphrase_from

    passphrase = None if run.args.no_passphrase else passphrase_from(confirm=True)
    key = create_key(run.args.out, run.args.name, passphrase, event_time(), run.args.days)
    _report_key(run, key, passphrase is not None)


def cmd_keys_import(run: Run) -> None:
    _need_pyhanko()
    from pipeline.seal.keys import import_p12, passphrase_from

    _outside_archive(run)
    passphrase = None if run.args.no_passphrase else passphrase_from()
    _report_key(run, import_p12(run.args.p12, run.args.out, passphrase), passphrase is not None)


def _report_key(run: Run, key, encrypted: bool) -> None:
    from cryptography.hazmat.primitives import hashes

    fingerprint = key.certificate.fingerprint(hashes.SHA256()).hex()
    run.extra["key"] = {"folder": str(run.args.out), "subject": key.subject,
                        "certificate_sha256": fingerprint, "encrypted": encrypted,
                        "not_after": key.certificate.not_valid_after_utc.isoformat()}
    run.say(f"wrote {run.args.out}/key.pem ({'encrypted' if encrypted else 'NOT encrypted'}, "
            f"mode 600) and certificate.pem for {key.subject}; certificate SHA-256 {fingerprint}")
    run.say(f"give verifiers {run.args.out}/certificate.pem (or its CA) as a trust anchor")


# -- seal, reseal -------------------------------------------------------------------

def _packages(run: Run, names: Sequence[str]) -> list[str]:
    from pipeline.archive.folder import list_packages, parse_package_name

    archive = run.args.archive
    if not archive.is_dir():
        raise UsageProblem(f"{archive}: no such archive folder")
    for name in names:
        if parse_package_name(name) is None or not (archive / name).is_dir() or (archive / name).is_symlink():
            raise UsageProblem(f"{name}: no such package in {archive}")
    return sorted(names) if names else sorted(p.name for _, p in list_packages(archive))


def _bags_intact(run: Run, names: Sequence[str]) -> None:
    """A package is sealed (or renewed) only if it verifies now: a seal must not bless damage."""
    from pipeline.archive.package_check import verify_bag
    from pipeline.verify import verification_report

    results = [verify_bag(run.args.archive / n, label=n, package_rules=True) for n in names]
    report = verification_report(results)
    if not report.ok:
        run.stage(report)


def seal_unsealed(run: Run, key, names: Sequence[str] = ()) -> None:
    """Seal *names* (default: every package without a seal); one request per TSA."""
    from pipeline.events.entry import EventDraft, package_link
    from pipeline.seal.layout import seal_dir
    from pipeline.seal.stage import seal_packages

    todo = [n for n in _packages(run, names) if not seal_dir(run.args.archive, n).exists()]
    if names and len(todo) < len(names):
        raise UsageProblem(f"already sealed: {', '.join(sorted(set(names) - set(todo)))} "
                           "(a seal is never rewritten; `reseal` renews it)")
    if not todo:
        run.say("every package is sealed; nothing to do")
        run.stage(StageReport("seal", (), ()))
        return
    _bags_intact(run, todo)
    now = event_time()
    cert = key.certificate
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise ProblemsFound("the signing certificate is not valid now", [Problem(
            "A004", str(_key_dir(run.args)), "", f"the certificate of {key.subject} is valid "
            f"{cert.not_valid_before_utc:%Y-%m-%d} to {cert.not_valid_after_utc:%Y-%m-%d}, not now; "
            "nothing sealed")])
    run.progress(f"sealing {len(todo)} package(s)")
    try:
        outcomes = seal_packages(run.args.archive, todo, key, _tsa_urls(run.args), now)
    except StageError as exc:
        run.stage(StageReport("seal", exc.problems, ()))
        raise
    for o in outcomes:
        run.say(f"sealed {o.package}: timestamp {', '.join(o.times)} over root {o.root[:16]}…")
    run.extra["seals"] = [vars(o) | {"tsa_urls": list(o.tsa_urls), "times": list(o.times)} for o in outcomes]
    _log(run, [EventDraft("digital signature generation", now, "success",
                          f"CAdES-BES signature over {o.package}/tagmanifest-sha512.txt, RFC 3161 "
                          f"timestamp {', '.join(o.times)} over hash-tree root {o.root} "
                          f"({len(outcomes)} package(s) in one request per TSA)",
                          (package_link(o.package),), _agents(o.signer, o.tsa_urls)) for o in outcomes])
    run.stage(StageReport("seal", (), tuple({"package": o.package, "step": o.step} for o in outcomes)))


def cmd_seal(run: Run) -> None:
    _need_pyhanko()
    seal_unsealed(run, _load_signing_key(run.args), run.args.packages)


def cmd_reseal(run: Run) -> None:
    _need_pyhanko()
    from pipeline.events.entry import EventDraft, package_link
    from pipeline.seal.layout import seal_dir
    from pipeline.seal.stage import reseal_packages
    from pipeline.seal.verify_seal import verify_seal

    if not _tsa_urls(run.args):
        raise UsageProblem(f"no TSA: pass --tsa URL or set {TSA_VARIABLE}")
    now = event_time()
    before = dt.datetime.combine(run.args.before, dt.time(), dt.timezone.utc)
    sealed = [n for n in _packages(run, run.args.packages) if seal_dir(run.args.archive, n).is_dir()]
    _bags_intact(run, sealed)
    anchors = _trust_anchors(run.args)
    checks = {n: verify_seal(run.args.archive, n, anchors, now) for n in sealed}
    run.stage(StageReport("verify seals", tuple(p for c in checks.values() for p in c.problems),
                          tuple({"package": n} for n in checks)))
    due = {n: c for n, c in checks.items() if (c.newest_expiry() or now) < before}
    for name in sorted(set(checks) - set(due)):
        run.say(f"{name}: newest timestamp provable until {checks[name].newest_expiry() or now:%Y-%m-%d}; not due")
    try:
        outcomes = reseal_packages(run.args.archive, due, _tsa_urls(run.args), digest=run.args.digest)
    except StageError as exc:
        run.stage(StageReport("reseal", exc.problems, ()))
        raise
    for o in outcomes:
        run.say(f"renewed {o.package}: step {o.step}, timestamp {', '.join(o.times)}")
    if outcomes:
        _log(run, [EventDraft("digital signature generation", now, "success",
                              f"seal renewed: step {o.step} timestamps ({', '.join(o.times)}) the "
                              f"previous evidence of {o.package} through hash-tree root {o.root}",
                              (package_link(o.package),), _agents("", o.tsa_urls)) for o in outcomes])
    run.extra["renewed"] = [o.package for o in outcomes]
    run.stage(StageReport("reseal", (), tuple({"package": o.package, "step": o.step} for o in outcomes)))


# -- build --seal, verify ------------------------------------------------------------

def _build_then_seal(original):
    def cmd_build(run: Run) -> None:
        if not run.args.seal:
            return original(run)
        _need_pyhanko()
        key = _load_signing_key(run.args)  # before rendering: a missing passphrase fails fast
        original(run)
        try:
            seal_unsealed(run, key)
        except StageError as exc:  # the package is archived: say so, not "nothing was archived"
            raise ProblemsFound("the packages were written, but are not sealed: run "
                                "`statement-archive seal` once the problem is fixed", exc.problems) from None
    return cmd_build


class SealHook:
    """The ``verify`` hook (``pipeline.verify.SidecarCheck``): every seal, and A001 with
    ``--require-seal``. Keeps what it found, for the event log."""

    def __init__(self, args, now: dt.datetime):
        self.args, self.now, self.checks = args, now, []

    def __call__(self, archive_dir: Path, names: Sequence[str]):
        from pipeline.seal.archive_check import check_archive_seals

        def anchors() -> list:  # only where there is a seal to check: pyHanko is an extra
            _need_pyhanko()
            return _trust_anchors(self.args)

        per_package, extra, self.checks = check_archive_seals(
            archive_dir, names, anchors, self.now, require=getattr(self.args, "require_seal", False))
        return per_package, extra

    def summary(self) -> str | None:
        if not self.checks:
            return None
        bad = [c.package for c in self.checks if not c.ok]
        return (f"seals: {len(self.checks)} checked, "
                + (f"{len(bad)} failed ({', '.join(bad)})" if bad else "all valid"))

    def record_events(self, run: Run) -> None:
        from pipeline.events.entry import EventDraft, package_link

        drafts = []
        for check in self.checks:
            errors = sorted({p.code for p in check.problems if p.severity == "error"})
            detail = (f"errors: {', '.join(errors)}" if errors else
                      f"signature, certificate chains, {check.steps} timestamp step(s) and "
                      "hash-tree proofs valid; the sealed tag manifest matches the package")
            drafts.append(EventDraft("digital signature validation", self.now,
                                     "failure" if errors else "success", detail,
                                     (package_link(check.package),),
                                     _agents(check.signer, sorted({t.tsa for t in check.tokens if t.tsa}))))
        try:
            from pipeline.events.log import EVENTS_NAME, append_events

            append_events(run.args.archive / EVENTS_NAME, drafts)
        except ArchiveError:
            pass  # verify already warned (E009) if the log cannot take the fixity results


def seal_check_for(run: Run) -> SealHook:
    return SealHook(run.args, event_time())


# -- parsers ------------------------------------------------------------------------

def add_seal_commands(commands, common: argparse.ArgumentParser) -> None:
    passphrase = argparse.ArgumentParser(add_help=False)
    passphrase.add_argument("--no-passphrase", action="store_true",
                            help="the key has no passphrase (otherwise it comes from "
                                 "STATEMENT_ARCHIVE_KEY_PASSPHRASE or a prompt on a terminal)")
    sealing = argparse.ArgumentParser(add_help=False)
    sealing.add_argument("--key", type=Path, help=f"key folder (default: ${KEY_VARIABLE})")
    sealing.add_argument("--tsa", action="append", metavar="URL",
                         help=f"RFC 3161 timestamp authority; repeat for several (default: ${TSA_VARIABLE})")
    trusting = argparse.ArgumentParser(add_help=False)
    trusting.add_argument("--trust", action="append", type=Path, metavar="FILE.pem",
                          help=f"trust anchors for signers and TSAs; repeatable (default: ${TRUST_VARIABLE})")

    keys = commands.add_parser("keys", help="create or import the office's signing key",
                               description="create or import the office's signing key")
    key_commands = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    init = key_commands.add_parser("init", parents=[common, passphrase], help="create a key and a self-signed certificate",
                                   description="create a signing key (ECDSA P-384) and a self-signed certificate")
    init.add_argument("--out", type=Path, required=True, help="key folder to create (kept outside archive/)")
    init.add_argument("--name", required=True, help="the office's name, e.g. 'Embassy press office'")
    init.add_argument("--days", type=int, default=3650, help="certificate validity in days (default: 3650)")
    init.set_defaults(handler=cmd_keys_init)
    imp = key_commands.add_parser("import", parents=[common, passphrase], help="take a key from a PKCS #12 file",
                                  description="take a key, certificate and chain from the organisation's PKI (.p12)")
    imp.add_argument("p12", type=Path, metavar="FILE.p12", help="the PKCS #12 file")
    imp.add_argument("--out", type=Path, required=True, help="key folder to create (kept outside archive/)")
    imp.set_defaults(handler=cmd_keys_import)

    seal = commands.add_parser("seal", parents=[common, sealing, passphrase],
                               help="sign and timestamp packages (default: every unsealed one)",
                               description="write a detached CAdES signature over each package's "
                                           "tagmanifest-sha512.txt and one RFC 3161 timestamp per TSA "
                                           "over the hash tree of all of them, to archive/seals/")
    seal.add_argument("packages", nargs="*", metavar="PACKAGE", help="package names (default: all unsealed)")
    seal.set_defaults(handler=cmd_seal)
    reseal = commands.add_parser("reseal", parents=[common, sealing, trusting],
                                 help="renew seals whose newest timestamp expires before a date",
                                 description="add a timestamp over the previous evidence of each seal whose "
                                             "newest TSA certificate expires before --before")
    reseal.add_argument("packages", nargs="*", metavar="PACKAGE", help="package names (default: all sealed)")
    reseal.add_argument("--before", type=parse_date, required=True, help="renew what expires before this date (YYYY-MM-DD)")
    reseal.add_argument("--digest", choices=("sha256", "sha384", "sha512"), default="sha256",
                        help="hash for the new step (a stronger one when the old one ages; default sha256)")
    reseal.set_defaults(handler=cmd_reseal)

    build = commands.choices["build"]
    build.add_argument("--seal", action="store_true", help=f"then seal every unsealed package "
                       f"(needs ${KEY_VARIABLE} and ${TSA_VARIABLE}, or --key and --tsa)")
    for action in sealing._actions + passphrase._actions:
        if action.option_strings and action.dest != "help":
            build._add_action(action)
    build.set_defaults(handler=_build_then_seal(build.get_default("handler")))
    verify = commands.choices["verify"]
    verify.add_argument("--require-seal", action="store_true", help="an unsealed package is an error (A001)")
    verify._add_action(trusting._actions[-1])
