"""Benchmarks for issue 15: versions that share unchanged files, and verify over them.

    python bench/versions.py --versions 20 --statements 200 --repeat 3
    python bench/versions.py --smoke

Writes N versions of M statements with 1% of the statements (at least one)
changed per version, twice — sharing unchanged files (the default) and with
``share=False`` (copies, as before) — and reports:

- disk used (what ``du`` counts: allocated blocks of each distinct inode) by
  each archive, against one full copy plus every changed file;
- ``verify`` with 1 and 2 worker processes, side by side (A B A B …), on the
  copied archive (every file its own; pure hashing) and on the shared one
  (each shared file read once per run);
- ``verify --due 90d`` after one full pass and one more version: what it reads.

With ``--one-package N`` (issue 15, item 4): one package of N statements,
``verify`` with 1 and 2 workers against ``sha256sum``+``sha512sum`` (in chunks
of 2,000 paths), bagit-python's ``validate(processes=2)`` and hashing alone in
1 and 2 processes (``hash_ceiling.py``: what two cores give here), side by side;
with ``--rss-n A B``: the peak RSS of ``python -m pipeline verify`` of one
package of A and of B statements (each in its own child process).

The package stage is called directly (no rendering): the PDFs are copies of
the example PDFs in ``archive/`` (a real ``make`` output), each made unique by
a trailing PDF comment, so file sizes are those of real renditions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
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

from pipeline.cli import main as cli  # noqa: E402
from pipeline.core.records import RenderedStatement, Statement  # noqa: E402
from pipeline.package import package_statements  # noqa: E402

from run import machine, ratio, secs, side_by_side  # noqa: E402

DATE = dt.date(2026, 1, 1)
EVENT = dt.datetime(2026, 1, 1, 9, tzinfo=dt.timezone.utc)


def sample_pdfs() -> list[bytes]:
    """Real PDFs from archive/ when `make` has built it; else stand-ins of a typical
    size (the package stage only copies, links and hashes them: the bytes do not matter)."""
    found = sorted(PROJECT.glob("archive/statements-*/data/*/*.pdf"))
    if found:
        return [p.read_bytes() for p in found]
    import hashlib

    return [b"%PDF-1.7\n" + b"".join(hashlib.sha512(f"{n}/{k}".encode()).digest() for k in range(900))
            for n in range(7)]  # ~57 KB each, like the example corpus


def write_statement(folder: Path, i: int, edit: int, pdfs: list[bytes]) -> RenderedStatement:
    import hashlib

    identifier = f"bench-{i:05d}"
    metadata = (f'{{"identifier": "{identifier}", "title": "Statement {i}", "date_issued": "2026-01-01", '
                f'"document_type": "press-release", "languages": ["en"], "issuer": "Ministry"}}\n').encode()
    body = f"Statement {i}, edition {edit}.\n\n".encode() + b"A paragraph of text. " * 40
    pdf = pdfs[i % len(pdfs)] + f"\n% bench {i} edition {edit}\n".encode()
    paths = {}
    for name, data in (("json", metadata), ("md", body)):
        paths[name] = folder / f"{identifier}.{name}"
        paths[name].write_bytes(data)
    pdf_path = folder / "pdf" / f"{identifier}.pdf"
    pdf_path.write_bytes(pdf)
    sha = lambda data: hashlib.sha256(data).hexdigest()  # noqa: E731
    statement = Statement(identifier=identifier, metadata_path=paths["json"], body_path=paths["md"],
                          media_type="text/markdown", metadata_bytes=metadata,
                          metadata_sha256=sha(metadata), body_sha256=sha(body))
    return RenderedStatement(statement, pdf_path, sha(pdf), "pdfa-3b")


def disk_used(root: Path) -> int:
    """Bytes allocated, each distinct file once (as du counts)."""
    seen, total = set(), 0
    for folder, _, files in os.walk(root):
        for name in files:
            info = os.lstat(os.path.join(folder, name))
            if (info.st_dev, info.st_ino) not in seen:
                seen.add((info.st_dev, info.st_ino))
                total += info.st_blocks * 512
    return total


def file_bytes(paths) -> int:
    return sum(os.lstat(p).st_blocks * 512 for p in paths)


def build_versions(work: Path, archive: Path, m: int, n: int, share: bool, pdfs: list[bytes]
                   ) -> tuple[float, int, int]:
    """N versions; returns (seconds, bytes of version 1's files, bytes of each later version's changed files)."""
    src = work / "statements"
    shutil.rmtree(src, ignore_errors=True)
    (src / "pdf").mkdir(parents=True)
    editions = [0] * m
    current = [write_statement(src, i, 0, pdfs) for i in range(m)]
    per_version = max(1, m // 100)
    started = time.perf_counter()
    for version in range(n):
        if version:
            for k in range(per_version):
                i = (version * per_version + k) % m
                editions[i] += 1
                current[i] = write_statement(src, i, editions[i], pdfs)
        outcome = package_statements(current, archive, bagging_date=DATE + dt.timedelta(days=version),
                                     software_agent="bench", event_time=EVENT + dt.timedelta(days=version),
                                     share=share)
        assert outcome.created
    return (time.perf_counter() - started, *floor_sizes(archive, m))


def floor_sizes(archive: Path, m: int) -> tuple[int, int]:
    """(bytes of version 1's files, bytes of each later version's changed files: the
    files of its 1% of statements and its tag files), read from the packages on disk."""
    packages = sorted(p for p in archive.iterdir() if p.name.startswith("statements-"))
    per_version = max(1, m // 100)
    first, changed = disk_used(packages[0]), 0
    for version, package in enumerate(packages[1:], start=1):
        ids = [f"bench-{(version * per_version + k) % m:05d}" for k in range(per_version)]
        changed += file_bytes(p for i in ids for p in (package / "data" / i).iterdir())
        changed += file_bytes(p for p in package.iterdir() if p.is_file())  # tag files: never shared
    return first, changed


def verify(archive: Path, *args: str, epoch: int | None = None) -> str:
    out = io.StringIO()
    if epoch is not None:
        os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    try:
        code = cli(["verify", "--archive", str(archive), "--quiet", *args], out=out, err=out)
    finally:
        os.environ.pop("SOURCE_DATE_EPOCH", None)
    assert code == 0, out.getvalue()[-2000:]
    return out.getvalue()


def read_in(output: str) -> tuple[int, int, int]:
    """(packages, files, bytes) of verify's OK lines."""
    lines = [line for line in output.splitlines() if line.startswith("OK ")]
    files = sum(int(line.split("(")[1].split()[0]) for line in lines)
    octets = sum(int(line.split(", ")[1].split()[0]) for line in lines)
    return len(lines), files, octets


