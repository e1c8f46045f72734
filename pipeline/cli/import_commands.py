"""The ``import`` and ``review`` subcommands: web captures in, reviewed statements out.

``import`` exits 0 when every capture was drafted (or was already imported),
1 when any was refused, 2 for bad usage. ``review`` exits 0 when the draft was
marked reviewed, 1 when the officer declined, 2 when there is no terminal to
ask and no ``--yes``, 4 when the review could not be recorded in the archive's
event log (every review and every ``--accept`` is a "validation" event there).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from pipeline.cli.context import Run, UsageProblem
from pipeline.cli.stage_commands import parse_workers
from pipeline.core.clock import event_time
from pipeline.core.errors import ArchiveError, ProblemsFound
from pipeline.core.files import write_atomically

OUTCOMES = ("drafted", "accepted", "unchanged", "skipped", "refused")


def add_import_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    importing = commands.add_parser(
        "import", parents=[common],
        help="turn web captures (saved pages, text captures, WARC, WACZ) into draft statements",
        description="Write a draft statement for each capture: the capture byte for byte "
                    "(<id>.capture.<ext>), the statement's text extracted from it (<id>.txt) and drafted "
                    "metadata saying where each field came from (<id>.json, review status 'draft'). "
                    "A .txt file listing only URLs selects those pages from the WARC/WACZ files given. "
                    "Nothing is fetched. Importing a capture already imported changes nothing. "
                    "Exit 0: all drafted or unchanged; 1: some refused; 2: bad usage.")
    importing.add_argument("captures", nargs="+", type=Path, metavar="CAPTURE",
                           help="saved page (.html), text capture (.txt), WARC (.warc, .warc.gz), WACZ (.wacz), "
                                "or a URL list (.txt) of pages in those WARCs")
    importing.add_argument("--into", type=Path, default=Path("statements"),
                           help="statements folder to write the drafts into (default: statements)")
    importing.add_argument("--accept", action="store_true",
                           help="mark the drafts reviewed without review (batch work; recorded as such in "
                                "the metadata and the event log)")
    importing.add_argument("--workers", type=parse_workers, default=None,
                           help="worker processes for extraction (default: one per core)")
    importing.set_defaults(handler=cmd_import)
    review = commands.add_parser(
        "review", parents=[common],
        help="show an imported draft's text beside the dropped page furniture and mark it reviewed",
        description="Show what import kept and dropped from the capture, the text to be rendered and "
                    "where each drafted field came from; then ask whether to mark it reviewed. "
                    "The review is recorded in the archive's event log. "
                    "Exit 0: reviewed; 1: declined; 2: no terminal to ask (use --yes); 4: the event log cannot be "
                    "written.")
    review.add_argument("identifier", metavar="ID")
    review.add_argument("--statements", type=Path, default=Path("statements"),
                        help="statements folder (default: statements)")
    review.add_argument("--by", default="", help="the reviewer's name, recorded in the metadata and the event log "
                                                 "(default: the account running the command, in the log only)")
    review.add_argument("--yes", action="store_true", help="mark reviewed without asking (after reading the output)")
    review.set_defaults(handler=cmd_review)


def cmd_import(run: Run) -> None:
    from pipeline.importer.stage import ImportOptions, import_captures

    args = run.args
    if not args.into.is_dir():
        raise UsageProblem(f"{args.into}: no such statements folder")

    def progress(index: int, total: int, origin: str, outcome: str) -> None:
        width = 30
        filled = width * index // max(total, 1)
        run.progress(f"[{'#' * filled}{'.' * (width - filled)}] {index}/{total} {outcome}: {origin[-60:]}")

    report = import_captures(args.captures, ImportOptions(args.into, args.accept, args.workers),
                             progress=progress)
    run.reports.append(report)
    run.reported.update(report.problems)  # printed here, so not a second time on the way out
    for problem in report.problems:
        run.say(str(problem))
    for item in report.items:
        if item["outcome"] == "unchanged":
            run.say(f"{item['input']}: unchanged: {item['why']}")
    counts = {outcome: sum(1 for i in report.items if i["outcome"] == outcome) for outcome in OUTCOMES}
    attention = sum(1 for i in report.items if i.get("needs_attention"))
    run.extra["summary"] = {**counts, "needs_attention": attention}
    run.say("")
    run.say(f"{'drafted':>10} {'accepted':>9} {'unchanged':>10} {'skipped':>8} {'refused':>8} {'needs attention':>16}")
    run.say(f"{counts['drafted']:>10} {counts['accepted']:>9} {counts['unchanged']:>10} {counts['skipped']:>8} "
            f"{counts['refused']:>8} {attention:>16}")
    if counts["unchanged"] and not (counts["drafted"] or counts["accepted"]):
        run.say("nothing changed: every capture was already imported")
    accepted = [i["identifier"] for i in report.items if i["outcome"] == "accepted"]
    if accepted:
        _log_acceptance(run, accepted)
    if not report.ok:
        raise ProblemsFound(f"import refused {counts['refused']} capture(s)", report.errors)


def _log_acceptance(run: Run, identifiers: list[str]) -> None:
    from pipeline.events.review_events import acceptance_event

    try:
        _append(run, acceptance_event(identifiers, getpass.getuser(), event_time()))
    except (ArchiveError, OSError) as exc:
        run.say(f"E009 {run.args.archive}: the acceptance was not recorded in the event log: {exc}")


def _append(run: Run, event: Any) -> None:
    from pipeline.events.log import EVENTS_NAME, append_events

    run.args.archive.mkdir(parents=True, exist_ok=True)
    append_events(run.args.archive / EVENTS_NAME, [event])


def cmd_review(run: Run) -> None:
    from pipeline.events.review_events import officer, review_event
    from pipeline.importer.review import load_review, reviewed_metadata, review_lines

    args = run.args
    case = load_review(args.statements, args.identifier)
    for line in review_lines(case):
        run.say(line)
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageProblem("review asks before marking a draft reviewed: run it in a terminal, "
                               "or give --yes after reading the output")
        answer = input(f"Mark {case.identifier} as reviewed? [y/N] ").strip().lower()
        if answer not in ("y", "yes"):
            run.say("not marked reviewed")
            raise ProblemsFound(f"{case.identifier} was not marked reviewed", [])
    now = event_time()
    when = now.replace(microsecond=0).isoformat().replace("+00:00", "Z")
    write_atomically(case.metadata_path, reviewed_metadata(case, by=args.by, at=when))
    run.extra["reviewed"] = case.identifier
    run.say(f"{case.identifier}: marked reviewed")
    attention = len(case.metadata["review"].get("needs_attention") or [])
    event = review_event(case.identifier, case.body_sha256, officer(args.by, getpass.getuser()), now, attention)
    try:
        _append(run, event)
    except (ArchiveError, OSError) as exc:
        raise ArchiveError(f"E009 {run.args.archive}: {case.identifier} is marked reviewed in its metadata but "
                           f"the review was not recorded in the event log ({exc}); run review again once the "
                           "archive can be written") from None
