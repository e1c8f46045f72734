"""A statement's date of issue: EDTF (ISO 8601-2) level 1, or ``undated``.

Why our own parser rather than PyPI's ``edtf`` (5.0.2): that package invents
bounds the record does not give (``/2020``, an unknown start, gets a lower
bound ten years before the end), accepts level 2 as well (which this schema
does not promise to readers of the record), cannot tell a malformed date from
an impossible one (``2019-02-30``), and pulls in pyparsing and dateutil for a
grammar of a dozen lines. Here every bound is either known or ``None``.

Accepted (each a level-1 construct of the EDTF specification):

* ``2019``, ``2019-06``, ``2019-06-06``: year, month, day;
* ``2019-21`` … ``2019-24``: spring, summer, autumn, winter (bounds: the year,
  since the season's months depend on the hemisphere);
* ``2019?`` uncertain, ``2019~`` approximate, ``2019%`` both;
* ``201X``, ``19XX``, ``2019-XX``, ``2019-06-XX``: digits not known, from the right;
* ``2019-06/2019-08``: an interval of two such dates; ``../2020`` or
  ``2019/..`` open at one end; ``/2020`` or ``2019/`` unknown at one end.

Years are 0001-9999 (statements are not older than the calendar, and
EDTF's ``Y``-prefixed long years have no use here).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

UNDATED = "undated"

Precision = Literal["day", "month", "season", "year", "decade", "century", "interval", "none"]
Qualifier = Literal["", "uncertain", "approximate", "uncertain-approximate"]

_QUALIFIERS: dict[str, Qualifier] = {"": "", "?": "uncertain", "~": "approximate", "%": "uncertain-approximate"}
_DATE = re.compile(
    r"(?P<year>[0-9]{2}(?:[0-9]{2}|[0-9]X|XX))"
    r"(?:-(?P<month>[0-9]{2}|XX)(?:-(?P<day>[0-9]{2}|XX))?)?"
    r"(?P<qualifier>[?~%]?)"
)
SEASONS = {21: "spring", 22: "summer", 23: "autumn", 24: "winter"}


class DateProblem(ValueError):
    """Why a value is not an accepted date; ``impossible`` for well-formed
    values that name no real day (``2019-02-30``, an interval ending before it starts)."""

    def __init__(self, message: str, *, impossible: bool = False):
        super().__init__(message)
        self.impossible = impossible


@dataclass(frozen=True)
class SingleDate:
    """One EDTF date as written, with the first and last day it can mean."""

    text: str  # as written, qualifier included
    lower: dt.date
    upper: dt.date
    precision: Precision
    qualifier: Qualifier
    season: str | None = None

    @property
    def unqualified(self) -> str:
        return self.text.rstrip("?~%")


@dataclass(frozen=True)
class IssueDate:
    """What a record says about when a statement was issued.

    ``start`` and ``end`` are the dates of an interval (``start is end`` for
    a single date); an end is ``None`` when open (``..``) or unknown (empty).
    ``undated`` records carry ``estimate``, the archivist's own, if given.
    """

    edtf: str
    start: SingleDate | None = None
    end: SingleDate | None = None
    start_kind: Literal["date", "open", "unknown"] = "date"
    end_kind: Literal["date", "open", "unknown"] = "date"
    undated: bool = False
    estimate: "IssueDate | None" = None

    @property
    def is_interval(self) -> bool:
        return self.start is not self.end

    @property
    def lower(self) -> dt.date | None:
        """The earliest day the statement can have been issued, if known."""
        if self.undated:
            return self.estimate.lower if self.estimate else None
        return self.start.lower if self.start else None

    @property
    def upper(self) -> dt.date | None:
        """The latest day the statement can have been issued, if known."""
        if self.undated:
            return self.estimate.upper if self.estimate else None
        return self.end.upper if self.end else None

    @property
    def precision(self) -> Precision:
        if self.undated:
            return "none"
        if self.is_interval:
            return "interval"
        return self.start.precision  # type: ignore[union-attr]

    @property
    def known(self) -> str | None:
        """The most precise ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` that both
        bounds share: all that an ISO 8601 date field (XMP ``dc:date``) may
        claim. None when the year itself is not known (open ends, ``201X``, undated)."""
        if self.undated or self.lower is None or self.upper is None:
            return None
        low, high = self.lower, self.upper
        if low.year != high.year:
            return None
        if low.month != high.month:
            return f"{low.year:04d}"
        if low.day != high.day:
            return f"{low.year:04d}-{low.month:02d}"
        return low.isoformat()


def parse_single(text: str) -> SingleDate:
    """One EDTF level-1 date (no interval)."""
    match = _DATE.fullmatch(text)
    if not match:
        raise DateProblem(f"`{text}` is not a date of the form YYYY, YYYY-MM or YYYY-MM-DD "
                          "(EDTF: a final ?, ~ or %, X for unknown digits)")
    year, month, day = match.group("year"), match.group("month"), match.group("day")
    qualifier = _QUALIFIERS[match.group("qualifier")]
    if "X" in year and month is not None:
        raise DateProblem(f"`{text}`: a year with unknown digits (X) cannot have a month")
    if month == "XX" and day not in (None, "XX"):
        raise DateProblem(f"`{text}`: a day cannot be known when its month is not (XX)")
    if "X" in year:
        unknown = year.count("X")
        first = int(year.replace("X", "0")) or 1
        last = int(year.replace("X", "9"))
        return SingleDate(text, dt.date(first, 1, 1), dt.date(last, 12, 31),
                          "decade" if unknown == 1 else "century", qualifier)
    number = int(year)
    if number < 1:
        raise DateProblem(f"`{text}`: there is no year 0 (1 BC is followed by AD 1)", impossible=True)
    if month is None or month == "XX":
        return SingleDate(text, dt.date(number, 1, 1), dt.date(number, 12, 31), "year", qualifier)
    month_number = int(month)
    if month_number in SEASONS and day is None:
        return SingleDate(text, dt.date(number, 1, 1), dt.date(number, 12, 31), "season", qualifier,
                          SEASONS[month_number])
    if not 1 <= month_number <= 12:
        raise DateProblem(f"`{text}`: there is no month {month} (01-12, or 21-24 for a season)", impossible=True)
    last_day = calendar.monthrange(number, month_number)[1]
    if day is None or day == "XX":
        return SingleDate(text, dt.date(number, month_number, 1), dt.date(number, month_number, last_day),
                          "month", qualifier)
    if not 1 <= int(day) <= last_day:
        raise DateProblem(f"`{text}` is not a date that exists in the calendar "
                          f"({year}-{month} has {last_day} days)", impossible=True)
    moment = dt.date(number, month_number, int(day))
    return SingleDate(text, moment, moment, "day", qualifier)


def parse_issue_date(value: str, estimate: str | None = None) -> IssueDate:
    """Read ``date_issued`` (and, for ``undated``, the optional estimate).

    Raises :class:`DateProblem` naming what is wrong.
    """
    if value == UNDATED:
        return IssueDate(value, undated=True, estimate=parse_issue_date(estimate) if estimate else None)
    if estimate is not None:
        raise DateProblem("an estimated date is only for statements whose `date_issued` is `undated`")
    if "/" not in value:
        single = parse_single(value)
        return IssueDate(value, single, single)
    if value.count("/") > 1:
        raise DateProblem(f"`{value}`: an interval has one '/', between its start and its end")
    first, second = value.split("/")
    start, start_kind = _interval_end(first, value)
    end, end_kind = _interval_end(second, value)
    if start is None and end is None:
        raise DateProblem(f"`{value}`: an interval needs at least one of its ends")
    if start and end and start.lower > end.upper:
        raise DateProblem(f"`{value}`: the interval ends before it starts", impossible=True)
    return IssueDate(value, start, end, start_kind, end_kind)


def _interval_end(text: str, whole: str) -> tuple[SingleDate | None, Literal["date", "open", "unknown"]]:
    if text == "..":
        return None, "open"
    if text == "":
        return None, "unknown"
    try:
        return parse_single(text), "date"
    except DateProblem as exc:
        raise DateProblem(f"`{whole}`: {exc}", impossible=exc.impossible) from None
