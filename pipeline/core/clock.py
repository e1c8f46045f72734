"""The only reader of the wall clock. The CLI passes time into the stages:
today (UTC), or the instant ``SOURCE_DATE_EPOCH`` names, so a build can be
repeated with the same dates."""

from __future__ import annotations

import argparse
import datetime as dt
import os


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


def run_rendition_date(args: argparse.Namespace) -> str | None:
    """--rendition-date, else the SOURCE_DATE_EPOCH instant, else None: never the clock,
    so the same inputs give the same PDFs (see pipeline/render/rendition.py)."""
    if getattr(args, "rendition_date", None):
        return args.rendition_date
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return None
