"""Command line: parse, call the stages, print. No stage logic lives here.

Exit codes (also in README.md):
  0  success (including "nothing changed")
  1  problems found in statements, PDFs or packages (each is printed)
  2  bad usage (unknown option, missing folder)
  3  the machine lacks something the pipeline needs (fonts, pdftotext)
  4  the archive (or the build folder) cannot be written or read safely
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence, TextIO

from . import SOFTWARE_AGENT, __version__
from .errors import ArchiveError, EnvironmentProblem, PipelineError, ProblemsFound
from .records import Problem, RenderedStatement, Statement, StageReport

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_ENVIRONMENT, EXIT_ARCHIVE = 0, 1, 2, 3, 4
PROJECT_DIR = Path(__file__).resolve().parents[1]


@dataclass
class Run:
    """What one command did, for the human and the JSON report."""

    args: argparse.Namespace
    out: TextIO
    err: TextIO
    reports: list[StageReport] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def say(self, text: str) -> None:
        if not self.args.json:
            print(text, file=self.out)

    def progress(self, text: str) -> None:
        if not self.args.quiet:
            print(text, file=self.err, flush=True)

    def stage(self, report: StageReport) -> StageReport:
        self.reports.append(report)
        for problem in report.problems:
            self.say(str(problem))
        errors, warnings = len(report.errors), len(report.problems) - len(report.errors)
        self.say(f"{report.stage}: {len(report.items)} item(s), {errors} error(s), {warnings} warning(s)")
        if not report.ok:
            archiving = self.args.command in ("build", "package")
            consequence = "; nothing was archived" if archiving else ""
            raise ProblemsFound(f"{report.stage} found {errors} error(s){consequence}", report.errors)
        return report


def bagging_date(args: argparse.Namespace) -> dt.date:
    """Today in UTC, or SOURCE_DATE_EPOCH's date, or --date: the CLI owns the clock."""
    if args.date:
        return args.date
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date()
    return dt.datetime.now(dt.timezone.utc).date()


def event_time() -> dt.datetime:
    """Now in UTC, or the SOURCE_DATE_EPOCH instant: the time stamped on logged events.
    (--date is a package's date, not a time, so it does not move events.)"""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc)
    return dt.datetime.now(dt.timezone.utc)


def _render_config(args: argparse.Namespace):
    from .render import RenderConfig

    return RenderConfig(
        templates_dir=args.templates, fonts_dir=args.fonts, work_dir=args.build_dir,
        variant=args.variant, uncompressed=args.uncompressed,
    )


def _executor(args: argparse.Namespace):
    from .executors import executor_from

    return executor_from(args.executor, args.workers)


