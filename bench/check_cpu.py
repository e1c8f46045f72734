"""The check stage's CPU per PDF (issue 15: the check must cost less than the rendering).

    python bench/check_cpu.py --n 30                                  # this checkout
    PIPELINE_ROOT=/path/to/main python bench/check_cpu.py --n 30      # another checkout, same PDFs

N statements (``bench/run.py``'s ``make_corpus``: the examples, varied) are
rendered once in the default variant into ``--work`` (reused when there:
the render store keeps them), then ``pipeline.check.check_pdfs`` runs over
them ``--repeat`` times in this process. Reports CPU seconds per PDF: this
process's ``time.process_time`` plus its children's (pdftotext) from
``resource.getrusage(RUSAGE_CHILDREN)``; the median and min–max over rounds,
and the median of this process's part alone (pdftotext's is the same in both
checkouts, so this part shows a change of the Python code more steadily).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
ROOT = Path(os.environ.get("PIPELINE_ROOT", PROJECT)).resolve()
sys.path.insert(0, str(ROOT))

from pipeline.check.stage import check_pdfs  # noqa: E402  (imported first: the checkout measured)

sys.path.insert(1, str(PROJECT / "bench"))
from run import bench_config, make_corpus, statements_of  # noqa: E402


def _cpu() -> tuple[float, float]:
    """(this process's CPU seconds, its children's: pdftotext)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time(), children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/check-cpu"))
    args = parser.parse_args()
    from pipeline.render import render_statements

    statements = statements_of(make_corpus(args.work / f"corpus-{args.n}", args.n))
    rendered, report = render_statements(statements, args.work / f"pdf-{args.n}", bench_config(args.work))
    assert report.ok, report.problems[:3]
    rounds, own, problems = [], [], None
    for _ in range(args.repeat):
        start = _cpu()
        checked = check_pdfs(rendered)
        end = _cpu()
        rounds.append((end[0] - start[0] + end[1] - start[1]) / len(rendered))
        own.append((end[0] - start[0]) / len(rendered))
        problems = [(p.code, p.severity) for p in checked.problems]
    median = statistics.median(rounds)
    print(f"check_pdfs, {ROOT}, {len(rendered)} PDFs: {median * 1000:.0f} ms CPU per PDF (median; "
          f"min {min(rounds) * 1000:.0f}, max {max(rounds) * 1000:.0f}) over {args.repeat} rounds, of which "
          f"in this process {statistics.median(own) * 1000:.0f} (the rest pdftotext); "
          f"problems {problems}; load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