def bench_one_package(work: Path, n: int, rounds: int, pdfs: list[bytes]) -> list[str]:
    """verify of one package of *n* statements: 1 vs 2 workers vs coreutils vs bagit-python."""
    import subprocess

    from pipeline.verify import verify_archive

    archive = work / f"one-{n}" / "archive"
    build_versions(work / f"one-{n}", archive, n, 1, True, pdfs)
    [bag] = [p for p in archive.iterdir() if p.name.startswith("statements-")]
    files = sorted(str(p) for p in (bag / "data").rglob("*") if p.is_file())

    def coreutils() -> None:
        for tool in ("sha256sum", "sha512sum"):  # in chunks: 30,000 paths exceed the argument-list limit
            for start in range(0, len(files), 2000):
                subprocess.run([tool, *files[start:start + 2000]], check=True, stdout=subprocess.DEVNULL)

    cpu: dict[int, list[tuple[float, float]]] = {1: [], 2: []}  # workers → (this process, workers) CPU s

    def verified(workers: int) -> None:
        # The command a records officer runs, in a process of its own (start-up included): run
        # in this process instead, each worker forked from a heap that just built 10,000
        # statements pays copy-on-write faults a fresh `verify` never sees.
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-m", "pipeline", "verify", "--archive", str(archive), "--quiet",
                        "--workers", str(workers)], check=True, stdout=subprocess.DEVNULL, cwd=PROJECT)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu[workers].append((0.0, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime))

    listing = work / f"one-{n}" / "payload-files.txt"
    listing.write_text("".join(f"{f}\n" for f in files), encoding="utf-8")

    def hashing_alone(processes: int) -> None:  # the machine's ceiling (bench/hash_ceiling.py)
        subprocess.run([sys.executable, str(PROJECT / "bench" / "hash_ceiling.py"), str(listing), str(processes)],
                       check=True)

    contenders = {"one": lambda: verified(1), "two": lambda: verified(2), "coreutils": coreutils,
                  "hash1": lambda: hashing_alone(1), "hash2": lambda: hashing_alone(2)}
    try:
        import bagit
        contenders["bagit"] = lambda: bagit.Bag(str(bag)).validate(processes=2)
    except ImportError:
        pass
    verify_archive(archive)  # warm-up: the page cache, imports
    times = side_by_side(rounds, **contenders)
    size = sum(os.lstat(f).st_size for f in files)
    rows = [f"| 4 | `python -m pipeline verify --workers 1` (its own process), one package of {n} statements ({len(files)} payload files, {mib(size)}) "
            f"| {secs(times['one'])} | |",
            f"| 4 | `python -m pipeline verify --workers 2`, the same | {secs(times['two'])} | speed-up vs 1 worker: "
            f"{ratio(times, 'one', 'two')} (goal ≥ 1.8); {cpu_split(cpu)} |",
            f"| 4 | hashing alone (SHA-256 + SHA-512 of the same files in Python, nothing else: "
            f"`bench/hash_ceiling.py`), 1 process | {secs(times['hash1'])} | |",
            f"| 4 | hashing alone, 2 processes | {secs(times['hash2'])} | speed-up vs 1 process: "
            f"{ratio(times, 'hash1', 'hash2')}: what 2 cores give pure hashing on this machine, "
            f"the ceiling for verify's speed-up; verify's speed-up as a share of it: {share_of_ceiling(times)} |",
            f"| 4 | `sha256sum` + `sha512sum` over the same payload files | {secs(times['coreutils'])} | verify "
            f"(2 workers) vs coreutils: {ratio(times, 'coreutils', 'two')}; 1 worker: {ratio(times, 'coreutils', 'one')} |"]
    if "bagit" in times:
        rows.append(f"| 4 | bagit-python `Bag(path).validate(processes=2)` | {secs(times['bagit'])} | verify "
                    f"(2 workers) vs bagit-python: {ratio(times, 'bagit', 'two')} |")
    return rows


