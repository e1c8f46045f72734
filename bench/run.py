"""Benchmarks for issue 5, side by side in one run; results to bench/RESULTS.md.

    python bench/run.py --smoke                  # seconds; what CI may run
    python bench/run.py --render-n 40 --noop-n 1000 --rss-n 1000 --repeat 3
    python bench/run.py --render-n 0 --noop-n --dask-n 40 --repeat 3   # Dask vs local pool only

Every comparison runs its contenders alternately in the same run (A B A B …)
so the machine's load hits both alike; each ratio is reported as the median
over ``--repeat`` rounds together with its min–max, which shows the noise.
Standard library and project code only (bagit-python, installed for the
tests, is used when present). A corpus of N statements is made from
``statements/``: statement i is example i mod 7 with " [bench i]" added to
its title and a paragraph naming i added to its body, so every PDF differs
and every script (Latin, Cyrillic, Greek, CJK, Arabic, Hebrew) recurs.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from pipeline.cli import main as cli  # noqa: E402

SUFFIXES = (".txt", ".md", ".html")


def make_corpus(target: Path, n: int) -> Path:
    """N varied statements in *target* (made once, reused if complete)."""
    examples = sorted((PROJECT / "statements").glob("*.json"))
    if target.is_dir() and len(list(target.glob("*.json"))) == n:
        return target
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for i in range(n):
        source = examples[i % len(examples)]
        record = json.loads(source.read_text(encoding="utf-8-sig"))
        record.pop("$schema", None)
        for imported in ("capture", "extraction", "drafted_from", "review"):  # the copy has no capture
            record.pop(imported, None)
        identifier = f"{source.stem[:80]}-b{i:05d}"
        record["identifier"] = identifier
        record["title"] = f"{record['title']} [bench {i}]"
        (target / f"{identifier}.json").write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        body = next(source.with_suffix(s) for s in SUFFIXES if source.with_suffix(s).exists())
        extra = {".txt": f"\n\nBenchmark copy number {i}\n", ".md": f"\n\nBenchmark copy number {i}\n",
                 ".html": f"\n<p>Benchmark copy number {i}</p>\n"}[body.suffix]
        (target / f"{identifier}{body.suffix}").write_bytes(body.read_bytes() + extra.encode())
    return target


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def side_by_side(rounds: int, **contenders: Callable[[], object]) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, action in contenders.items():
            times[name].append(timed(action))
    return times


def ratio(times: dict[str, list[float]], slow: str, fast: str) -> str:
    ratios = [a / b for a, b in zip(times[slow], times[fast])]
    return f"{statistics.median(ratios):.2f}× (rounds: {', '.join(f'{r:.2f}' for r in ratios)})"


def secs(values: list[float]) -> str:
    return f"median {statistics.median(values):.2f} s (min {min(values):.2f}, max {max(values):.2f})"


def run_cli(*argv: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = cli(list(argv), out=out, err=err)
    if code != 0:
        raise SystemExit(f"statement-archive {' '.join(argv)} failed ({code}):\n{out.getvalue()[-2000:]}{err.getvalue()[-2000:]}")


def statements_of(folder: Path):
    from pipeline.validate import validate_statements

    statements, report = validate_statements(folder, PROJECT / "schemas" / "statement.schema.json")
    assert report.ok, report.problems[:3]
    return statements


# -- 1. pipeline vs raw WeasyPrint, 2. two workers vs one ---------------------

def raw_weasyprint_inputs(statements, config):
    """What raw WeasyPrint is given for each statement: the pipeline's own HTML
    (made here, untimed) and the same two embedded files the pipeline embeds
    (PDF/A-3), with the confined fonts and the tagged PDF/A variant. What the
    pipeline (XMP, tagging fixes, sandbox, cache, check, packages) is measured against."""
    from pipeline import SOFTWARE_AGENT
    from pipeline.render.document import Colophon, document_html, template_environment
    from pipeline.render.variants import VARIANTS
    from pipeline.statements.body import decode_body
    from pipeline.statements.markup import layout_body

    environment = template_environment(config.templates_dir)

    def colophon(s) -> Colophon:
        files = tuple((p.name, hashlib.sha256(p.read_bytes()).hexdigest()) for p in (s.metadata_path, s.body_path))
        return Colophon(SOFTWARE_AGENT.replace("/", " "), files, config.rendition_date)

    htmls = [document_html(environment, config.templates_dir, s.metadata,
                           layout_body(decode_body(s.body_path.read_bytes()), s.media_type), s.media_type,
                           colophon(s))
             for s in statements]
    files = [[(p.read_bytes(), p.name, r) for p, r in ((s.metadata_path, "Data"), (s.body_path, "Source"))]
             for s in statements]
    return htmls, files, VARIANTS[config.variant][0], config.templates_dir.resolve().as_uri() + "/"


def bench_config(work: Path):
    from pipeline.render import RenderConfig

    # the default variant (tagged PDF/A-3a + PDF/UA-1), with a rendition date as a build has
    return RenderConfig(PROJECT / "templates", PROJECT / "fonts", work / "render-work", rendition_date="2026-11-28")


def bench_render(work: Path, n: int, rounds: int) -> list[str]:
    from weasyprint import HTML, Attachment
    from weasyprint.text.fonts import FontConfiguration

    from pipeline.render import render_statements
    from pipeline.render.fonts import FontSet, confined_fontconfig

    statements = statements_of(make_corpus(work / f"corpus-{n}", n))
    config = bench_config(work)
    htmls, files, raw_variant, base_url = raw_weasyprint_inputs(statements, config)

    def raw() -> None:
        # Plain WeasyPrint, same HTML, same confined fonts, same tagged PDF/A
        # variant, same embedded files, one FontConfiguration: what the
        # pipeline (XMP, tagging fixes, sandbox, cache, workers) is measured against.
        with confined_fontconfig(FontSet(config.fonts_dir), config.work_dir):
            fonts = FontConfiguration()
        for html, embedded in zip(htmls, files):
            attachments = [Attachment(string=data, name=name, relationship=relationship)
                           for data, name, relationship in embedded]  # each readable once
            HTML(string=html, base_url=base_url).write_pdf(font_config=fonts, pdf_variant=raw_variant,
                                                          attachments=attachments)

    def pipeline(workers: int) -> Callable[[], None]:
        def go() -> None:
            _, report = render_statements(statements, work / f"pdf-w{workers}", config, force=True, workers=workers)
            assert report.ok
        return go

    # 1b. The renderer alone, in this process, alternating per document
    # (raw, pipeline, raw, pipeline …): no pool start-up, cache or fsync, and
    # a load swing hits both contenders alike. What tagging and the finisher cost.
    from pipeline.render import Renderer

    renderer = Renderer(config)
    inputs = [(s, s.metadata_path.read_bytes(), s.body_path.read_bytes()) for s in statements]
    with confined_fontconfig(FontSet(config.fonts_dir), config.work_dir):
        raw_fonts = FontConfiguration()
    per_document: dict[str, list[float]] = {"raw": [], "renderer": []}
    for _ in range(rounds):
        totals = {"raw": 0.0, "renderer": 0.0}
        for html, embedded, job in zip(htmls, files, inputs):
            attachments = [Attachment(string=d, name=n_, relationship=r) for d, n_, r in embedded]
            totals["raw"] += timed(lambda: HTML(string=html, base_url=base_url).write_pdf(
                font_config=raw_fonts, pdf_variant=raw_variant, attachments=attachments))
            totals["renderer"] += timed(lambda: renderer.render(*job))
        for name, total in totals.items():
            per_document[name].append(total)

    times = side_by_side(rounds, raw=raw, pipeline_1=pipeline(1), pipeline_2=pipeline(2))
    return [
        f"| 1b | render {n} statements in-process, alternating per document: raw WeasyPrint `{raw_variant}` "
        f"| {secs(per_document['raw'])} | |",
        f"| 1b | same, the pipeline's `Renderer.render` (`{config.variant}` + UA-1: XMP, tagging fixes, colophon) "
        f"| {secs(per_document['renderer'])} | throughput vs raw: {ratio(per_document, 'raw', 'renderer')} "
        "(goal ≥ 0.9) |",
        f"| 1 | render {n} statements: raw WeasyPrint `{raw_variant}` (tagged), 1 process | {secs(times['raw'])} | |",
        f"| 1 | render {n} statements: pipeline, `{config.variant}` + UA-1, `workers=1` | {secs(times['pipeline_1'])} | "
        f"throughput vs raw: {ratio(times, 'raw', 'pipeline_1')} (goal ≥ 0.9) |",
        f"| 2 | render {n} statements: pipeline, `workers=2` | {secs(times['pipeline_2'])} | "
        f"speed-up vs 1 worker: {ratio(times, 'pipeline_1', 'pipeline_2')} (goal ≥ 1.8) |",
    ]


# -- 5b. a full build vs raw WeasyPrint in 2 processes (issue 15, item 4) ------

_RAW_WORKER: dict = {}


def _raw_worker_start(fonts_dir: str, work_dir: str, variant: str, base_url: str, out: str) -> None:
    from weasyprint.text.fonts import FontConfiguration

    from pipeline.render.fonts import FontSet, confined_fontconfig

    with confined_fontconfig(FontSet(Path(fonts_dir)), Path(work_dir)):
        _RAW_WORKER["fonts"] = FontConfiguration()  # one per process, as the pipeline's workers
    _RAW_WORKER.update(variant=variant, base_url=base_url, out=Path(out))


def _raw_worker_render(job: tuple[int, str, list]) -> int:
    from weasyprint import HTML, Attachment

    index, html, embedded = job
    attachments = [Attachment(string=data, name=name, relationship=relationship)
                   for data, name, relationship in embedded]
    pdf = HTML(string=html, base_url=_RAW_WORKER["base_url"]).write_pdf(
        font_config=_RAW_WORKER["fonts"], pdf_variant=_RAW_WORKER["variant"], attachments=attachments)
    (_RAW_WORKER["out"] / f"{index:05d}.pdf").write_bytes(pdf)  # a build writes its PDFs too
    return len(pdf)


def raw_weasyprint_processes(work: Path, corpus: Path, processes: int = 2) -> float:
    """Wall time of plain WeasyPrint rendering the corpus's documents (the HTML
    made beforehand, untimed) in a pool of *processes*, each PDF written to disk:
    the floor a full build (validate, render, check, package, events) is measured against."""
    import multiprocessing

    statements = statements_of(corpus)
    config = bench_config(work)
    htmls, files, variant, base_url = raw_weasyprint_inputs(statements, config)
    out = work / f"raw-pdf-{len(statements)}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    jobs = [(i, html, embedded) for i, (html, embedded) in enumerate(zip(htmls, files))]
    start = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(
            processes, _raw_worker_start, (str(config.fonts_dir), str(config.work_dir), variant, base_url, str(out))) as pool:
        written = sum(pool.imap_unordered(_raw_worker_render, jobs, chunksize=4))
    wall = time.perf_counter() - start
    assert written > 0 and len(list(out.iterdir())) == len(jobs)
    shutil.rmtree(out, ignore_errors=True)
    return wall


# -- 3. no-op build, 5. peak RSS of a full build --------------------------------

def build_args(corpus: Path, out: Path) -> list[str]:
    return ["build", "--statements", str(corpus), "--archive", str(out / "archive"),
            "--build-dir", str(out / "build"), "--date", "2026-11-28", "--quiet"]


def child_build(argv: list[str]) -> tuple[float, int]:
    """Wall time and peak RSS (KiB, the largest single process) of a build in a child."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pipeline", *argv], cwd=PROJECT, check=True,
                   stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    # ru_maxrss of RUSAGE_CHILDREN is the largest of all waited-for
    # descendants (the CLI and its render workers), not their sum.
    return wall, max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)


