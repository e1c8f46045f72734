"""Import throughput against trafilatura called directly on the same pages (issue 10).

    python bench/import.py --n 1000 --workers 1 2 --repeat 3

Makes N saved pages (the shared corpus's HTML fragments when present, else
none, and variants of a whole ministry page with menus, scripts and a
footer), then times, alternately in the same run (A B A B …):

* A: ``import_captures`` (read, charset, trafilatura, derivation, drafted
  metadata, three files written and fsynced per capture) into a fresh folder;
* B: ``trafilatura.bare_extraction(html, with_metadata=True)`` with the same
  options on the same pages, read from disk (as UTF-8), in a pool of the
  same size, writing nothing;
* C: the same, writing each extracted text to a file beside its page (what a
  script around trafilatura does; plain writes, no atomic rename, no fsync).

Reports pages per second and the ratio A/B per round (median, min–max) and
appends the table to bench/RESULTS.md with the command. Issue 10 asks A/B ≥ 0.9.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "tests"))

from capture_factory import ministry_page  # noqa: E402

from pipeline.importer.stage import ImportOptions, import_captures  # noqa: E402

CORPUS = PROJECT.parent / "shared" / "corpus"


def make_pages(target: Path, n: int) -> list[Path]:
    target.mkdir(parents=True, exist_ok=True)
    fragments = sorted(CORPUS.glob("0[12]*.html")) if CORPUS.is_dir() else []
    pages = []
    for i in range(n):
        if fragments and i % 2:
            data = fragments[i % len(fragments)].read_bytes() + f"\n<p>Bench copy {i}.</p>\n".encode()
        else:
            data = ministry_page().replace(b"signed today", f"signed on day {i}".encode())
        path = target / f"page-{i:05d}.html"
        path.write_bytes(data)
        pages.append(path)
    return pages


def _direct(path: str) -> int:
    import trafilatura

    from pipeline.importer.htmlextract import _config  # the same options, so only the overhead differs

    html = Path(path).read_text(encoding="utf-8")
    document = trafilatura.bare_extraction(
        html, with_metadata=True, include_comments=False, include_tables=True, deduplicate=False,
        config=_config(), date_extraction_params={"extensive_search": False, "original_date": True})
    return len(document.text or "") if document is not None else 0


def _direct_to_file(path: str) -> int:
    """What a script around trafilatura does: extract, and write the text beside the page."""
    import trafilatura

    from pipeline.importer.htmlextract import _config

    html = Path(path).read_text(encoding="utf-8")
    document = trafilatura.bare_extraction(
        html, with_metadata=True, include_comments=False, include_tables=True, deduplicate=False,
        config=_config(), date_extraction_params={"extensive_search": False, "original_date": True})
    text = (document.text or "") if document is not None else ""
    Path(path).with_suffix(".extracted.txt").write_text(text, encoding="utf-8")
    return len(text)


def run_direct(pages: list[Path], workers: int, function=_direct) -> float:
    start = time.perf_counter()
    if workers == 1:
        for page in pages:
            function(str(page))
    else:
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            list(pool.map(function, map(str, pages), chunksize=max(1, min(16, len(pages) // (workers * 4)))))
    return time.perf_counter() - start


def run_import(pages: list[Path], workers: int, work: Path) -> float:
    into = work / "into"
    shutil.rmtree(into, ignore_errors=True)
    into.mkdir()
    start = time.perf_counter()
    report = import_captures(pages, ImportOptions(into, workers=workers))
    elapsed = time.perf_counter() - start
    drafted = sum(i["outcome"] == "drafted" for i in report.items)
    assert drafted == len(pages), f"only {drafted} of {len(pages)} drafted"
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--no-record", action="store_true", help="do not append to bench/RESULTS.md")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-import-"))
    pages = make_pages(work / "pages", args.n)
    rows = []
    for workers in args.workers:
        ratios, ratios_files, imports, directs, files = [], [], [], [], []
        for _ in range(args.repeat):
            a = run_import(pages, workers, work)
            b = run_direct(pages, workers)
            c = run_direct(pages, workers, _direct_to_file)
            imports.append(len(pages) / a)
            directs.append(len(pages) / b)
            files.append(len(pages) / c)
            ratios.append(b / a)
            ratios_files.append(c / a)
        rows.append((workers, statistics.median(imports), statistics.median(directs), statistics.median(files),
                     statistics.median(ratios), min(ratios), max(ratios),
                     statistics.median(ratios_files), min(ratios_files), max(ratios_files)))
        print(f"workers {workers}: import {rows[-1][1]:.1f} pages/s, trafilatura {rows[-1][2]:.1f} pages/s "
              f"(writing its text: {rows[-1][3]:.1f}), ratio {rows[-1][4]:.2f} ({min(ratios):.2f}–{max(ratios):.2f})",
              flush=True)
    command = "python bench/import.py " + " ".join(argv if argv is not None else sys.argv[1:])
    table = [
        f"\n## Import throughput vs trafilatura directly (issue 10), {time.strftime('%Y-%m-%d')}\n",
        f"`{command.strip()}` on {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"{len(pages)} pages (corpus fragments and whole ministry pages), {args.repeat} rounds, alternating.\n",
        "| workers | import (pages/s) | trafilatura in memory (pages/s) | trafilatura + text file (pages/s) "
        "| import ÷ in memory (median, min–max) | import ÷ + text file |",
        "| --- | --- | --- | --- | --- | --- |",
        *[f"| {w} | {a:.1f} | {b:.1f} | {c:.1f} | {r:.2f} ({lo:.2f}–{hi:.2f}) | {rf:.2f} ({flo:.2f}–{fhi:.2f}) |"
          for w, a, b, c, r, lo, hi, rf, flo, fhi in rows],
        "",
    ]
    if not args.no_record:
        with open(PROJECT / "bench" / "RESULTS.md", "a", encoding="utf-8") as out:
            out.write("\n".join(table) + "\n")
    print("\n".join(table))
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
