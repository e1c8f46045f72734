"""The archive commands: verify, events, export-premis, export, unpack."""

from __future__ import annotations

import argparse
import os
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from pipeline.core.errors import ArchiveError, ProblemsFound
from pipeline.core.records import Problem, StageReport
from pipeline.cli.context import Run, UsageProblem
from pipeline.core.clock import event_time

EXPORTS_DIR = "exports"  # default folder for `export` (in .gitignore)

def run_verify(run: Run) -> None:
    from pipeline.verify import verification_report, verify_archive, verify_bags

    args = run.args
    mode = ("fast" if getattr(args, "fast", False)
            else "completeness-only" if getattr(args, "completeness_only", False) else "full")
    checked = "bytes checked" if mode == "full" else f"bytes counted; {mode} check, nothing hashed"
    bags = getattr(args, "bags", None) or []
    if bags:  # named bags (e.g. BagIt 0.97 bags from other tools), not the archive
        if missing := [str(b) for b in bags if not b.exists() and not b.is_symlink()]:
            raise UsageProblem(f"no such bag: {', '.join(missing)}")
        with run.task("verify", len(bags)) as task:
            results = verify_bags(bags, mode=mode, progress=task.step)
        for bag in results:
            holes = sum(1 for p in bag.problems if p.code == "B024")
            incomplete = f"; incomplete: {holes} file{'s' * (holes != 1)} to fetch" if holes else ""
            run.say(f"{'OK  ' if bag.ok else 'FAIL'} {bag.name} "
                    f"({bag.files_checked} files, {bag.bytes_checked} {checked}{incomplete})")
        run.stage(verification_report(results))
        return
    from pipeline.cli.seal_commands import seal_check_for

    from pipeline.cli.verify_options import due_selection

    selection = due_selection(run, lambda: _package_names(args.archive))  # --due, --budget
    seals = seal_check_for(run)  # every seal present; --require-seal
    workers = args.verify_workers or os.cpu_count() or 1  # as every stage: one per core
    with _log_check_aside(args.archive, mode == "full" and workers > 1 and selection is None) as log_check:
        with run.task("verify", None) as task:
            result = verify_archive(args.archive, mode=mode, sidecar_check=seals, workers=workers,
                                    only=selection.due if selection else None,
                                    keep_going=selection.keep_going if selection else None, progress=task.step)
    for package in result.packages:
        run.say(f"{'OK  ' if package.ok else 'FAIL'} {package.name} "
                f"({package.files_checked} files, {package.bytes_checked} {checked})")
    if not result.packages and selection is None:
        run.say(f"no packages under {args.archive}")
    if selection is not None:
        checked, failed = [p.name for p in result.packages], [p.name for p in result.packages if not p.ok]
        run.say(selection.summary(checked, failed))
        run.extra["due"] = selection.as_dict(checked, failed)
    if summary := seals.summary():
        run.say(summary)
    report = verification_report(result)
    if mode != "full":  # a fast or completeness check is no fixity check: log nothing
        run.stage(report)
        return
    log_problems = record_fixity_events(run, result, log_check)
    if not any(p.severity == "error" for p in log_problems):  # nothing chained to a damaged log
        seals.record_events(run)
    run.stage(StageReport(report.stage, report.problems + log_problems, report.items))



@contextmanager
def _log_check_aside(archive: Path, wanted: bool) -> Iterator[Future | None]:
    """With *wanted* (a full check of every package, in worker processes), the event
    log's check against the packages (``archive_log_problems``) started in a process of
    its own, so that it is done while the workers hash rather than after them (serial
    time that capped the speed-up of ``--workers 2``; with one worker there is no core
    to spare and it runs after the packages, as before). A process, not a thread: a
    thread would hold this process's GIL while it hands the workers their first files.
    None otherwise."""
    if not wanted:
        yield None
        return
    from pipeline.bagit.shared_digests import yield_to_parent
    from pipeline.events.check import archive_log_problems

    with ProcessPoolExecutor(max_workers=1, initializer=yield_to_parent) as aside:  # off the critical path too
        yield aside.submit(archive_log_problems, archive, True)


def record_fixity_events(run: Run, result, log_check: Future | None = None) -> tuple[Problem, ...]:
    """The event log's own problems (E…), after logging one fixity check per package.
    A damaged log gets nothing new chained to it; a log that cannot be written
    (a read-only copy of the archive) is a warning: verifying must still work.
    *log_check*: those problems already being found for an archive with packages
    (:func:`_log_check_aside`); used if packages were checked, else found here."""
    from pipeline.events.check import archive_log_problems
    from pipeline.events.log import EVENTS_NAME, append_events
    from pipeline.events.pipeline_events import fixity_events

    log = run.args.archive / EVENTS_NAME
    if log_check is not None and result.packages:
        problems = list(log_check.result())  # its exception, if any, is raised here, as it would be below
    else:
        problems = archive_log_problems(run.args.archive, bool(result.packages))
    if any(p.severity == "error" for p in problems):
        return (*problems, Problem("E009", str(log), "", "fixity results not recorded: "
                                   "the event log is damaged (see above); repair it first", "warning"))
    try:
        append_events(log, fixity_events(result, event_time()))
    except ArchiveError as exc:
        problems.append(Problem("E009", str(log), "", f"fixity results not recorded: {exc}", "warning"))
    return tuple(problems)