def _workers(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a number of worker processes (1 or more): {text!r}")
    return int(text)


def _pdf_dir(args: argparse.Namespace) -> Path:
    return args.build_dir / "pdf"


# -- stages as the CLI composes them ------------------------------------------

def run_validate(run: Run) -> list[Statement]:
    from .validate import validate_statements

    if not run.args.statements.is_dir():
        raise UsageProblem(f"{run.args.statements}: no such folder of statements")
    statements, report = validate_statements(run.args.statements, run.args.schema)
    run.stage(report)
    return statements


def run_render(run: Run, statements: list[Statement]) -> list[RenderedStatement]:
    from .render import render_statements

    total = len(statements)

    def progress(index: int, statement: Statement, what: str) -> None:
        run.progress(f"[{index}/{total}] {what}: {statement.identifier}")

    rendered, report = render_statements(
        statements, _pdf_dir(run.args), _render_config(run.args), force=run.args.force, progress=progress,
        executor=_executor(run.args),
    )
    run.stage(report)
    return rendered


def run_load_rendered(run: Run, statements: list[Statement]) -> list[RenderedStatement]:
    """The PDFs already rendered for exactly these inputs; stale ones are errors."""
    from .render import Renderer, load_rendered

    renderer = Renderer(_render_config(run.args))
    rendered, problems = [], []
    for statement in statements:
        found = load_rendered(statement, _pdf_dir(run.args), renderer.key(statement))
        if found is None:
            problems.append(Problem("P001", str(_pdf_dir(run.args) / f"{statement.identifier}.pdf"), "",
                                    "missing or stale (its statement, templates, fonts or options changed): "
                                    "run `make render` first"))
        else:
            rendered.append(found)
    run.stage(StageReport("rendered", tuple(problems), tuple({"identifier": r.statement.identifier} for r in rendered)))
    return rendered


def run_check(run: Run, rendered: list[RenderedStatement]) -> None:
    from .executors import check_changed

    run.progress(f"checking {len(rendered)} PDF(s)")
    run.stage(check_changed(rendered, run.args.workers))


def run_package(run: Run, rendered: list[RenderedStatement]) -> None:
    from .package import package_statements

    outcome = package_statements(
        rendered, run.args.archive, bagging_date=bagging_date(run.args), software_agent=SOFTWARE_AGENT,
    )
    run.extra["package"] = {
        "name": outcome.name, "path": str(outcome.path), "version": outcome.version,
        "created": outcome.created, "message": outcome.message, "statements": outcome.statements,
    }
    run.say(outcome.message)
    record_package_events(run, rendered, outcome)


def record_package_events(run: Run, rendered: list[RenderedStatement], outcome) -> None:
    """Log validation, digests and creation of a new package; nothing if none was written.
    A failed build logs nothing either: it did not touch the archive's holdings."""
    from .events import EVENTS_NAME, append_events, package_events

    drafts = package_events(outcome, [r.statement.identifier for r in rendered], event_time())
    if not drafts:
        return
    try:
        append_events(run.args.archive / EVENTS_NAME, drafts)
    except ArchiveError as exc:
        raise ArchiveError(f"{outcome.name} was written, but its events were not recorded: {exc}") from exc


def run_verify(run: Run) -> None:
    from .verify import verification_report, verify_archive, verify_bags

    args = run.args
    mode = ("fast" if getattr(args, "fast", False)
            else "completeness-only" if getattr(args, "completeness_only", False) else "full")
    checked = "bytes checked" if mode == "full" else f"bytes counted; {mode} check, nothing hashed"
    bags = getattr(args, "bags", None) or []
    if bags:  # named bags (e.g. BagIt 0.97 bags from other tools), not the archive
        if missing := [str(b) for b in bags if not b.exists() and not b.is_symlink()]:
            raise UsageProblem(f"no such bag: {', '.join(missing)}")
        results = verify_bags(bags, mode=mode)
        for bag in results:
            run.say(f"{'OK  ' if bag.ok else 'FAIL'} {bag.name} "
                    f"({bag.files_checked} files, {bag.bytes_checked} {checked})")
        run.stage(verification_report(results))
        return
    result = verify_archive(args.archive, mode=mode)
    for package in result.packages:
        run.say(f"{'OK  ' if package.ok else 'FAIL'} {package.name} "
                f"({package.files_checked} files, {package.bytes_checked} {checked})")
    if not result.packages:
        run.say(f"no packages under {args.archive}")
    report = verification_report(result)
    if mode != "full":  # a fast or completeness check is no fixity check: log nothing
        run.stage(report)
        return
    log_problems = record_fixity_events(run, result)
    run.stage(StageReport(report.stage, report.problems + log_problems, report.items))


def record_fixity_events(run: Run, result) -> tuple[Problem, ...]:
    """The event log's own problems (E…), after logging one fixity check per package.
    A damaged log gets nothing new chained to it; a log that cannot be written
    (a read-only copy of the archive) is a warning: verifying must still work."""
    from .eventcheck import archive_log_problems
    from .events import EVENTS_NAME, append_events, fixity_events

    log = run.args.archive / EVENTS_NAME
    problems = archive_log_problems(run.args.archive, bool(result.packages))
    if any(p.severity == "error" for p in problems):
        return (*problems, Problem("E009", str(log), "", "fixity results not recorded: "
                                   "the event log is damaged (see above); repair it first", "warning"))
    try:
        append_events(log, fixity_events(result, event_time()))
    except ArchiveError as exc:
        problems.append(Problem("E009", str(log), "", f"fixity results not recorded: {exc}", "warning"))
    return tuple(problems)


# -- commands -------------------------------------------------------------------

def cmd_validate(run: Run) -> None:
    run_validate(run)


def cmd_render(run: Run) -> None:
    run_render(run, run_validate(run))


def cmd_check(run: Run) -> None:
    run_check(run, run_load_rendered(run, run_validate(run)))


def cmd_package(run: Run) -> None:
    rendered = run_load_rendered(run, run_validate(run))
    run_check(run, rendered)
    run_package(run, rendered)


def cmd_build(run: Run) -> None:
    rendered = run_render(run, run_validate(run))
    run_check(run, rendered)
    run_package(run, rendered)


def cmd_export(run: Run) -> None:
    from .serialize import write_tar

    package = run.args.archive / run.args.package
    if not package.is_dir():
        raise UsageProblem(f"{package}: no such package")
    output = run.args.output or Path(f"{run.args.package}.tar")
    write_tar(package, output)
    run.extra["tar"] = str(output)
    run.say(f"wrote {output}")


def cmd_unpack(run: Run) -> None:
    from .serialize import read_tar
    from .verify import verify_bag

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
    export.add_argument("--output", type=Path, help="tar file to write (default: PACKAGE.tar)")
    export.set_defaults(handler=cmd_export)
    unpack = commands.add_parser(
        "unpack", parents=[common], help="safely extract a package tar and verify it",
        description="extract a package tar (refusing absolute, '..', link and device members) and verify it")
    unpack.add_argument("tar", type=Path, help="the tar file")
    unpack.add_argument("--into", type=Path, required=True, help="folder to extract into")
    unpack.set_defaults(handler=cmd_unpack)


def cmd_verify(run: Run) -> None:
    run_verify(run)


def add_verify_arguments(verify: argparse.ArgumentParser) -> None:
    modes = verify.add_mutually_exclusive_group()
    modes.add_argument("--fast", action="store_true",
                       help="only compare Payload-Oxum (file count and bytes) with data/; nothing hashed")
    modes.add_argument("--completeness-only", action="store_true",
                       help="every file present and listed in every manifest; nothing hashed")
    verify.add_argument("bags", nargs="*", type=Path, metavar="BAG",
                        help="verify these bag folders (e.g. BagIt 0.97 bags from other tools) "
                             "instead of the archive")


def cmd_events(run: Run) -> None:
    from .eventcheck import head_sha256, verify_event_log
    from .events import EVENTS_NAME, read_events

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
    from .events import EVENTS_NAME
    from .premis import export_premis

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


class UsageProblem(PipelineError):
    """Bad usage: exit 2."""


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    from .render.pdf import DEFAULT_VARIANT, VARIANTS

    parser = argparse.ArgumentParser(
        prog="statement-archive",
        description="Validate official statements, render them to PDF/A, check the PDFs, "
                    "bundle them into dated, versioned BagIt packages, and verify the archive.",
        epilog="Exit codes: 0 success; 1 problems found; 2 bad usage; 3 missing system "
               "requirement; 4 archive not writable/readable.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print a machine-readable JSON report on stdout instead of text")
    common.add_argument("--quiet", "-q", action="store_true", help="no progress messages on stderr")
    common.add_argument("--archive", type=Path, default=Path("archive"), help="archive folder (default: archive)")
    inputs = argparse.ArgumentParser(add_help=False)
    inputs.add_argument("--statements", type=Path, default=Path("statements"), help="folder of statements (default: statements)")
    inputs.add_argument("--schema", type=Path, default=PROJECT_DIR / "schemas" / "statement.schema.json", help="statement JSON Schema")
    rendering = argparse.ArgumentParser(add_help=False)
    rendering.add_argument("--build-dir", type=Path, default=Path("build"), help="working folder for rendered PDFs (default: build)")
    rendering.add_argument("--templates", type=Path, default=PROJECT_DIR / "templates", help="templates folder")
    rendering.add_argument("--fonts", type=Path, default=PROJECT_DIR / "fonts", help="pinned fonts folder")
    rendering.add_argument("--variant", choices=sorted(VARIANTS), default=DEFAULT_VARIANT, help=f"PDF/A variant (default: {DEFAULT_VARIANT})")
    rendering.add_argument("--uncompressed", action="store_true", help="write uncompressed PDFs (for inspection)")
    rendering.add_argument("--force", action="store_true", help="render again even when inputs are unchanged")
    rendering.add_argument("--workers", type=_workers, default=None, help="worker processes for rendering (default: one per core)")
    rendering.add_argument("--executor", default=None, metavar="local|dask://HOST:PORT",
                           help="where to render: the local process pool (default) or a running Dask scheduler")
    packaging = argparse.ArgumentParser(add_help=False)
    packaging.add_argument("--date", type=_date, help="Bagging-Date and package date (default: today in UTC, or SOURCE_DATE_EPOCH)")
    event_log = argparse.ArgumentParser(add_help=False)
    event_log.add_argument("--check", action="store_true", help="also verify the log's hash chain (exit 1 if it was altered)")
    exporting = argparse.ArgumentParser(add_help=False)
    exporting.add_argument("--output", "-o", type=Path, default=None, help="write the XML to this file (default: stdout)")

    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, handler, parents, help_text in (
        ("validate", cmd_validate, [common, inputs], "check every statement's metadata and body; report every error"),
        ("render", cmd_render, [common, inputs, rendering], "render statements to PDF/A in the build folder"),
        ("check", cmd_check, [common, inputs, rendering], "read the rendered PDFs back and prove them"),
        ("package", cmd_package, [common, inputs, rendering, packaging], "bundle checked PDFs into a new archive package if anything changed"),
        ("build", cmd_build, [common, inputs, rendering, packaging], "validate, render, check and package"),
        ("verify", cmd_verify, [common], "verify every package in the archive (checksums, completeness, version chain)"),
        ("events", cmd_events, [common, event_log], "list the archive's event log (archive/events.jsonl), oldest first"),
        ("export-premis", cmd_export_premis, [common, exporting], "write the event log as PREMIS 3 XML"),
    ):
        sub = commands.add_parser(name, parents=parents, help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
    add_serialize_commands(commands, common)
    add_verify_arguments(commands.choices["verify"])
    from .submit.command import add_submit_commands  # submit, submissions

    add_submit_commands(commands, common)
    return parser


def _exit_code(exc: PipelineError) -> int:
    if isinstance(exc, UsageProblem):
        return EXIT_USAGE
    if isinstance(exc, EnvironmentProblem):
        return EXIT_ENVIRONMENT
    if isinstance(exc, ArchiveError):
        return EXIT_ARCHIVE
    return EXIT_PROBLEMS


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0) and EXIT_USAGE
    run = Run(args, out, err)
    code, message = EXIT_OK, None
    try:
        args.handler(run)
    except PipelineError as exc:
        code = _exit_code(exc)
        message = f"{type(exc).__name__}: {exc}"
        print(message, file=err)
    except OSError as exc:
        # A full disk or a read-only folder outside the stages' own checks
        # (e.g. build/): say which file and why, not a traceback.
        code = EXIT_ARCHIVE
        where = f" {exc.filename}" if exc.filename else ""
        message = f"cannot write or read{where}: {exc.strerror or exc}"
        print(message, file=err)
    if args.json:
        report = {
            "command": args.command, "ok": code == EXIT_OK, "exit_code": code, "error": message,
            "software": SOFTWARE_AGENT, "stages": [r.as_dict() for r in run.reports], **run.extra,
        }
        json.dump(report, out, indent=2, sort_keys=True, ensure_ascii=False)
        out.write("\n")
    return code


if __name__ == "__main__":
    sys.exit(main())
