"""EDTF level 1 dates of issue: bounds, precision, what an ISO date field may claim."""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.i18n import date_facts
from pipeline.statements.edtf import DateProblem, parse_issue_date

D = dt.date


@pytest.mark.parametrize("value, lower, upper, precision, known", [
    ("2019", D(2019, 1, 1), D(2019, 12, 31), "year", "2019"),
    ("2019-06", D(2019, 6, 1), D(2019, 6, 30), "month", "2019-06"),
    ("2024-02", D(2024, 2, 1), D(2024, 2, 29), "month", "2024-02"),
    ("2019-06-06", D(2019, 6, 6), D(2019, 6, 6), "day", "2019-06-06"),
    ("2019?", D(2019, 1, 1), D(2019, 12, 31), "year", "2019"),
    ("2019~", D(2019, 1, 1), D(2019, 12, 31), "year", "2019"),
    ("2019-06-06%", D(2019, 6, 6), D(2019, 6, 6), "day", "2019-06-06"),
    ("2019-21", D(2019, 1, 1), D(2019, 12, 31), "season", "2019"),  # hemisphere unknown: the year
    ("201X", D(2010, 1, 1), D(2019, 12, 31), "decade", None),
    ("19XX", D(1900, 1, 1), D(1999, 12, 31), "century", None),
    ("2019-XX", D(2019, 1, 1), D(2019, 12, 31), "year", "2019"),
    ("2019-06-XX", D(2019, 6, 1), D(2019, 6, 30), "month", "2019-06"),
    ("2019-06/2019-08", D(2019, 6, 1), D(2019, 8, 31), "interval", "2019"),
    ("2019-06-01/2019-06-20", D(2019, 6, 1), D(2019, 6, 20), "interval", "2019-06"),
    ("2018-12/2019-01", D(2018, 12, 1), D(2019, 1, 31), "interval", None),
    ("../2020", None, D(2020, 12, 31), "interval", None),
    ("/2020", None, D(2020, 12, 31), "interval", None),  # unknown start: no invented bound
    ("2019/..", D(2019, 1, 1), None, "interval", None),
    ("2019~/2020-06?", D(2019, 1, 1), D(2020, 6, 30), "interval", None),
])
def test_bounds_precision_and_known_part(value, lower, upper, precision, known):
    issued = parse_issue_date(value)
    assert (issued.lower, issued.upper, issued.precision, issued.known) == (lower, upper, precision, known)


def test_undated_has_no_bounds_unless_estimated():
    undated = parse_issue_date("undated")
    assert (undated.lower, undated.upper, undated.precision, undated.known) == (None, None, "none", None)
    estimated = parse_issue_date("undated", "2019")
    assert (estimated.lower, estimated.upper) == (D(2019, 1, 1), D(2019, 12, 31))
    assert estimated.known is None  # an estimate is not the record's date


@pytest.mark.parametrize("value, impossible", [
    ("2019-02-29", True), ("2019-13", True), ("2019-00", True), ("0000", True), ("2019-06-31", True),
    ("2020/2019", True),
    ("19", False), ("2019-6", False), ("2019-06-06T10:00", False), ("201X-06", False), ("2019-XX-06", False),
    ("2019/06/06", False), ("../..", False), ("/", False), ("Y170000002", False), ("-0100", False), ("2019??", False),
])
def test_refused_dates_say_whether_malformed_or_impossible(value, impossible):
    with pytest.raises(DateProblem) as caught:
        parse_issue_date(value)
    assert caught.value.impossible is impossible
    assert value in str(caught.value)


def test_leap_day_is_a_date_in_a_leap_year():  # positive control for 2019-02-29
    assert parse_issue_date("2020-02-29").known == "2020-02-29"


def test_estimate_only_for_undated():
    with pytest.raises(DateProblem, match="only for statements whose `date_issued` is `undated`"):
        parse_issue_date("2019", "2019")


def test_date_facts_for_the_pdf_metadata():
    assert date_facts("2019-06") == (D(2019, 6, 1), D(2019, 6, 30), "month", "2019-06 (month)")
    assert date_facts("undated", "2019~") == (D(2019, 1, 1), D(2019, 12, 31), "none", "undated; about 2019")
    assert date_facts("../2020") == (None, D(2020, 12, 31), "interval", "on or before 2020")
    assert date_facts("2019~")[3] == "approximately 2019"


def test_agrees_with_the_edtf_package_where_both_give_bounds():
    """An independent reading: PyPI's edtf (if installed) gives the same strict bounds."""
    edtf = pytest.importorskip("edtf", reason="the independent EDTF parser (pip install edtf) is not installed")
    for value in ("2019", "2019-06", "2019-06-06", "2019?", "2019~", "2019-06/2019-08", "201X", "2019-06-06%"):
        theirs = edtf.parse_edtf(value)
        ours = parse_issue_date(value)
        assert (D(*theirs.lower_strict()[:3]), D(*theirs.upper_strict()[:3])) == (ours.lower, ours.upper), value
