"""Where `verify`'s CPU goes with 1 and with 2 workers: its own process and its workers apart (issue 15, item 3).

    python bench/verify_cpu.py --statements 10000 --repeat 3
    python bench/verify_cpu.py --archive /tmp/one/archive --repeat 5 --tree before=/tmp/main-copy

Each run is the CLI's ``verify --quiet --workers N`` in a fresh Python process
(``pipeline.cli.main``, what ``python -m pipeline verify`` calls), which reports
its own CPU (``RUSAGE_SELF``: the main process and its threads) and that of its
worker processes (``RUSAGE_CHILDREN``); the wall time and the total come from
``os.wait4`` here. Runs alternate (tree by tree, 1 worker then 2) so that load
from other work spreads over all of them. CPU seconds move far less with load
than wall time, so on a shared machine they tell overhead from waiting: on 2
cores, 2 workers cannot beat 1 by more than 2 × (1-worker CPU) / (2-worker CPU).

``--tree NAME=PATH`` adds another checkout of the project (e.g. a copy of main,
``git archive HEAD | tar -x -C PATH``) run with this virtualenv, its own
``pipeline`` package first on the path. Without ``--archive`` one package of
``--statements`` statements is written first (as ``bench/versions.py
--one-package`` does) and deleted at the end.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]

_RUN = r"""
import os, resource, sys
from pipeline.cli import main
with open(os.devnull, "w") as quiet:
    code = main(["verify", "--archive", sys.argv[1], "--quiet", "--workers", sys.argv[2]], out=quiet)
mine, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(mine.ru_utime + mine.ru_stime, workers.ru_utime + workers.ru_stime, file=sys.stderr)
sys.exit(code)
"""


def run_once(tree: Path, archive: Path, workers: int) -> tuple[float, float, float]:
    """(wall s, main process CPU s, workers' CPU s) of one verify."""
    began = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", _RUN, str(archive), str(workers)], cwd=tree,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, err = child.communicate()
    wall = time.perf_counter() - began
    assert child.returncode == 0, f"verify exited {child.returncode}: {err[-2000:]}"
    mine, theirs = (float(x) for x in err.split()[-2:])
    return wall, mine, theirs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--statements", type=int, default=10000)
    parser.add_argument("--archive", type=Path, help="an archive already written (one package, say)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tree", action="append", default=[], metavar="NAME=PATH",
                        help="also run another checkout of the project")
    args = parser.parse_args(argv)
    trees = {"this": PROJECT, **{name: Path(path) for name, path in (t.split("=", 1) for t in args.tree)}}
    work = None
    archive = args.archive
    if archive is None:
        sys.path.insert(0, str(PROJECT / "bench"))
        sys.path.insert(0, str(PROJECT))
        import versions

        work = Path(tempfile.mkdtemp(prefix="statement-archive-verify-cpu-"))
        archive = work / "archive"
        versions.build_versions(work, archive, args.statements, 1, True, versions.sample_pdfs())
    runs: dict[tuple[str, int], list[tuple[float, float, float]]] = {}
    load = [os.getloadavg()]
    try:
        for name, tree in trees.items():
            run_once(tree, archive, 1)  # warm-up: the page cache
        for _ in range(args.repeat):
            for name, tree in trees.items():
                for workers in (1, 2):
                    runs.setdefault((name, workers), []).append(run_once(tree, archive, workers))
        load.append(os.getloadavg())
    finally:
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
    print(f"load average at start {' '.join(f'{x:.2f}' for x in load[0])}, at end "
          f"{' '.join(f'{x:.2f}' for x in load[-1])}; nproc {os.cpu_count()}; {args.repeat} rounds, medians\n")
    print("| tree | workers | wall | main process CPU | workers' CPU | total CPU | "
          "speed-up (rounds) | bound by CPU on 2 cores |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name in trees:
        one, two = runs[(name, 1)], runs[(name, 2)]
        for workers, rounds in ((1, one), (2, two)):
            wall, mine, theirs = (statistics.median(r[k] for r in rounds) for k in range(3))
            total = statistics.median(r[1] + r[2] for r in rounds)
            extra = ""
            if workers == 2:
                ratios = [a[0] / b[0] for a, b in zip(one, two)]
                bound = 2 * statistics.median(r[1] + r[2] for r in one) / total
                extra = (f"{statistics.median(ratios):.2f}× ({', '.join(f'{x:.2f}' for x in ratios)}) "
                         f"| {bound:.2f}×")
            else:
                extra = "| "
            print(f"| {name} | {workers} | {wall:.2f} s | {mine:.2f} s | {theirs:.2f} s | {total:.2f} s | {extra} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