def share_of_ceiling(times: dict[str, list[float]]) -> str:
    """verify's 2-worker speed-up over the speed-up of hashing alone, round by round."""
    shares = [(one / two) / (h1 / h2) for one, two, h1, h2 in
              zip(times["one"], times["two"], times["hash1"], times["hash2"])]
    return f"{statistics.median(shares):.0%} (rounds: {', '.join(f'{x:.0%}' for x in shares)})"


def cpu_split(cpu: dict[int, list[tuple[float, float]]]) -> str:
    """Median CPU of a run with 1 and with 2 workers, this process and the workers apart: on 2 cores
    the 2-worker run cannot take less than half its total, so this tells overhead from idle time."""
    def median(workers: int, part: int) -> float:
        return statistics.median(run[part] for run in cpu[workers])
    one, two = median(1, 0) + median(1, 1), median(2, 0) + median(2, 1)
    return (f"CPU per run (median, the verify process and its workers): 1 worker {one:.2f} s; "
            f"2 workers {two:.2f} s, bound on 2 cores {2 * one / two:.2f}×")


def verify_rss(work: Path, n: int, pdfs: list[bytes]) -> str:
    """Peak RSS (the largest process) of `python -m pipeline verify` of one package of *n* statements."""
    import subprocess

    archive = work / f"one-{n}" / "archive"
    if not archive.is_dir():
        build_versions(work / f"one-{n}", archive, n, 1, True, pdfs)
    began = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "pipeline", "verify", "--archive", str(archive), "--quiet",
                              "--workers", "2"], cwd=PROJECT, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    assert child.returncode == 0, f"verify of {n} statements exited {child.returncode}"
    return (f"| 4 | peak RSS of `python -m pipeline verify --workers 2`, one package of {n} statements | "
            f"{time.perf_counter() - began:.1f} s | {usage.ru_maxrss / 1024:.0f} MiB (goal flat, ≤ 400 MB) |")


