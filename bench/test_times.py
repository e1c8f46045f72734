"""Where a parallel test run's time goes: per module and per worker, from TEST_TIMES.

    TEST_TIMES=/tmp/times env -u CI make test
    python bench/test_times.py /tmp/times [--top 25]

Prints each worker's busy time, CPU and finish time (the idle tail is how
long a worker waited for the last one), the modules by wall time (with the
worker that ran them and when they ended) and the slowest single tests.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    lines = [json.loads(line) for path in sorted(args.folder.glob("*.jsonl"))
             for line in path.read_text(encoding="utf-8").splitlines()]
    begin = min(line["start"] for line in lines)
    finish = max(line["end"] for line in lines)
    print(f"{len(lines)} tests, first start to last end {finish - begin:.1f} s")
    workers: dict[str, list[dict]] = defaultdict(list)
    modules: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for line in lines:
        workers[line["worker"]].append(line)
        modules[(line["test"].split("::")[0], line["worker"])].append(line)
    print("\nworker  tests  busy s  cpu s  ends at s  idle tail s")
    for name, own in sorted(workers.items()):
        busy = sum(line["end"] - line["start"] for line in own)
        cpu = sum(line["cpu"] for line in own)
        end = max(line["end"] for line in own) - begin
        print(f"{name:6}  {len(own):5}  {busy:6.1f}  {cpu:5.1f}  {end:9.1f}  {finish - begin - end:11.1f}")
    print(f"\ntop {args.top} modules by wall time")
    print("  wall s  cpu s  tests  worker  starts  ends  module")
    rows = sorted(modules.items(), key=lambda item: -sum(line["end"] - line["start"] for line in item[1]))
    for (module, worker), own in rows[:args.top]:
        wall = sum(line["end"] - line["start"] for line in own)
        cpu = sum(line["cpu"] for line in own)
        start = min(line["start"] for line in own) - begin
        end = max(line["end"] for line in own) - begin
        print(f"  {wall:6.1f}  {cpu:5.1f}  {len(own):5}  {worker:6}  {start:6.1f}  {end:5.1f}  {module}")
    print("\nlast modules to end on each worker")
    for name in sorted(workers):
        mine = sorted(((module, own) for (module, worker), own in modules.items() if worker == name),
                      key=lambda item: max(line["end"] for line in item[1]))[-4:]
        for module, own in mine:
            wall = sum(line["end"] - line["start"] for line in own)
            print(f"  {name:6}  ends {max(line['end'] for line in own) - begin:6.1f}  wall {wall:5.1f}  {module}")
    print(f"\ntop {args.top} tests by wall time")
    for line in sorted(lines, key=lambda line: line["start"] - line["end"])[:args.top]:
        print(f"  {line['end'] - line['start']:6.1f}  cpu {line['cpu']:5.1f}  {line['worker']:6}  {line['test']}")


if __name__ == "__main__":
    main()
