"""Commands on the statements folder: withdraw."""

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
