"""Start-up cost of the pinned font set for a Latin-only document.

Run in a fresh process each time, e.g.
    /usr/bin/time -v .venv/bin/python bench/fonts_startup.py --work /tmp/fontbench
It times, in one process: the FontSet (digests of every pinned font), the
Renderer (fontconfig confined to fonts/), the coverage check of a Latin-only
body, and one render; `--cold` removes the coverage cache first.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from pipeline.render import RenderConfig, Renderer  # noqa: E402
from statement_factory import write_statement  # noqa: E402

LATIN = "The Ministry of Foreign Affairs welcomes today's agreement. " * 40 + "\n"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", type=Path, default=Path("/tmp/fontbench"))
    parser.add_argument("--fonts", type=Path, default=ROOT / "fonts")
    parser.add_argument("--cold", action="store_true", help="drop the coverage and fontconfig caches first")
    args = parser.parse_args()
    if args.cold:
        shutil.rmtree(args.work / "build", ignore_errors=True)
    statement = write_statement(args.work / "in", "latin-only", LATIN)
    config = RenderConfig(ROOT / "templates", args.fonts, args.work / "build", variant="3u")
    marks = {"start": time.perf_counter()}
    renderer = Renderer(config)
    marks["renderer"] = time.perf_counter()
    renderer.render(statement, statement.metadata_path.read_bytes(), statement.body_path.read_bytes())
    marks["first render"] = time.perf_counter()
    renderer.render(statement, statement.metadata_path.read_bytes(), statement.body_path.read_bytes())
    marks["second render"] = time.perf_counter()
    names = list(marks)
    report = {f"{b} s": round(marks[b] - marks[a], 3) for a, b in zip(names, names[1:])}
    report["fonts pinned"] = len(renderer.font_set.pinned)
    report["cmaps loaded"] = len(renderer.font_set._coverage)
    report["peak RSS MiB"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
