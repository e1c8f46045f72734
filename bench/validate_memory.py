"""Peak memory of the validate stage at several corpus sizes (issue 15: peak RSS flat).

    python bench/validate_memory.py --n 1000 10000                               # this checkout
    PIPELINE_ROOT=/path/to/main python bench/validate_memory.py --n 1000 10000   # another, same corpus

N statements (``bench/run.py``'s ``make_corpus``) are made once in ``--work``.
For each size, one child keeps the verdicts a build would have kept, then a
fresh child runs ``validate_statements`` once and reports its peak RSS
(``ru_maxrss``); another reports tracemalloc's current (what validate hands
on) and peak. Validate needs no renders, so this is cheap at 10,000.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import subprocess
import sys
import tracemalloc
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
ROOT = Path(os.environ.get("PIPELINE_ROOT", PROJECT)).resolve()


def child(corpus: Path, cache: Path, mode: str) -> None:
    sys.path.insert(0, str(ROOT))
    from pipeline.validate import validate_statements

    schema = ROOT / "schemas" / "statement.schema.json"
    if mode == "trace":
        tracemalloc.start()
    statements, _ = validate_statements(corpus, schema, verdict_cache=cache)
    if mode == "trace":
        current, peak = tracemalloc.get_traced_memory()
        print(f"{current / 2**20:.1f} {peak / 2**20:.1f}")
    elif mode == "rss":
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--work", type=Path, default=Path("/tmp/validate-memory"))
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), Path(args.child[1]), args.child[2])
        return
    sys.path.insert(0, str(PROJECT / "bench"))
    from run import make_corpus

    print(f"| statements | peak RSS | tracemalloc current / peak | ({ROOT}, load {os.getloadavg()[0]:.1f}) |")
    for n in args.n:
        corpus = make_corpus(args.work / f"corpus-{n}", n)
        cache = args.work / f"verdicts-{n}-{hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]}"

        def run(mode: str) -> str:
            return subprocess.run([sys.executable, __file__, "--child", str(corpus), str(cache), mode],
                                  check=True, capture_output=True, text=True).stdout.strip()

        run("warm")
        rss = int(run("rss"))
        current, peak = run("trace").split()
        print(f"| {n:,} | {rss / 1024:.0f} MiB | {current} / {peak} MiB | |")


if __name__ == "__main__":
    main()
