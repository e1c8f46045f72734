"""Import throughput against trafilatura called directly on the same pages (issue 10).

    python bench/import.py --n 1000 --workers 1 2 --repeat 3

Makes N saved pages (the shared corpus's HTML fragments when present, else
none, and variants of a whole ministry page with menus, scripts and a
footer), then times, alternately in the same run (A B C A B C …), each with
the same number of worker processes (1: in this process):

* A: ``import_captures``: read, decide the charset, trafilatura for the text,
  the derivation (what was kept and dropped, element by element), the drafted
  fields (title, issuer, date by htmldate, languages, URL), mojibake and
  truncation checks, and three files written per capture (the capture, the
  text, the metadata aside and renamed) with one ``os.sync()`` per batch
  (the disk is synced, untimed, before each round, so that sync flushes
  only the import's own files);
* B: what a user does with trafilatura alone: read the file's bytes, let
  trafilatura decode them, ``bare_extraction(..., with_metadata=True)`` (text
  and all its metadata) with the same options; nothing written;
* C: B, and the text written to a file beside its page (plain write, no
  rename, no fsync).

Reports pages per second and the ratio A/B per round (median, min–max), by
the clock and by CPU time (this process and its workers: less disturbed by
other work on a shared machine), and the ratio of each side's fastest round
(other work only ever adds time), and appends the table to bench/RESULTS.md
with the command and the load average. Issue 10 asks A/B ≥ 0.9.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
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

    html = Path(path).read_bytes()  # trafilatura decodes (a user does not know each page's charset)
    document = trafilatura.bare_extraction(
        html, with_metadata=True, include_comments=False, include_tables=True, deduplicate=False,
        config=_config(), date_extraction_params={"extensive_search": False, "original_date": True})
    return len(document.text or "") if document is not None else 0


def _direct_to_file(path: str) -> int:
    """What a script around trafilatura does: extract, and write the text beside the page."""
    import trafilatura

    from pipeline.importer.htmlextract import _config

    html = Path(path).read_bytes()
    document = trafilatura.bare_extraction(
        html, with_metadata=True, include_comments=False, include_tables=True, deduplicate=False,
        config=_config(), date_extraction_params={"extensive_search": False, "original_date": True})
    text = (document.text or "") if document is not None else ""
    Path(path).with_suffix(".extracted.txt").write_text(text, encoding="utf-8")
    return len(text)


def _cpu() -> float:
    """CPU seconds (user and system) of this process and of its workers that have ended."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_direct(pages: list[Path], workers: int, function=_direct) -> tuple[float, float]:
    """(seconds by the clock, CPU seconds)."""
    start, cpu = time.perf_counter(), _cpu()
    if workers == 1:
        for page in pages:
            function(str(page))
    else:
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            list(pool.map(function, map(str, pages), chunksize=max(1, min(16, len(pages) // (workers * 4)))))
    return time.perf_counter() - start, _cpu() - cpu


def run_import(pages: list[Path], workers: int, work: Path) -> tuple[float, float]:
    # A new folder each round, the earlier ones kept until the end: deleting
    # thousands of files just before the import makes ext4 hunt for inodes it
    # may reuse (about 1 ms a file here, against 0.04 ms in a folder nothing
    # was deleted from), a cost of the bench's own cleaning, not of importing.
    into = Path(tempfile.mkdtemp(prefix="into-", dir=work))
    start, cpu = time.perf_counter(), _cpu()
    report = import_captures(pages, ImportOptions(into, workers=workers))
    elapsed, cpu = time.perf_counter() - start, _cpu() - cpu
    drafted = sum(i["outcome"] == "drafted" for i in report.items)
    assert drafted == len(pages), f"only {drafted} of {len(pages)} drafted"
    return elapsed, cpu


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
    load_before = os.getloadavg()
    for workers in args.workers:
        ratios, ratios_files, ratios_cpu, imports, directs, files = [], [], [], [], [], []
        for _ in range(args.repeat):
            # Untimed: the import's one os.sync() must flush its own files, not C's text files of the round before.
            os.sync()
            a, a_cpu = run_import(pages, workers, work)
            b, b_cpu = run_direct(pages, workers)
            c, _ = run_direct(pages, workers, _direct_to_file)
            imports.append(len(pages) / a)
            directs.append(len(pages) / b)
            files.append(len(pages) / c)
            ratios.append(b / a)
            ratios_files.append(c / a)
            ratios_cpu.append(b_cpu / a_cpu)
        rows.append((workers, statistics.median(imports), statistics.median(directs), statistics.median(files),
                     statistics.median(ratios), min(ratios), max(ratios),
                     statistics.median(ratios_files), min(ratios_files), max(ratios_files),
                     statistics.median(ratios_cpu), min(ratios_cpu), max(ratios_cpu),
                     # Other work on a shared machine only ever adds time: each side's fastest round
                     # is the least disturbed measurement of it (what timeit reports).
                     max(imports) / max(directs)))
        print(f"workers {workers}: import {rows[-1][1]:.1f} pages/s, trafilatura {rows[-1][2]:.1f} pages/s "
              f"(writing its text: {rows[-1][3]:.1f}), ratio {rows[-1][4]:.2f} ({min(ratios):.2f}–{max(ratios):.2f}), "
              f"by CPU time {rows[-1][10]:.2f} ({min(ratios_cpu):.2f}–{max(ratios_cpu):.2f}), "
              f"fastest rounds {rows[-1][13]:.2f}", flush=True)
    load_after = os.getloadavg()
    command = "python bench/import.py " + " ".join(argv if argv is not None else sys.argv[1:])
    table = [
        f"\n## Import throughput vs trafilatura directly (issue 10), {time.strftime('%Y-%m-%d')}\n",
        f"`{command.strip()}` on {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"{len(pages)} pages (corpus fragments and whole ministry pages), {args.repeat} rounds, alternating; "
        f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after.\n",
        "| workers | import (pages/s) | trafilatura text + metadata (pages/s) | trafilatura + text file (pages/s) "
        "| import ÷ trafilatura (median, min–max) | import ÷ + text file | by CPU time: import ÷ trafilatura "
        "| fastest import round ÷ fastest trafilatura round |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        *[f"| {w} | {a:.1f} | {b:.1f} | {c:.1f} | {r:.2f} ({lo:.2f}–{hi:.2f}) | {rf:.2f} ({flo:.2f}–{fhi:.2f}) "
          f"| {rc:.2f} ({clo:.2f}–{chi:.2f}) | {best:.2f} |"
          for w, a, b, c, r, lo, hi, rf, flo, fhi, rc, clo, chi, best in rows],
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