def mib(n: int) -> str:
    return f"{n / 2**20:.1f} MiB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--versions", type=int, default=20)
    parser.add_argument("--statements", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--one-package", type=int, default=0, metavar="N",
                        help="also verify one package of N statements against coreutils and bagit-python")
    parser.add_argument("--rss-n", type=int, nargs="*", default=[], metavar="N",
                        help="peak RSS of verify of one package of each N statements")
    parser.add_argument("--skip-versions", action="store_true", help="only the --one-package and --rss-n rows")
    parser.add_argument("--skip-copied-verify", action="store_true",
                        help="write the copied (--no-share) archive for its disk figure only: no verify rounds over "
                             "it (at 100 versions of 1,000 statements it holds 7+ GB)")
    parser.add_argument("--reuse", type=Path, metavar="WORK",
                        help="measure the shared archive (WORK/shared/archive, WORK/shared/statements) that an earlier "
                             "run with the same --versions and --statements wrote and left (e.g. stopped with SIGTERM): "
                             "no copied archive, no writing of the versions")
    parser.add_argument("--smoke", action="store_true", help="3 versions of 10 statements, 1 round")
    parser.add_argument("--results", type=Path, help="append the table here (default: bench/RESULTS.md; none for --smoke)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.versions, args.statements, args.repeat = 3, 10, 1
        args.one_package, args.rss_n = 20, [10, 20]
    n, m = args.versions, args.statements
    command = "python bench/versions.py " + " ".join(argv if argv is not None else sys.argv[1:])
    work = args.reuse or Path(tempfile.mkdtemp(prefix="statement-archive-versions-"))
    pdfs = sample_pdfs()
    rows = ["| # | what | time | result |", "| --- | --- | --- | --- |"]
    started = time.perf_counter()
    try:
        if args.one_package:
            rows += bench_one_package(work, args.one_package, args.repeat, pdfs)
            print("\n".join(rows[-4:]), flush=True)
        for size in args.rss_n:
            rows.append(verify_rss(work, size, pdfs))
            print(rows[-1], flush=True)
        if not args.skip_versions:
            shared, copied = work / "shared" / "archive", work / "copied" / "archive"
            if args.reuse:
                assert len([p for p in shared.iterdir() if p.name.startswith("statements-")]) == n, "not n versions"
                first, changed = floor_sizes(shared, m)
                used_shared, floor = disk_used(shared), first + changed
                rows.append(f"| 1 | {n} versions of {m} statements, 1% changed per version, sharing unchanged files "
                            f"(written by an earlier run, `--reuse`; no copied archive) | | disk {mib(used_shared)} = "
                            f"{used_shared / floor:.2f}× one full copy plus changed files ({mib(floor)}; goal ≤ 1.1×) |")
            else:
                t_shared, first, changed = build_versions(work / "shared", shared, m, n, True, pdfs)
                t_copied, _, _ = build_versions(work / "copied", copied, m, n, False, pdfs)
                used_shared, used_copied = disk_used(shared), disk_used(copied)
                floor = first + changed
                rows += [
                    f"| 1 | {n} versions of {m} statements, 1% changed per version, copies (`--no-share`) | "
                    f"{t_copied:.1f} s to write | disk {mib(used_copied)} = {used_copied / floor:.2f}× one full copy "
                    f"plus changed files ({mib(floor)}) |",
                    f"| 1 | the same, sharing unchanged files (default) | {t_shared:.1f} s to write | "
                    f"disk {mib(used_shared)} = {used_shared / floor:.2f}× one full copy plus changed files "
                    f"(goal ≤ 1.1×); {used_copied / used_shared:.1f}× less than copies |",
                ]
            print("\n".join(rows[-2:]), flush=True)
            only_shared = args.skip_copied_verify or args.reuse
            verify(shared if only_shared else copied)  # warm-up: imports, seal set-up, page cache
            rounds = [("shared", shared)] if only_shared else [("copied", copied), ("shared", shared)]
            for label, archive in rounds:
                times = side_by_side(args.repeat, one=lambda a=archive: verify(a, "--workers", "1"),
                                     two=lambda a=archive: verify(a, "--workers", "2"))
                rows += [f"| 3 | `verify --workers 1`, {label} archive ({n} packages) | {secs(times['one'])} | |",
                         f"| 3 | `verify --workers 2`, {label} archive | {secs(times['two'])} | "
                         f"speed-up vs 1 worker: {ratio(times, 'one', 'two')} (goal ≥ 1.8 at 10,000 statements) |"]
                print("\n".join(rows[-2:]), flush=True)
            # verify --due: a full pass at day n, one more version, then --due 90d a day later.
            t0 = int(dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc).timestamp())
            full = read_in(verify(shared, epoch=t0))
            src = work / "shared" / "statements"
            again = [write_statement(src, i, 99 if i == 0 else 0, pdfs) for i in range(m)]
            package_statements(again, shared, bagging_date=DATE + dt.timedelta(days=n), software_agent="bench",
                               event_time=EVENT + dt.timedelta(days=n))
            began = time.perf_counter()
            due = read_in(verify(shared, "--due", "90d", epoch=t0 + 86400))
            t_due = time.perf_counter() - began
            began = time.perf_counter()
            everything = read_in(verify(shared, epoch=t0 + 86400))
            t_all = time.perf_counter() - began
            rows += [f"| 2 | `verify` of all {everything[0]} packages after a full pass (for comparison) | {t_all:.2f} s | "
                     f"{everything[1]} files, {mib(everything[2])} checked |",
                     f"| 2 | `verify --due 90d` a day after a full pass of {full[0]} packages and one new version | "
                     f"{t_due:.2f} s | checked {due[0]} package(s), {due[1]} files, {mib(due[2])}: only what is due |"]
            print("\n".join(rows[-2:]), flush=True)
    finally:
        if not args.reuse:
            shutil.rmtree(work, ignore_errors=True)
    text = "\n".join([f"Command: `{command.strip()}` (total {time.perf_counter() - started:.0f} s)", "",
                      *machine(), "", *rows, ""])
    print(text)
    results = args.results or (None if args.smoke else PROJECT / "bench" / "RESULTS.md")
    if results:
        with results.open("a", encoding="utf-8") as handle:
            handle.write(f"\n## Issue 15 run of {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n\n{text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
