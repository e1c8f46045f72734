"""``verify --reproduce [PACKAGE…]``: render every PDF again from its package and compare bytes.

Composes three stages: verify (the bags as usual), the reproduce stage (what
each package records, and the judgement) and render (the worker pool, with
the package's own templates and the installed fonts). Each outcome is logged
as a "fixity check" of the rendition.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from pipeline.cli.archive_commands import run_verify
from pipeline.cli.context import PROJECT_DIR, Run
from pipeline.core.clock import event_time
from pipeline.core.errors import ArchiveError
from pipeline.core.records import Problem, Reproduction


def add_reproduce_arguments(verify: argparse.ArgumentParser) -> None:
    verify.add_argument("--reproduce", action="store_true",
                        help="also render every PDF again from its package's own files (metadata, body, "
                             "templates) and compare bytes; PACKAGE… names packages (default: all); "
                             "exit 1 if any differs")
    verify.add_argument("--templates", type=Path, default=None,
                        help="with --reproduce: render with these templates instead of each package's own")
    verify.add_argument("--fonts", type=Path, default=PROJECT_DIR / "fonts",
                        help="with --reproduce: the installed pinned fonts folder")
    verify.add_argument("--build-dir", type=Path, default=None,
                        help="with --reproduce: working folder (default: build/ of the project folder)")
    verify.set_defaults(handler=cmd_verify)


def cmd_verify(run: Run) -> None:
    if not run.args.reproduce:
        run_verify(run)
        return
    packages = _packages(run)
    if run.args.bags:
        run.args.bags = [path for _, path in packages]
    run_verify(run)
    run_reproduce(run, packages)


def run_reproduce(run: Run, packages: list[tuple[str, Path]]) -> None:
    from pipeline.reproduce import read_plan, reproduction_report

    plans = [read_plan(path, name) for name, path in packages]
    reproductions: list[Reproduction] = []
    problems: list[Problem] = []
    versions: set[str] = set()
    build_dir = run.args.build_dir
    build_dir.mkdir(parents=True, exist_ok=True)
    # One folder for the whole run: a statement held unchanged by several
    # versions (same render key) is rendered once and compared with each.
    with tempfile.TemporaryDirectory(prefix="reproduce.", dir=build_dir) as scratch:
        for plan in plans:
            found, said, used = _reproduce_plan(run, plan, Path(scratch))
            reproductions += found
            problems += said
            versions |= used
    for plan in plans:
        mine = [r for r in reproductions if r.package == plan.package]
        same = sum(r.outcome == "reproduced" for r in mine)
        if mine:
            run.say(f"{'REPRODUCED' if same == len(mine) else 'NOT ALL   '} {plan.package}: "
                    f"{same} of {len(mine)} PDF(s) reproduced byte for byte")
    run.extra["reproductions"] = [r.as_dict() for r in reproductions]
    problems += _record_events(run, packages, reproductions, sorted(versions))
    run.stage(reproduction_report(plans, reproductions, problems))


def _reproduce_plan(run: Run, plan, scratch: Path) -> tuple[list[Reproduction], list[Problem], set[str]]:
    from pipeline.render import RenderConfig, render_statements, rendition_facts
    from pipeline.render.executors import executor_from
    from pipeline.reproduce import environment_differences, judge

    reproductions, problems, versions = [], [], set()
    variants = sorted({r.variant for r in plan.renditions})
    for variant in variants:
        group = [r for r in plan.renditions if r.variant == variant]
        config = RenderConfig(templates_dir=run.args.templates or plan.templates_dir, fonts_dir=run.args.fonts,
                              work_dir=run.args.build_dir, variant=variant,
                              uncompressed=bool(plan.renderer["uncompressed"]),
                              rendition_date=plan.renderer.get("rendition_date"))
        installed = rendition_facts(config)
        versions |= {installed.weasyprint, installed.text_stack}
        differences = environment_differences(plan.renderer, installed)
        total = len(group)

        def progress(index: int, statement, what: str) -> None:
            run.progress(f"[{index}/{total}] reproducing {plan.package}: {statement.identifier}")

        rendered, report = render_statements(
            [r.statement for r in group], scratch, config, progress=progress,
            executor=executor_from(None, run.args.verify_workers), fingerprint=installed.fingerprint)
        fresh = {r.statement.identifier: r.pdf_path.read_bytes() for r in rendered}
        for rendition in group:
            statement = rendition.statement
            refused = [p for p in report.problems if p.file == str(statement.body_path)]
            outcome, said = judge(plan, rendition, fresh.get(statement.identifier), differences, refused)
            reproductions.append(outcome)
            problems += said
    return reproductions, problems, versions


def _packages(run: Run) -> list[tuple[str, Path]]:
    """The packages named (a path, or a name in the archive), else every package in the archive."""
    from pipeline.archive.folder import parse_package_name
    from pipeline.cli.context import UsageProblem

    archive = run.args.archive
    if run.args.bags:
        chosen = []
        for given in run.args.bags:
            path = given if given.exists() else archive / str(given)
            if not path.is_dir():
                raise UsageProblem(f"no such package: {given} (neither a folder nor a package in {archive})")
            chosen.append((path.name, path))
        return chosen
    if not archive.is_dir():
        raise ArchiveError(f"{archive} is not a folder; nothing to verify")
    return [(entry, archive / entry) for entry in sorted(os.listdir(archive))
            if parse_package_name(entry) is not None and (archive / entry).is_dir()
            and not (archive / entry).is_symlink()]


def _record_events(run: Run, packages: list[tuple[str, Path]], reproductions: list[Reproduction],
                   versions: list[str]) -> list[Problem]:
    """One fixity check per rendition, in the archive's log (packages of the archive only)."""
    from pipeline.events.check import archive_log_problems
    from pipeline.events.log import EVENTS_NAME, append_events
    from pipeline.events.reproduction_events import reproduction_events

    archive = run.args.archive.resolve()
    inside = [r for r in reproductions
              if any(name == r.package and path.resolve().parent == archive for name, path in packages)]
    if not inside:
        return []
    log = run.args.archive / EVENTS_NAME
    if any(p.severity == "error" for p in archive_log_problems(run.args.archive, True)):
        return [Problem("E009", str(log), "", "reproductions not recorded: the event log is damaged; "
                        "repair it first", "warning")]
    try:
        append_events(log, reproduction_events(inside, versions, event_time()))
    except ArchiveError as exc:
        return [Problem("E009", str(log), "", f"reproductions not recorded: {exc}", "warning")]
    return []
