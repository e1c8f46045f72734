"""The check stage keeps each pass as its chunk comes back (pipeline/check/runner.py):
a check of 10,000 PDFs stopped half-way (a kill, Ctrl-C) keeps what it passed,
so the next build checks only the rest."""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeline.check.runner as runner
from bagutil import make_statement
from pipeline.check.cache import checker_fingerprint, earlier_pass
from pipeline.core.records import StageReport


def test_a_check_stopped_half_way_keeps_the_passes_it_had(tmp_path: Path, monkeypatch) -> None:
    first, second = (make_statement(tmp_path / "s", name, pdf=b"%PDF-1.7\n%" + name.encode() + b"\n%%EOF\n")
                     for name in ("first", "second"))
    checker = checker_fingerprint()
    assert earlier_pass(first, checker) is None and earlier_pass(second, checker) is None  # control

    def stopped_after_one_chunk(todo, workers):
        yield StageReport("check", (), ({"identifier": "first", "pdf": str(first.pdf_path), "ok": True,
                                         "verdicts": [{"validator": "test", "ok": True}]},))
        raise KeyboardInterrupt  # the officer stops the build before the second chunk

    monkeypatch.setattr(runner, "_check_now", stopped_after_one_chunk)
    with pytest.raises(KeyboardInterrupt):
        runner.check_changed([first, second], workers=1)
    assert earlier_pass(first, checker) == [{"validator": "test", "ok": True}]  # kept
    assert earlier_pass(second, checker) is None  # never checked: checked next time


def test_equal_verdict_lists_are_held_once_and_different_ones_apart() -> None:
    alike = runner._Alike()
    a, b = [{"validator": "x", "ok": True}], [{"validator": "x", "ok": True}]
    assert alike.one_of(a) is a and alike.one_of(b) is a  # equal: the one kept
    c = [{"validator": "x", "ok": False}]
    assert alike.one_of(c) is c  # control: a different list is its own
    many = [[{"n": n}] for n in range(runner._Alike.RECENT + 2)]
    assert all(alike.one_of(v) is v for v in many)
    again = [{"validator": "x", "ok": True}]
    held = alike.one_of(again)
    assert held == a  # equal, not lost
    assert held is again  # a is long gone from the recent ones: held anew, not searched for
    assert alike.one_of([{"validator": "x", "ok": True}]) is again  # and now it is the one held