def _package_names(archive: Path) -> list[str]:
    from pipeline.archive.folder import list_packages

    if not archive.is_dir():
        raise ArchiveError(f"{archive} is not a folder; nothing to verify")
    return [name.name for name, _ in list_packages(archive)]


def cmd_verify(run: Run) -> None:
    run_verify(run)



def add_verify_arguments(verify: argparse.ArgumentParser) -> None:
    modes = verify.add_mutually_exclusive_group()
    modes.add_argument("--fast", action="store_true",
                       help="only compare Payload-Oxum (file count and bytes) with data/; nothing hashed")
    modes.add_argument("--completeness-only", action="store_true",
                       help="every file present and listed in every manifest; nothing hashed")
    from pipeline.cli.verify_options import add_schedule_arguments

    add_schedule_arguments(verify)  # --workers, --due, --budget
    verify.add_argument("bags", nargs="*", type=Path, metavar="BAG",
                        help="verify these bag folders (e.g. BagIt 0.97 bags from other tools) "
                             "instead of the archive")



def cmd_events(run: Run) -> None:
    from pipeline.events.check import head_sha256, verify_event_log
    from pipeline.events.log import EVENTS_NAME, read_events

    log = run.args.archive / EVENTS_NAME
    events = read_events(log)
    run.extra["events"] = [event.as_dict() for event in events]
    for e in events:
        objects = ", ".join(o.value for o in e.objects)
        run.say(f"{e.sequence:>5}  {e.date_time}  {e.event_type:<26}  {e.outcome:<7}  {objects}: {e.detail}")
    if not events:
        run.say(f"no events recorded in {log}")
    if run.args.check:
        problems = verify_event_log(log)
        run.extra["head_sha256"] = head_sha256(log)
        if not any(p.severity == "error" for p in problems):
            run.say(f"chain intact; head sha256 {run.extra['head_sha256']} (record it elsewhere "
                    "to detect a rewrite of the newest entries)")
        run.stage(StageReport("events", tuple(problems), tuple({"sequence": e.sequence} for e in events)))



def cmd_export_premis(run: Run) -> None:
    from pipeline.events.log import EVENTS_NAME
    from pipeline.events.premis import export_premis

    try:
        xml = export_premis(run.args.archive / EVENTS_NAME)
    except ProblemsFound as exc:
        run.stage(StageReport("events", exc.problems, ()))
        raise
    if run.args.output is None:
        if run.args.json:
            run.extra["premis"] = xml.decode("utf-8")
        else:
            run.out.write(xml.decode("utf-8"))
        return
    try:
        run.args.output.write_bytes(xml)
    except OSError as exc:
        raise UsageProblem(f"{run.args.output} cannot be written: {exc.strerror or exc}") from exc
    run.extra["output"] = str(run.args.output)
    run.say(f"wrote {run.args.output}")



def cmd_export(run: Run) -> None:
    from pipeline.export.tar import write_tar

    package = run.args.archive / run.args.package
    if not package.is_dir():
        raise UsageProblem(f"{package}: no such package")
    output = export_path(run.args.output, run.args.package)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageProblem(f"{output.parent} cannot be created: {exc.strerror or exc}") from exc
    write_tar(package, output)
    run.extra["tar"] = str(output)
    run.say(f"wrote {output}")



def export_path(output: str | None, package: str) -> Path:
    """--output FILE as given; --output DIR (an existing folder, or ending in /) gets
    DIR/PACKAGE.tar; no --output: exports/PACKAGE.tar, a folder git ignores."""
    if output is None:
        return Path(EXPORTS_DIR) / f"{package}.tar"
    if Path(output).is_dir() or output.endswith(("/", os.sep)):  # a str: Path() drops the slash
        return Path(output) / f"{package}.tar"
    return Path(output)



def cmd_unpack(run: Run) -> None:
    from pipeline.export.tar import read_tar
    from pipeline.archive.package_check import verify_bag

    target = read_tar(run.args.tar, run.args.into)
    run.extra["unpacked"] = str(target)
    run.say(f"unpacked {target}")
    result = verify_bag(target)
    run.stage(StageReport("verify", result.problems, (result.as_dict(),)))



def add_serialize_commands(commands, common: argparse.ArgumentParser) -> None:
    export = commands.add_parser(
        "export", parents=[common], help="write one package as a deterministic tar file",
        description="write one package as a deterministic tar file (regular files and folders only)")
    export.add_argument("package", help="package name, e.g. statements-2026-11-28-v0001")
    export.add_argument("--output", "-o", metavar="FILE|DIR",
                        help=f"tar file to write, or a folder to write PACKAGE.tar into "
                             f"(default: {EXPORTS_DIR}/PACKAGE.tar)")
    export.set_defaults(handler=cmd_export)
    unpack = commands.add_parser(
        "unpack", parents=[common], help="safely extract a package tar and verify it",
        description="extract a package tar (refusing absolute, '..', link and device members) and verify it")
    unpack.add_argument("tar", type=Path, help="the tar file")
    unpack.add_argument("--into", type=Path, required=True, help="folder to extract into")
    unpack.set_defaults(handler=cmd_unpack)