def bench_builds(work: Path, n: int, rounds: int, report: Callable[[list[str]], None]) -> None:
    corpus = make_corpus(work / f"corpus-{n}", n)
    out = work / f"build-{n}"
    shutil.rmtree(out, ignore_errors=True)
    full, rss = child_build(build_args(corpus, out))
    report([f"| 5 | full build of {n} statements (child process, default workers) | {full:.1f} s | "
            f"peak RSS {rss / 1024:.0f} MiB (goal flat, ≤ 400 MB) |"])
    raw = raw_weasyprint_processes(work, corpus)
    report([f"| 5b | raw WeasyPrint rendering the same {n} documents, 2 processes (HTML made beforehand, "
            f"untimed; PDFs written) | {raw:.1f} s | full build throughput vs raw: {raw / full:.2f}× (goal ≥ 0.9) |"])
    noop = [child_build(build_args(corpus, out))[0] for _ in range(rounds)]
    goal = "≤ 2 s" if n <= 1000 else "≤ 5 s (issue 15)"
    report([f"| 3 | no-op build of {n} statements, `python -m pipeline build` | {secs(noop)} | goal {goal} |"])
    in_process = side_by_side(rounds, noop_in_process=lambda: run_cli(*build_args(corpus, out)))
    report([f"| 3 | same, in-process (no interpreter start-up) | {secs(in_process['noop_in_process'])} | |"])


