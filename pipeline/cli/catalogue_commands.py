"""The ``catalogue`` subcommand: options in, one stage call, print.

Exit 0: catalogue written (warnings, e.g. a PDF without thumbnail, are
printed); 1: a package or statement could not be catalogued (K001, K003);
2: ``--out`` unusable (inside the archive, or a folder that is not a
catalogue); 4: the archive cannot be read.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

DEFAULT_OUT = Path("catalogue")


def add_catalogue_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    from pipeline.cli.context import PROJECT_DIR

    description = ("Write a static HTML catalogue of the archive (home, a searchable statement list with "
                   "filters, a page per statement and per package) that works from file:// with nothing "
                   "but a browser. Reads archive/ only; writes a file only when its bytes change. "
                   "Exit 0: written; 1: something could not be catalogued; 2: unusable --out; "
                   "4: archive unreadable.")
    sub = commands.add_parser("catalogue", parents=[common], help="write the static HTML catalogue of the archive",
                              description=description)
    sub.add_argument("--out", type=Path, default=DEFAULT_OUT, help="catalogue folder (default: catalogue)")
    sub.add_argument("--templates", type=Path, default=PROJECT_DIR / "templates" / "catalogue",
                     help="catalogue templates folder")
    sub.add_argument("--locale-dir", type=Path, default=PROJECT_DIR / "pipeline" / "render" / "locale",
                     help="gettext catalogues of labels (<dir>/<language>/LC_MESSAGES/messages.mo); "
                          "English where none exists")
    sub.add_argument("--workers", type=int, default=None, help="processes for statement pages and thumbnails (default: one per core, "
                     "or none for a small archive)")
    sub.set_defaults(handler=cmd_catalogue)


def cmd_catalogue(run: Any) -> None:
    from pipeline.catalogue.stage import CatalogueOptions, build_catalogue
    from pipeline.cli.context import UsageProblem
    from pipeline.core.errors import ArchiveError, InputError

    args = run.args
    if not args.archive.is_dir():
        raise ArchiveError(f"{args.archive}: no archive folder here; run `make` first or pass --archive")
    options = CatalogueOptions(templates=args.templates, locale_dir=args.locale_dir, workers=args.workers,
                               progress=run.progress)
    try:
        report = build_catalogue(args.archive, args.out, options)
    except InputError as exc:
        raise UsageProblem(str(exc)) from None
    (summary,) = report.items
    run.extra["catalogue"] = dict(summary)
    run.say(f"catalogue: {summary['statements']} statement(s), {summary['packages']} package(s); "
            f"{summary['written']} file(s) written, {summary['kept']} unchanged, {summary['removed']} removed "
            f"→ {(args.out / 'index.html')}")
    run.stage(report)
