"""Command line: parse, call the stages, print. No stage logic lives here.

``context`` holds what every command shares (the run's output and reports,
exit codes); ``stage_commands`` the pipeline's stages; ``archive_commands``
what works on the archive afterwards; ``submit_commands`` submission.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Sequence, TextIO

from pipeline import SOFTWARE_AGENT, __version__
from pipeline.core.errors import ArchiveError, EnvironmentProblem, PipelineError
from pipeline.cli.fonts_commands import add_fonts_commands
from pipeline.cli.archive_commands import (
    add_serialize_commands, add_verify_arguments, cmd_events, cmd_export_premis, cmd_verify,
)
from pipeline.cli.context import (
    EXIT_ARCHIVE, EXIT_ENVIRONMENT, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, PROJECT_DIR, Run, UsageProblem,
    locate_project_folders, parse_date, problem_line, write_line,
)
from pipeline.core.records import StageReport
from pipeline.core.clock import bagging_date, event_time
from pipeline.cli.seal_commands import add_seal_commands
from pipeline.cli.stage_commands import (
    cmd_build, cmd_check, cmd_package, cmd_render, cmd_validate, parse_workers,
)

__all__ = ["Run", "UsageProblem", "bagging_date", "build_parser", "event_time", "main"]


def build_parser() -> argparse.ArgumentParser:
    from pipeline.render.variants import DEFAULT_VARIANT, VARIANTS

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
    common.add_argument("--archive", type=Path, default=None, help="archive folder (default: archive/ of the project folder this runs in)")
    inputs = argparse.ArgumentParser(add_help=False)
    inputs.add_argument("--statements", type=Path, default=None, help="folder of statements (default: statements/ of the project folder)")
    inputs.add_argument("--schema", type=Path, default=PROJECT_DIR / "schemas" / "statement.schema.json", help="statement JSON Schema")
    rendering = argparse.ArgumentParser(add_help=False)
    rendering.add_argument("--build-dir", type=Path, default=None, help="working folder for rendered PDFs (default: build/ of the project folder)")
    rendering.add_argument("--templates", type=Path, default=PROJECT_DIR / "templates", help="templates folder")
    rendering.add_argument("--fonts", type=Path, default=PROJECT_DIR / "fonts", help="pinned fonts folder")
    rendering.add_argument("--variant", choices=sorted(VARIANTS), default=DEFAULT_VARIANT, help=f"PDF/A variant (default: {DEFAULT_VARIANT})")
    rendering.add_argument("--uncompressed", action="store_true", help="write uncompressed PDFs (for inspection)")
    rendering.add_argument("--rendition-date", default=None, metavar="YYYY-MM-DD[THH:MM:SSZ]",
                           help="when the PDFs are made, as the archive records it (default: SOURCE_DATE_EPOCH; "
                                "else none: the PDFs then carry no creation date)")
    rendering.add_argument("--force", action="store_true", help="render again even when inputs are unchanged")
    rendering.add_argument("--workers", type=parse_workers, default=None, help="worker processes for rendering (default: one per core)")
    rendering.add_argument("--executor", default=None, metavar="local|dask://HOST:PORT",
                           help="where to render: the local process pool (default) or a running Dask scheduler")
    packaging = argparse.ArgumentParser(add_help=False)
    packaging.add_argument("--date", type=parse_date, help="Bagging-Date and package date (default: today in UTC, or SOURCE_DATE_EPOCH)")
    packaging.add_argument("--no-share", action="store_true", help="copy files carried over unchanged instead of hard-linking them to the previous version (the package is the same either way)")
    packaging.add_argument("--archive-rest", action="store_true",
                           help="when some statements are refused, package the others anyway; the refused ones are "
                                "listed in data/index.json and the event log, and those the previous package holds "
                                "are carried over from it unchanged (default: nothing is packaged; exit 1 either way)")
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
    from pipeline.cli.reproduce_commands import add_reproduce_arguments  # verify --reproduce

    add_reproduce_arguments(commands.choices["verify"])
    from pipeline.cli.submit_commands import add_submit_commands  # submit, submissions

    add_submit_commands(commands, common)
    from pipeline.cli.statement_commands import add_new_command, add_statement_commands  # new, withdraw

    add_new_command(commands, common, inputs)
    add_statement_commands(commands, common)
    add_fonts_commands(commands, common)  # fonts, fonts --coverage, fonts add
    add_seal_commands(commands, common)  # keys, seal, reseal; build --seal; verify --require-seal
    from pipeline.cli.import_commands import add_import_commands  # import, review

    add_import_commands(commands, common)
    from pipeline.cli.catalogue_commands import add_catalogue_commands  # catalogue

    add_catalogue_commands(commands, common)
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
    locate_project_folders(args, Path.cwd())
    run = Run(args, out, err)
    code, message = EXIT_OK, None
    try:
        args.handler(run)
    except PipelineError as exc:
        code = _exit_code(exc)
        # Problems a stage raised without a report: print each, as a stage would have.
        unreported = [p for p in getattr(exc, "problems", ()) if p not in run.reported]
        if unreported:
            run.reports.append(StageReport(args.command, tuple(unreported)))
            for problem in unreported:
                run.say(problem_line(problem))
        message = str(exc)
    except ModuleNotFoundError as exc:
        # The code is newer than what is installed (a checkout updated without `make`):
        # say what is missing and how to get it, not a traceback.
        code = EXIT_ENVIRONMENT
        message = (f"the Python package {exc.name or exc} is not installed here: run `make`, which "
                   "installs what pyproject.toml lists (or `make install EXTRAS=…` for an extra)")
    except OSError as exc:
        # A full disk or a read-only folder outside the stages' own checks
        # (e.g. build/): say which file and why, not a traceback.
        code = EXIT_ARCHIVE
        where = f" {exc.filename}" if exc.filename else ""
        message = f"cannot write or read{where}: {exc.strerror or exc}"
    if message:
        run.err = write_line(run.err, f"statement-archive {args.command}: {message}")
    if args.json:
        report = {
            "command": args.command, "ok": code == EXIT_OK, "exit_code": code, "error": message,
            "software": SOFTWARE_AGENT, "stages": [r.as_dict() for r in run.reports], **run.extra,
        }
        run.out = write_line(run.out, json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False))
    return code