# -- 3b. no-op build with many versions present (issue 15, item 4) -------------------

def child_build_own(argv: list[str]) -> tuple[float, int]:
    """Wall time and peak RSS (KiB) of this one build child (wait4: its own
    rusage, with any render workers it waited for), not the run's maximum so far."""
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "pipeline", *argv], cwd=PROJECT, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"statement-archive {' '.join(argv)} exited {os.waitstatus_to_exitcode(status)}")
    return wall, usage.ru_maxrss


def add_package_versions(corpus: Path, out: Path, count: int) -> None:
    """*count* more packages in *out*/archive, each with 1% of the statements'
    PDFs changed (a trailing PDF comment), written by the package stage as
    bench/versions.py does: no rendering. The build's own PDFs are the base."""
    import datetime as dt

    from pipeline.core.records import RenderedStatement
    from pipeline.package import package_statements
    from pipeline.render.renderer import DEFAULT_VARIANT

    statements = statements_of(corpus)
    pdf_dir = out / "build" / "pdf"
    current = [RenderedStatement(s, pdf_dir / f"{s.identifier}.pdf",
                                 hashlib.sha256((pdf_dir / f"{s.identifier}.pdf").read_bytes()).hexdigest(),
                                 DEFAULT_VARIANT) for s in statements]
    per_version = max(1, len(statements) // 100)
    edits = out / "bench-edited-pdfs"
    for version in range(1, count + 1):
        folder = edits / f"{version:04d}"
        folder.mkdir(parents=True)
        for k in range(per_version):
            i = (version * per_version + k) % len(statements)
            s = statements[i]
            data = (pdf_dir / f"{s.identifier}.pdf").read_bytes() + f"\n% bench version {version}\n".encode()
            (folder / f"{s.identifier}.pdf").write_bytes(data)
            current[i] = RenderedStatement(s, folder / f"{s.identifier}.pdf", hashlib.sha256(data).hexdigest(),
                                           DEFAULT_VARIANT)
        outcome = package_statements(current, out / "archive", bagging_date=dt.date(2026, 11, 28),
                                     software_agent="bench", event_time=dt.datetime.now(dt.timezone.utc))
        assert outcome.created, outcome.message


def bench_noop_versions(work: Path, n: int, versions: int, rounds: int) -> list[str]:
    """No-op build of *n* statements with 1 package vs *versions* packages in
    the archive, alternately (A B A B …), each a `python -m pipeline build` child.

    The many-version archive is a copy of the 1-package build; versions - 2
    packages are added by the package stage (1% of the PDFs changed in each);
    then a real build packages the build's own PDFs again (the newest package
    is a real build's), so the timed builds are true no-ops."""
    corpus = make_corpus(work / f"corpus-{n}", n)
    one, many = work / f"build-{n}", work / f"build-{n}-versions-{versions}"
    rows = []
    if not (one / "archive").is_dir():  # the full build: renders all n
        full, full_rss = child_build_own(build_args(corpus, one))
        rows.append(f"| 5 | full build of {n} statements (child process, default workers) | {full:.1f} s | "
                    f"peak RSS {full_rss / 1024:.0f} MiB (goal ≤ 400 MB) |")
    packages = lambda out: len([p for p in (out / "archive").iterdir() if p.name.startswith("statements-")])  # noqa: E731
    if not many.is_dir():
        shutil.copytree(one, many, symlinks=True)
        began = time.perf_counter()
        add_package_versions(corpus, many, versions - 1 - packages(one))
        added = time.perf_counter() - began
        last, _ = child_build_own(build_args(corpus, many))  # packages again, renders nothing
        print(f"(added {versions - 1 - packages(one)} packages in {added:.0f} s; the real build of the last: "
              f"{last:.1f} s)", flush=True)
    assert packages(many) == versions, (packages(many), versions)
    for out in (one, many):  # warm-up: the page cache
        child_build_own(build_args(corpus, out))
    rss: dict[str, list[int]] = {"one": [], "many": []}

    def noop(name: str, out: Path) -> Callable[[], None]:
        def go() -> None:
            rss[name].append(child_build_own(build_args(corpus, out))[1])
        return go

    times = side_by_side(rounds, one=noop("one", one), many=noop("many", many))
    assert (packages(one), packages(many)) == (1, versions), "a timed build was not a no-op"
    return rows + [f"| 3 | no-op build of {n} statements, `python -m pipeline build`, {packages(one)} package in the archive "
            f"| {secs(times['one'])} | peak RSS {max(rss['one']) / 1024:.0f} MiB (goal ≤ 400 MB) |",
            f"| 3 | the same with {versions} packages present ({versions - 2} by the package stage, 1% of PDFs "
            f"changed each; the newest by a real build) | {secs(times['many'])} | {versions} vs 1 package: "
            f"{ratio(times, 'many', 'one')} (goal: no slower); peak RSS {max(rss['many']) / 1024:.0f} MiB |"]


# -- 4. verify vs sha256sum+sha512sum and bagit-python ---------------------------

def bench_verify(work: Path, n: int, rounds: int) -> list[str]:
    out = work / f"build-{n}"
    if not (out / "archive").is_dir():
        run_cli(*build_args(make_corpus(work / f"corpus-{n}", n), out))
    archive = out / "archive"
    [bag] = [p for p in archive.iterdir() if p.is_dir() and not p.name.startswith(".")]
    files = sorted(str(p) for p in (bag / "data").rglob("*") if p.is_file())

    def coreutils() -> None:
        # In chunks: 30,000 paths exceed the kernel's argument-list limit.
        for tool in ("sha256sum", "sha512sum"):
            for start in range(0, len(files), 2000):
                subprocess.run([tool, *files[start:start + 2000]], check=True, stdout=subprocess.DEVNULL)

    from pipeline.verify import verify_archive

    def verify() -> None:
        # The stage function, not the CLI: the same work without the CLI's
        # report printing (and independent of how the CLI logs events).
        assert verify_archive(archive).ok

    contenders = {"verify": verify, "coreutils": coreutils}
    try:
        import bagit
        contenders["bagit"] = lambda: bagit.Bag(str(bag)).validate(processes=2)
    except ImportError:
        pass
    times = side_by_side(rounds, **contenders)
    rows = [
        f"| 4 | `verify` of one package of {n} statements ({len(files)} payload files) | {secs(times['verify'])} | |",
        f"| 4 | `sha256sum` + `sha512sum` over the same payload files | {secs(times['coreutils'])} | "
        f"verify throughput vs coreutils: {ratio(times, 'coreutils', 'verify')} (goal ≥ 0.9) |",
    ]
    if "bagit" in times:
        rows.append(f"| 4 | bagit-python `Bag(path).validate(processes=2)` | {secs(times['bagit'])} | "
                    f"verify throughput vs bagit-python: {ratio(times, 'bagit', 'verify')} (goal ≥ 1.2) |")
    return rows


# -- 6. a Dask LocalCluster of 2 workers vs the local pool (issue 15, item 5) ------

def bench_dask(work: Path, n: int, rounds: int) -> list[str]:
    """The same N statements rendered by the local pool of 2 processes and by a
    dask.distributed LocalCluster of 2 worker processes (one thread each) on
    127.0.0.1, reached as a remote scheduler is: the engine's overhead."""
    try:
        import distributed
    except ImportError:
        return ["| 6 | Dask LocalCluster vs local pool | not run | the dask extra is not installed "
                "(make install EXTRAS=dask) |"]
    from pipeline.render import RenderConfig, render_statements
    from pipeline.render.executors import DaskCluster

    statements = statements_of(make_corpus(work / f"corpus-{n}", n))
    config = RenderConfig(PROJECT / "templates", PROJECT / "fonts", work / "render-work",
                          rendition_date="2026-11-28")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=":0", worker_dashboard_address=":0") as cluster:
        executor = DaskCluster(cluster.scheduler_address)

        def pool() -> None:
            assert render_statements(statements, work / "pdf-pool", config, force=True, workers=2)[1].ok

        def dask() -> None:
            assert render_statements(statements, work / "pdf-dask", config, force=True, executor=executor)[1].ok

        # warm-up: each Dask worker loads its Renderer (fonts) once and keeps it across builds,
        # as a standing cluster does; the local pool starts its processes for each build
        dask()
        times = side_by_side(rounds, pool=pool, dask=dask)
    rendered = sorted((work / "pdf-dask").rglob("*.pdf"))
    same = len(rendered) == n and all(
        (work / "pdf-pool" / p.relative_to(work / "pdf-dask")).read_bytes() == p.read_bytes() for p in rendered)
    return [f"| 6 | render {n} statements: local pool, `workers=2` | {secs(times['pool'])} | |",
            f"| 6 | render {n} statements: Dask `LocalCluster` of 2 workers (`--executor dask://…`) | "
            f"{secs(times['dask'])} | throughput vs local pool: {ratio(times, 'pool', 'dask')}; "
            f"same PDFs: {'yes' if same else 'NO'} |"]


