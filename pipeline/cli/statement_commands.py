"""Commands on the statements folder: new, withdraw."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipeline.cli.context import Run
from pipeline.core.clock import event_time


def add_statement_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    withdraw = commands.add_parser(
        "withdraw", parents=[common],
        help="withdraw a statement from the next package version, with a reason",
        description="Record in statements/withdrawals.json that a statement is withdrawn. The next build "
                    "writes a version without it that lists the withdrawal (date, reason) and logs a "
                    "PREMIS deaccession event; earlier versions are kept as they are. Move the "
                    "statement's files out of statements/ as well.")
    withdraw.add_argument("identifier", help="the statement's identifier")
    withdraw.add_argument("--reason", required=True, help="why it is withdrawn (kept with the archive for good)")
    withdraw.add_argument("--statements", type=Path, default=None,
                          help="folder of statements (default: statements)")
    withdraw.set_defaults(handler=cmd_withdraw)


def cmd_withdraw(run: Run) -> None:
    from pipeline.package.withdraw import withdraw_statement

    args = run.args
    withdrawal = withdraw_statement(args.identifier, args.reason, statements_dir=args.statements,
                                    archive_dir=args.archive, day=event_time().date())
    run.extra["withdrawal"] = withdrawal.as_dict()
    run.say(f"recorded: {withdrawal.identifier} withdrawn on {withdrawal.date} ({withdrawal.reason}); "
            "the next build writes a version without it")


def add_new_command(commands: argparse._SubParsersAction, common: argparse.ArgumentParser,
                    inputs: argparse.ArgumentParser) -> None:
    new = commands.add_parser(
        "new", parents=[common, inputs],
        help="start a new statement: a metadata skeleton from the schema and an empty body",
        description="Write <identifier>.json with every field of the schema, each holding a TODO placeholder "
                    "that says what it is for, whether it is required and which values are allowed, and an "
                    "empty body file. Fill in what is known, delete the optional fields that do not apply, "
                    "put the statement's text in the body, then run `make validate`: it names each field "
                    "still to do (V030).")
    new.add_argument("identifier", help="the new statement's identifier (lower case, digits, '.', '_', '-')")
    new.add_argument("--body", choices=("txt", "md", "html"), default="txt",
                     help="the kind of body file: plain text (default), Markdown or an HTML fragment")
    new.set_defaults(handler=cmd_new)


def cmd_new(run: Run) -> None:
    from pipeline.validate import new_statement

    args = run.args
    written = new_statement(args.statements, args.schema, args.identifier, args.body)
    run.extra["new"] = [str(path) for path in written]
    for path in written:
        run.say(f"wrote {path}")
    run.say(f"next: fill in {written[0]} (and delete the optional fields that do not apply), put the text "
            f"in {written[1]}, then run `make validate`")
