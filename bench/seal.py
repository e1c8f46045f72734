"""Sealing benchmark (issue 13): seal N packages with one TSA; results to bench/RESULTS.md.

    python bench/seal.py --smoke                # seconds
    python bench/seal.py -n 1000 --repeat 3     # the issue's measure

Side by side in each round, on fresh copies of the same N packages:

* A: one `seal` run over all N packages: N signatures, one hash tree, **one**
  TSA request (counted at the TSA and required to be 1);
* B: the per-package way, one run (and so one TSA round trip) per package,
  on the first min(N, --per-package-n) packages, scaled to N;
* verifying every seal of A.

The TSA is the tests' one (pyHanko's DummyTimeStamper over HTTP on
127.0.0.1), so a round trip costs well under a millisecond here; a real TSA
over the Internet costs 0.1–1 s each, which B pays N times and A once.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(PROJECT), str(PROJECT / "tests")]

from pipeline.bagit.writer import PayloadItem, plan_payload, write_bag  # noqa: E402
from pipeline.seal.keys import load_key  # noqa: E402
from pipeline.seal.stage import seal_packages  # noqa: E402
from pipeline.seal.verify_seal import verify_seal  # noqa: E402
from seal_pki import DAY, NOW, issue, make_ca, running_tsa, write_key_dir  # noqa: E402


def make_packages(archive: Path, count: int) -> list[str]:
    names = []
    for i in range(count):
        name = f"bench{i:05d}-2026-11-28-v0001"
        items = [PayloadItem(f"data/s{i}/s{i}.pdf", content=b"%PDF-1.7\n% bench " + str(i).encode() + b"\n%%EOF\n"),
                 PayloadItem(f"data/s{i}/s{i}.json", content=b'{"identifier": "s%d"}\n' % i)]
        info = [("Bag-Group-Identifier", f"bench{i:05d}"), ("Bag-Software-Agent", "bench"),
                ("Bagging-Date", "2026-11-28"), ("External-Identifier", name), ("Package-Version", "1")]
        (archive / name).mkdir(parents=True)
        write_bag(archive / name, items, info,
                  expected_sha256={p: d.digests["sha256"] for p, d in plan_payload(items).items()})
        names.append(name)
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=1000, help="packages to seal (default 1000)")
    parser.add_argument("--per-package-n", type=int, default=100, help="packages sealed one by one in B")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="20 packages, 1 round; nothing appended")
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    if args.smoke:
        args.n, args.per_package_n, args.repeat = 20, 5, 1
    work = Path(tempfile.mkdtemp(dir=args.work))
    command = "python bench/seal.py " + " ".join(sys.argv[1:])
    started = time.perf_counter()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    source = work / "source"
    names = make_packages(source, args.n)
    ca = make_ca()
    signer = issue(ca, "Bench office", not_before=NOW - DAY, not_after=NOW + 300 * DAY)
    tsa_cert = issue(ca, "Bench TSA", not_before=NOW - DAY, not_after=NOW + 3000 * DAY, tsa=True)
    key = load_key(write_key_dir(work / "key", signer), b"test passphrase")
    tree, single, check = [], [], []
    b_n = min(args.n, args.per_package_n)
    with running_tsa(tsa_cert, ca) as tsa:
        for round_ in range(args.repeat):
            a_dir, b_dir = work / f"a{round_}", work / f"b{round_}"
            shutil.copytree(source, a_dir)
            shutil.copytree(source, b_dir)
            before = len(tsa.requests)
            t0 = time.perf_counter()
            seal_packages(a_dir, names, key, [tsa.url], dt.datetime.now(dt.timezone.utc))
            tree.append(time.perf_counter() - t0)
            assert len(tsa.requests) - before == 1, "more than one TSA request for one seal run"
            t0 = time.perf_counter()
            for name in names[:b_n]:
                seal_packages(b_dir, [name], key, [tsa.url], dt.datetime.now(dt.timezone.utc))
            single.append((time.perf_counter() - t0) * args.n / b_n)
            t0 = time.perf_counter()
            assert all(verify_seal(a_dir, n, [ca.asn1()], dt.datetime.now(dt.timezone.utc)).ok for n in names)
            check.append(time.perf_counter() - t0)
            shutil.rmtree(a_dir)
            shutil.rmtree(b_dir)
    total = time.perf_counter() - started

    def cell(values):
        return (f"median {statistics.median(values):.2f} s (min {min(values):.2f}, max {max(values):.2f})")

    ratios = ", ".join(f"{b / a:.2f}" for a, b in zip(tree, single))
    lines = [
        f"## Seal run of {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC",
        "", f"Command: `{command}` (total {total:.0f} s)", "",
        f"- nproc: {os.cpu_count()}; load average at start: {load}, at end: "
        + " ".join(f"{x:.2f}" for x in os.getloadavg()),
        f"- {platform.python_implementation()} {platform.python_version()} on {platform.platform()}",
        f"- TSA: pyHanko DummyTimeStamper over HTTP on 127.0.0.1; signer key ECDSA P-256, TSA RSA 2048",
        "", "| what | time | result |", "| --- | --- | --- |",
        f"| A: seal {args.n} packages in one run (one hash tree) | {cell(tree)} | "
        f"1 TSA request per run (counted); {statistics.median(tree) / args.n * 1000:.1f} ms per package |",
        f"| B: seal one package per run, {b_n} runs, scaled to {args.n} | {cell(single)} | "
        f"{args.n} TSA requests; B/A per round: {ratios} |",
        f"| verify every seal of A ({args.n}) | {cell(check)} | "
        f"{statistics.median(check) / args.n * 1000:.1f} ms per seal |", "",
    ]
    print("\n".join(lines))
    if not args.smoke:
        with open(PROJECT / "bench" / "RESULTS.md", "a", encoding="utf-8") as results:
            results.write("\n" + "\n".join(lines))
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
