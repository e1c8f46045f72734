"""The stage commands: validate, render, check, package, build.

Each ``run_*`` calls one stage and hands its report to the run; each
``cmd_*`` is one subcommand, composing them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .. import SOFTWARE_AGENT
from ..errors import ArchiveError
from ..records import Problem, RenderedStatement, Statement, StageReport
from .run import Run, UsageProblem, event_time, bagging_date

def render_config(args: argparse.Namespace):
    from ..render import RenderConfig

    return RenderConfig(
        templates_dir=args.templates, fonts_dir=args.fonts, work_dir=args.build_dir,
        variant=args.variant, uncompressed=args.uncompressed,
    )



def _executor(args: argparse.Namespace):
    from ..executors import executor_from

    return executor_from(args.executor, args.workers)



def parse_workers(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a number of worker processes (1 or more): {text!r}")
    return int(text)



def _pdf_dir(args: argparse.Namespace) -> Path:
    return args.build_dir / "pdf"



def run_validate(run: Run) -> list[Statement]:
    from ..validate import validate_statements

    if not run.args.statements.is_dir():
        raise UsageProblem(f"{run.args.statements}: no such folder of statements")
    statements, report = validate_statements(run.args.statements, run.args.schema)
    run.stage(report)
    return statements



def run_render(run: Run, statements: list[Statement]) -> list[RenderedStatement]:
    from ..render import render_statements

    with run.task("render", len(statements)) as task:
        rendered, report = render_statements(
            statements, _pdf_dir(run.args), render_config(run.args), force=run.args.force,
            progress=lambda index, statement, what: task.advance(statement.identifier, what),
            executor=_executor(run.args),
        )
    run.stage(report)
    return rendered



def run_load_rendered(run: Run, statements: list[Statement]) -> list[RenderedStatement]:
    """The PDFs already rendered for exactly these inputs; stale ones are errors."""
    from ..render import load_rendered, render_fingerprint
    from ..render.fonts import FontSet
    from ..render.store import RenderKey

    config = render_config(run.args)
    fingerprint = render_fingerprint(config, FontSet(config.fonts_dir))
    rendered, problems = [], []
    for statement in statements:
        found = load_rendered(statement, _pdf_dir(run.args), RenderKey.of(statement, fingerprint, config.variant))
        if found is None:
            problems.append(Problem("P001", str(_pdf_dir(run.args) / f"{statement.identifier}.pdf"), "",
                                    "missing or stale (its statement, templates, fonts or options changed): "
                                    "run `make render` first"))
        else:
            rendered.append(found)
    run.stage(StageReport("rendered", tuple(problems), tuple({"identifier": r.statement.identifier} for r in rendered)))
    return rendered



def run_check(run: Run, rendered: list[RenderedStatement]) -> None:
    from ..executors import check_changed

    with run.task("check", len(rendered)) as task:
        report = check_changed(rendered, run.args.workers, progress=task.step)
    run.stage(report)



def run_package(run: Run, rendered: list[RenderedStatement]) -> None:
    from ..package import package_statements

    with run.task("package", None) as task:
        outcome = package_statements(
            rendered, run.args.archive, bagging_date=bagging_date(run.args), software_agent=SOFTWARE_AGENT,
            progress=task.step,
        )
    run.extra["package"] = {
        "name": outcome.name, "path": str(outcome.path), "version": outcome.version,
        "created": outcome.created, "message": outcome.message, "statements": outcome.statements,
    }
    run.say(outcome.message)
    record_package_events(run, rendered, outcome)



def record_package_events(run: Run, rendered: list[RenderedStatement], outcome) -> None:
    """Log validation, digests and creation of a new package; nothing if none was written.
    A failed build logs nothing either: it did not touch the archive's holdings."""
    from ..events import EVENTS_NAME, append_events, package_events

    drafts = package_events(outcome, [r.statement.identifier for r in rendered], event_time())
    if not drafts:
        return
    try:
        append_events(run.args.archive / EVENTS_NAME, drafts)
    except ArchiveError as exc:
        raise ArchiveError(f"{outcome.name} was written, but its events were not recorded: {exc}") from exc



def cmd_validate(run: Run) -> None:
    run_validate(run)



def cmd_render(run: Run) -> None:
    run_render(run, run_validate(run))



def cmd_check(run: Run) -> None:
    run_check(run, run_load_rendered(run, run_validate(run)))



def cmd_package(run: Run) -> None:
    rendered = run_load_rendered(run, run_validate(run))
    run_check(run, rendered)
    run_package(run, rendered)



def cmd_build(run: Run) -> None:
    rendered = run_render(run, run_validate(run))
    run_check(run, rendered)
    run_package(run, rendered)

