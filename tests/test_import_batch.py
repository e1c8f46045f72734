"""A batch of 200 captures in the worker pool: the summary table counts each outcome, and a second run changes nothing.

(The 1,000-capture throughput is measured in bench/import.py, not here.)
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from capture_factory import error_page, index_page, login_page, ministry_page

from pipeline.cli import main

PAGES, DUPLICATES, REFUSED_EACH = 180, 5, 5


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def table(out: str) -> dict[str, int]:
    """The summary table the officer reads: the header line and the counts line under it."""
    lines = out.splitlines()
    (at,) = [i for i, line in enumerate(lines) if line.split()[:2] == ["drafted", "accepted"]]
    header = lines[at].replace("needs attention", "needs_attention").split()
    return dict(zip(header, map(int, lines[at + 1].split())))


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def test_two_hundred_captures_in_the_pool_then_again_changes_nothing(tmp_path):
    captures = tmp_path / "captures"
    captures.mkdir()
    for number in range(PAGES):
        (captures / f"page-{number:03d}.html").write_bytes(
            ministry_page().replace(b"signed today", f"signed on day {number}".encode()))
    for number in range(DUPLICATES):  # the same bytes under another name: imported once
        (captures / f"zz-copy-{number}.html").write_bytes((captures / f"page-{number:03d}.html").read_bytes())
    for make in (index_page, error_page, login_page):
        for number in range(REFUSED_EACH):
            (captures / f"{make.__name__}-{number}.html").write_bytes(
                make().replace(b"</body>", f"<!-- {number} --></body>".encode()))
    inputs = sorted(map(str, captures.iterdir()))
    assert len(inputs) == 200
    into = tmp_path / "statements"
    into.mkdir()

    code, out, err = cli("import", *inputs, "--into", str(into), "--workers", "2")
    refused = 3 * REFUSED_EACH
    assert code == 1  # some refused
    assert table(out) == {"drafted": PAGES, "accepted": 0, "unchanged": DUPLICATES, "skipped": 0,
                          "refused": refused, "needs_attention": PAGES}  # every draft lacks its rights
    assert "[##############################] 200/200" in err
    assert sum(1 for p in into.glob("*.json")) == PAGES and len(list(into.iterdir())) == 3 * PAGES
    for number in range(DUPLICATES):
        assert f"zz-copy-{number}.html: unchanged" in out and f"already imported as page-{number:03d}" in out
    assert out.count("I001") == refused

    before = snapshot(into)
    code, out, err = cli("import", *inputs, "--into", str(into), "--workers", "2", "--json")
    report = json.loads(out)
    assert code == 1 and report["summary"] == {"drafted": 0, "accepted": 0, "unchanged": PAGES + DUPLICATES,
                                               "skipped": 0, "refused": refused, "needs_attention": 0}
    assert snapshot(into) == before  # not a byte, not a modification time
    pages = [i for i in inputs if Path(i).name.startswith("page-")]
    code, out, err = cli("import", *pages, "--into", str(into), "--workers", "2")
    assert code == 0 and "nothing changed: every capture was already imported" in out
    assert table(out)["unchanged"] == PAGES and snapshot(into) == before
