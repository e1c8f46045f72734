"""The check stage's time on the example corpus (issue 9: the logical-text check).

    python bench/check_text.py                        # this checkout
    PIPELINE_ROOT=/path/to/other/checkout python bench/check_text.py   # e.g. main, before the change

The example corpus (statements/) is rendered once, in the default variant,
then ``check_pdfs`` runs over all its PDFs ``--repeat`` times; prints the
median and min–max seconds per round and per PDF. Run it for both
checkouts, alternately, and compare the medians side by side.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
ROOT = Path(os.environ.get("PIPELINE_ROOT", PROJECT)).resolve()
sys.path.insert(0, str(ROOT))

from pipeline.check.stage import check_pdfs  # noqa: E402
from pipeline.render import RenderConfig, render_statements  # noqa: E402
from pipeline.validate import validate_statements  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        statements, _ = validate_statements(ROOT / "statements", ROOT / "schemas" / "statement.schema.json")
        config = RenderConfig(ROOT / "templates", ROOT / "fonts", Path(tmp) / "work")
        rendered, report = render_statements(statements, Path(tmp) / "out", config)
        rounds, logical = [], []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            check_pdfs(rendered)
            rounds.append(time.perf_counter() - t0)
            logical.append(_logical_text_time(rendered))
    median = statistics.median(rounds)
    print(f"check stage, {ROOT.name}, {len(rendered)} PDFs: median {median:.2f} s "
          f"(min {min(rounds):.2f}, max {max(rounds):.2f}) over {args.repeat} rounds; "
          f"{median / len(rendered) * 1000:.0f} ms per PDF; load average {os.getloadavg()[0]:.1f}")
    if None not in logical:
        print(f"  of which reading the logical text (structure tree): median {statistics.median(logical):.2f} s")


def _logical_text_time(rendered) -> float | None:
    """Seconds to read every PDF's logical text, the work the change adds (None: a checkout without it)."""
    try:
        from pipeline.check.structtext import structure_text
    except ImportError:
        return None
    sys.path.insert(1, str(PROJECT / "bench"))
    from structtext_compare import opened  # either checkout's structure_text, pypdf's or qpdf's

    t0 = time.perf_counter()
    for item in rendered:
        structure_text(opened(structure_text, item.pdf_path))
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
