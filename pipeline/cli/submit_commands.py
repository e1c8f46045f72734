"""The ``submit`` and ``submissions`` subcommands: options in, one stage call, print.

Kept beside the stage so ``pipeline/cli/`` only registers them. The clock,
the event log and the exit code are the CLI's: ``submit`` exits 0 when every
statement is confirmed at the target (now or earlier), 1 when any is not,
2 for an unusable target URL, and 4 when the archive cannot be read or its
newest package fails verification.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
from pathlib import Path
from typing import Any

from pipeline import SOFTWARE_AGENT
from pipeline.core.errors import ArchiveError, InputError
from pipeline.core.records import Problem, StageReport

TARGET_VARIABLE = "STATEMENT_ARCHIVE_TARGET"
DEFAULT_INBOX = "records-inbox"
LEDGER_NAME = "submissions.sqlite"


def add_submit_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    ledger = argparse.ArgumentParser(add_help=False)
    ledger.add_argument("--ledger", type=Path, default=None,
                        help=f"submission ledger (default: {LEDGER_NAME} beside the archive folder, "
                             "not inside it: verify would report it as a stray entry)")
    submit = commands.add_parser(
        "submit", parents=[common, ledger],
        help="send the PDFs of the newest verified package to the records system",
        description="Send each PDF of the newest package, with its metadata, to the records system; "
                    "confirm every copy by reading it back (or by the server's checksum) and record "
                    "every attempt in the ledger. Statements already confirmed at the target are not "
                    "sent again. Exit 0: all confirmed; 1: some not; 2: bad target; 4: archive "
                    "unreadable or its newest package fails verification.")
    submit.add_argument("--target", default=None, metavar="URL",
                        help=f"file:///folder/, webdav[s]://host/path/ or s3://bucket/prefix "
                             f"(default: ${TARGET_VARIABLE}, else file://./{DEFAULT_INBOX}/). "
                             "Credentials: STATEMENT_ARCHIVE_USER and STATEMENT_ARCHIVE_PASSWORD, or "
                             "~/.netrc (WebDAV); AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (S3)")
    submit.add_argument("--s3-endpoint", default=None, metavar="URL",
                        help="S3 endpoint URL (default: $STATEMENT_ARCHIVE_S3_ENDPOINT, else $AWS_ENDPOINT_URL, else AWS)")
    submit.add_argument("--dry-run", action="store_true", help="show what would be sent; send nothing, record nothing")
    submit.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS", help="per request (default: 60)")
    submit.add_argument("--tries", type=int, default=5, metavar="N",
                        help="tries per request on connection errors, timeouts and 5xx (default: 5)")
    submit.set_defaults(handler=cmd_submit)
    listing = commands.add_parser(
        "submissions", parents=[common, ledger],
        help="list what was submitted, what is pending and what failed",
        description="List the submission ledger: the latest attempt of each statement at each target "
                    "(confirmed, pending or failed), or every attempt with --all.")
    listing.add_argument("--all", action="store_true", help="every attempt, oldest first")
    listing.add_argument("--target", default=None, metavar="URL", help="only this target (as listed)")
    listing.set_defaults(handler=cmd_submissions)


def ledger_path(args: argparse.Namespace) -> Path:
    return args.ledger or args.archive.absolute().parent / LEDGER_NAME


def target_url(args: argparse.Namespace) -> str:
    return args.target or os.environ.get(TARGET_VARIABLE) or (Path.cwd() / DEFAULT_INBOX).as_uri() + "/"


def cmd_submit(run: Any) -> None:
    from pipeline.cli.context import UsageProblem
    from pipeline.core.clock import event_time
    from pipeline.submit.ledger import open_ledger
    from pipeline.submit.plan import newest_verified_package
    from pipeline.submit.retry import RetryPolicy
    from pipeline.submit.stage import SubmitOptions, plan_only, submit_package
    from pipeline.submit.targets import TargetOptions, open_target

    args = run.args
    if args.tries < 1 or args.timeout <= 0:
        raise UsageProblem("--tries must be at least 1 and --timeout more than 0")
    try:
        target = open_target(target_url(args), TargetOptions(timeout=args.timeout, s3_endpoint=args.s3_endpoint))
    except InputError as exc:
        raise UsageProblem(str(exc)) from None
    try:
        selected = newest_verified_package(args.archive)
    except ArchiveError as exc:
        run.reports.append(StageReport("submit", (Problem("S001", str(args.archive), "", str(exc)),)))
        raise
    run.progress(f"submitting {selected.name} ({len(selected.items)} statement(s)) to {target.url}")
    run.extra["submit"] = {"package": selected.name, "target": target.url, "dry_run": args.dry_run,
                           "ledger": str(ledger_path(args))}
    if args.dry_run:
        if ledger_path(args).is_file():
            with open_ledger(ledger_path(args), create=False) as ledger:
                outcome = plan_only(selected, target, ledger)
        else:
            outcome = plan_only(selected, target, None)
    else:
        with open_ledger(ledger_path(args), exclusive=True) as ledger, \
                run.task("submit", len(selected.items)) as task:
            options = SubmitOptions(agent=SOFTWARE_AGENT, retry=RetryPolicy(attempts=args.tries),
                                    progress=task.step)
            outcome = submit_package(selected, target, ledger, clock=event_time, options=options)
            log_problems = record_transfer_events(run, ledger)
        outcome = dataclasses.replace(outcome, problems=outcome.problems + log_problems)
    for item in outcome.items:
        run.say(f"{item.status:<17} {item.identifier}  {item.location}")
    counts: dict[str, int] = {}
    for item in outcome.items:
        counts[item.status] = counts.get(item.status, 0) + 1
    run.say(", ".join(f"{n} {status}" for status, n in sorted(counts.items())) + f" → {target.url}")
    run.stage(outcome.report())


def record_transfer_events(run: Any, ledger: Any) -> tuple[Problem, ...]:
    """One PREMIS "transfer" event per confirmed transfer not yet in the event log
    (this run's, and any an earlier run confirmed but could not log)."""
    try:
        from pipeline.events.entry import location_link, package_link, software_agent, statement_link
        from pipeline.events.log import EVENTS_NAME, append_event
    except ImportError:  # an archive without an event log: the ledger keeps everything
        return ()
    log = run.args.archive / EVENTS_NAME
    problems = []
    for attempt in ledger.unlogged():
        when = dt.datetime.strptime(attempt.finished, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc)
        try:
            event = append_event(
                log, "transfer", when=when, outcome="success",
                detail=(f"{attempt.pdf_path} (sha256 {attempt.pdf_sha256}) and its metadata sent to "
                        f"{attempt.target} and confirmed; transfer {attempt.event_id}, ledger attempt {attempt.id}"),
                objects=[package_link(attempt.package), statement_link(attempt.identifier),
                         location_link(attempt.location, "outcome")],
                agents=[software_agent(attempt.agent)])
        except (ArchiveError, ValueError) as exc:
            problems.append(Problem("S006", str(log), attempt.location,
                                    f"transfer of {attempt.identifier} confirmed, but not logged: {exc}; "
                                    "it stays in the ledger and is logged by the next submit", "warning"))
            break  # the log is unusable now; the next run tries again
        ledger.mark_logged(attempt.id, event.identifier)
    return tuple(problems)


def cmd_submissions(run: Any) -> None:
    from pipeline.submit.ledger import open_ledger

    path = ledger_path(run.args)
    if not path.is_file():
        run.say(f"nothing submitted yet (no ledger at {path})")
        run.extra["submissions"] = []
        return
    with open_ledger(path, create=False) as ledger:
        rows = ledger.attempts(run.args.target) if run.args.all else [
            a for a in ledger.latest() if not run.args.target or a.target == run.args.target]
    run.extra["submissions"] = [a.as_dict() for a in rows]
    for a in rows:
        run.say(f"{a.status:<9} {a.identifier}  v{a.package_version:04d}  {a.finished or a.started}  "
                f"{a.location}" + (f"\n          {a.response}" if a.status != "confirmed" else ""))
    totals = {s: sum(1 for a in rows if a.status == s) for s in ("confirmed", "pending", "failed")}
    run.say(", ".join(f"{n} {s}" for s, n in totals.items()) + f" (ledger {path})")
