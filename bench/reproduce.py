"""``verify --reproduce`` of a corpus against ``build --force`` of the same statements (issue 16).

    python bench/reproduce.py                 # the example corpus (statements/), 3 rounds
    python bench/reproduce.py --n 28          # a bench corpus of 28 statements (see run.py)

Both run in this process through the CLI, alternately (A B A B …) so the
machine's load hits both alike; the ratio is the median over ``--repeat``
rounds with its min–max. ``build --force`` renders every statement again
(its package is then unchanged, so nothing is written); ``verify --reproduce``
verifies the bag and renders every PDF again from the package's own files.
Both use the same worker pool (one process per core unless ``--workers``).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "bench"))

from pipeline.cli import main as cli  # noqa: E402


def _timed(argv: list[str]) -> float:
    start = time.perf_counter()
    code = cli([*argv, "-q"], out=io.StringIO(), err=io.StringIO())
    elapsed = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"{' '.join(argv[:2])} failed with exit code {code}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=0, help="bench corpus size (default: the example corpus)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", default=None)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-reproduce.") as scratch:
        root = Path(scratch)
        if options.n:
            from run import make_corpus

            statements = make_corpus(root / "statements", options.n)
        else:
            statements = PROJECT / "statements"
        common = ["--archive", str(root / "archive"), "--build-dir", str(root / "build")]
        workers = ["--workers", options.workers] if options.workers else []
        build = ["build", "--statements", str(statements), *common, "--force", *workers]
        reproduce = ["verify", *common, "--reproduce", *workers]
        _timed(build)  # the package to reproduce, and a warm font cache for both
        rounds = []
        for _ in range(options.repeat):
            b, r = _timed(build), _timed(reproduce)
            rounds.append((b, r, r / b))
        count = len(list(statements.glob("*.json")))
        ratios = [r for _, _, r in rounds]
        print(f"{count} statements, {os.cpu_count()} cores, {options.repeat} rounds (A B alternately)")
        for number, (b, r, ratio) in enumerate(rounds, 1):
            print(f"  round {number}: build --force {b:.2f} s, verify --reproduce {r:.2f} s, ratio {ratio:.2f}")
        print(f"verify --reproduce / build --force: median {statistics.median(ratios):.2f} "
              f"(min {min(ratios):.2f}, max {max(ratios):.2f}); budget 1.2")


if __name__ == "__main__":
    main()
