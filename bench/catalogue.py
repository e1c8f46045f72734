"""Catalogue benchmark (issue 14): build time for N statements, and search time in Chromium.

    python bench/catalogue.py                 # 10,000 statements
    python bench/catalogue.py --n 500         # quicker

A real archive of the seven examples is built once (render, check, package);
from it a synthetic archive of N statements is made: statement i is example
i mod 7 with " [bench i]" in its title, a line naming i in its body, and that
example's PDF with a comment naming i after %%EOF (so every PDF has its own
digest and its own thumbnail, and PDFium still reads it). The synthetic
package has what the catalogue reads (data/, index.json, manifest-sha256.txt,
bag-info.txt); it is not a complete bag. Then, side by side:

* cold: catalogue into an empty folder;
* unchanged: again, nothing changed;
* new version: a second package with one statement changed (every other
  statement's page stays as it was: it links the package where its bytes
  were first archived);
* search: ``catalogueSearch(q)`` in headless Chromium over the N-statement
  index (``performance.now()`` around each call, median of 20 per query).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "tests"))

from pipeline.catalogue.thumbnails import RENDERER  # noqa: E402
from pipeline.cli import main as cli  # noqa: E402


def real_archive(work: Path) -> Path:
    archive = work / "real-archive"
    if not archive.is_dir():
        archive.mkdir(parents=True)
        assert cli(["build", "--archive", str(archive), "--build-dir", str(work / "build"),
                    "--date", "2026-01-01", "--quiet", "--json"], out=open(os.devnull, "w")) == 0
    return archive


def synthetic_package(real: Path, target: Path, n: int, name: str, changed: int | None = None) -> None:
    (source_package,) = [p for p in real.iterdir() if p.name.startswith("statements-")]
    index = json.loads((source_package / "data/index.json").read_text(encoding="utf-8"))["statements"]
    package = target / name
    manifest, entries = {}, []
    for i in range(n):
        example = index[i % len(index)]
        old_id = example["identifier"]
        identifier = f"{old_id[:80]}-b{i:05d}"
        folder = package / "data" / identifier
        folder.mkdir(parents=True)
        files = {}
        for kind, bag_path in example["files"].items():
            data = (source_package / bag_path).read_bytes()
            suffix = Path(bag_path).suffix
            mark = f" [bench {i}{' changed' if i == changed else ''}]"
            if kind == "metadata":
                record = json.loads(data.decode("utf-8-sig"))
                record["identifier"], record["title"] = identifier, record["title"] + mark
                data = (json.dumps(record, ensure_ascii=False, indent=2) + "\n").encode()
            elif kind == "body":
                data += (f"\n<p>Benchmark copy{mark}</p>\n" if suffix == ".html" else f"\n\nBenchmark copy{mark}\n").encode()
            else:
                data += f"\n% bench {i}\n".encode()
            path = f"data/{identifier}/{identifier}{suffix}"
            (package / path).write_bytes(data)
            manifest[path] = hashlib.sha256(data).hexdigest()
            files[kind] = path
        entries.append({**{k: example.get(k) for k in ("title", "date_issued", "document_type", "languages")},
                        "identifier": identifier, "files": files})
    (package / "data/index.json").write_text(json.dumps({"statements": entries}, indent=2), encoding="utf-8")
    (package / "manifest-sha256.txt").write_text("".join(f"{d}  {p}\n" for p, d in sorted(manifest.items())))
    version = int(name.rsplit("-v", 1)[1])
    (package / "bag-info.txt").write_text(f"Bagging-Date: {name[11:21]}\nExternal-Identifier: {name}\n"
                                          f"Package-Version: {version}\n")


def _cpu() -> float:
    mine, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return mine.ru_utime + mine.ru_stime + children.ru_utime + children.ru_stime


def catalogue(archive: Path, out: Path) -> tuple[float, dict]:
    start, cpu = time.perf_counter(), _cpu()
    with open(os.devnull, "w") as sink, tempfile.TemporaryFile("w+") as report:
        code = cli(["catalogue", "--archive", str(archive), "--out", str(out), "--quiet", "--json"],
                   out=report, err=sink)
        elapsed = time.perf_counter() - start
        report.seek(0)
        summary = json.load(report)["catalogue"]
    assert code == 0, code
    summary["cpu"] = _cpu() - cpu  # this process and its worker processes
    return elapsed, summary


def search_times(out: Path, queries: list[str]) -> dict[str, float]:
    from browser import chromium

    times = {}
    with chromium() as context:
        page = context.new_page()
        page.goto((out / "statements.html").as_uri())
        for query in queries:
            runs = page.evaluate("""q => { const t = []; for (let i = 0; i < 20; i++) {
                const s = performance.now(); window.catalogueSearch(q); t.push(performance.now() - s); }
                return t; }""", query)
            times[query] = statistics.median(runs)
        runs = page.evaluate("""() => { const t = []; const input = document.getElementById('q');
            for (const q of ['huawei', '']) { const s = performance.now();
              input.value = q; input.dispatchEvent(new Event('input')); t.push(performance.now() - s); }
            return t; }""")
        times["(search + show rows: 'huawei')"] = runs[0]
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--work", type=Path, default=PROJECT / "build" / "bench-catalogue")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()
    real = real_archive(args.work)
    archive = args.work / f"archive-{args.n}"
    shutil.rmtree(archive, ignore_errors=True)
    archive.mkdir()
    synthetic_package(real, archive, args.n, "statements-2026-01-01-v0001")
    out = args.work / f"catalogue-{args.n}"
    shutil.rmtree(out, ignore_errors=True)
    cold, s1 = catalogue(archive, out)
    unchanged, s2 = catalogue(archive, out)
    synthetic_package(real, archive, args.n, "statements-2026-01-02-v0002", changed=3)
    new_version, s3 = catalogue(archive, out)
    index_size = (out / "search-index.js").stat().st_size
    searches = search_times(out, ["huawei", "huawei 5g network", "档案", "الفيضانات", "bench 9999", "zzzz-nowhere"])
    rows = [
        ("cold build (empty --out; every page and thumbnail)", f"{cold:.1f} s",
         f"{s1['written']} files written; CPU {s1['cpu']:.0f} s in all processes", "goal < 60 s"),
        ("again, nothing changed", f"{unchanged:.1f} s", f"{s2['written']} files written", "goal < 5 s"),
        ("new package, one statement changed", f"{new_version:.1f} s",
         f"{s3['written']} files written, {s3['kept']} kept", "only what it changes"),
        ("search-index.js", f"{index_size / 2**20:.1f} MiB", "", ""),
    ] + [(f"search {q!r} in Chromium" if not q.startswith("(") else q, f"{ms:.1f} ms",
          "median of 20 calls of catalogueSearch()" if not q.startswith("(") else "one input event", "goal < 100 ms")
         for q, ms in searches.items()]
    report = [f"## Catalogue, {args.n} statements, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}", "",
              f"Command: `python bench/catalogue.py --n {args.n}`", "",
              f"- nproc: {os.cpu_count()}; load average at start: {' '.join(f'{x:.2f}' for x in load)}",
              f"- Python {sys.version.split()[0]}; {RENDERER}", "",
              "| what | time | result | goal |", "| --- | --- | --- | --- |",
              *[f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows], ""]
    print("\n".join(report))
    with open(PROJECT / "bench" / "RESULTS.md", "a", encoding="utf-8") as results:
        results.write("\n" + "\n".join(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