# -- machine and report ------------------------------------------------------------

def machine() -> list[str]:
    import weasyprint
    from weasyprint.text import ffi

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return [
        f"- nproc: {os.cpu_count()}; CPU: {cpu}; load average at start: {load}",
        f"- Python {platform.python_version()} on {platform.platform()}",
        f"- WeasyPrint {weasyprint.__version__}; libharfbuzz-subset loaded: "
        f"{'yes' if getattr(ffi, 'harfbuzz_subset', None) is not None else 'no (fontTools fallback)'}",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny corpora: a check that the benchmark runs")
    parser.add_argument("--render-n", type=int, default=40, help="statements for the render comparisons")
    parser.add_argument("--noop-n", type=int, nargs="*", default=[1000], help="corpus sizes for no-op build, RSS and verify (none: render comparisons only)")
    parser.add_argument("--noop-versions", type=int, default=0, metavar="V",
                        help="for each --noop-n N: no-op build with 1 package vs V packages present (issue 15)")
    parser.add_argument("--skip-builds", action="store_true",
                        help="with --noop-versions: not the full-build, no-op and verify rows of each --noop-n")
    parser.add_argument("--dask-n", type=int, default=0, help="statements for the Dask LocalCluster vs local pool row (0: not run)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of each side-by-side comparison")
    parser.add_argument("--work", type=Path, help="folder for corpora and builds (default: a temporary one)")
    parser.add_argument("--results", type=Path, help="write the table here (default: bench/RESULTS.md; none for --smoke)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.render_n, args.noop_n, args.repeat, args.dask_n = 3, [4], 1, 3
    work = args.work or Path(tempfile.mkdtemp(prefix="statement-archive-bench-"))
    command = "python bench/run.py " + " ".join(argv if argv is not None else sys.argv[1:])
    rows = ["| # | what | time | result |", "| --- | --- | --- | --- |"]
    started = time.perf_counter()

    def report(new: list[str]) -> None:
        rows.extend(new)
        print("\n".join(new), flush=True)  # as we go: a long run that fails later keeps these

    if args.render_n:
        report(bench_render(work, args.render_n, args.repeat))
    for n in args.noop_n:
        if not args.skip_builds:
            bench_builds(work, n, args.repeat, report)
        if args.noop_versions:
            report(bench_noop_versions(work, n, args.noop_versions, args.repeat))
    if args.noop_n and not args.skip_builds:
        report(bench_verify(work, args.noop_n[0], args.repeat))
    if args.dask_n:
        report(bench_dask(work, args.dask_n, args.repeat))
    text = "\n".join([
        f"Command: `{command.strip()}` (total {time.perf_counter() - started:.0f} s)", "", *machine(), "", *rows, "",
    ])
    print(text if not args.smoke else "\n".join(machine()))
    results = args.results or (None if args.smoke else PROJECT / "bench" / "RESULTS.md")
    if results:
        with results.open("a", encoding="utf-8") as handle:
            handle.write(f"\n## Run of {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n\n{text}")
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
