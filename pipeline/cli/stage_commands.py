"""The stage commands: validate, render, check, package, build.

Each ``run_*`` calls one stage and hands its report to the run; each
``cmd_*`` is one subcommand, composing them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pipeline import SOFTWARE_AGENT
from pipeline.core.records import Problem, RenderedStatement, Statement, StageReport
from pipeline.cli.context import Run, UsageProblem
from pipeline.core.clock import bagging_date, event_time

def render_config(args: argparse.Namespace):
    from pipeline.render import RenderConfig

    return RenderConfig(
        templates_dir=args.templates, fonts_dir=args.fonts, work_dir=args.build_dir,
        variant=args.variant, uncompressed=args.uncompressed,
    )



def _executor(args: argparse.Namespace):
    from pipeline.render.executors import executor_from

    return executor_from(args.executor, args.workers)



def parse_workers(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a number of worker processes (1 or more): {text!r}")
    return int(text)



def _pdf_dir(args: argparse.Namespace) -> Path:
    return args.build_dir / "pdf"



def run_validate(run: Run) -> list[Statement]:
    """Valid statements; the withdrawals recorded beside them go to ``run.withdrawals``."""
    from pipeline.validate import validate_statements, validate_withdrawals

    if not run.args.statements.is_dir():
        raise UsageProblem(f"{run.args.statements}: no such folder of statements; run the command inside the "
                           "project folder (where statements/ and archive/ are), or give --statements")
    statements, report = validate_statements(run.args.statements, run.args.schema)
    run.withdrawals, withdrawn = validate_withdrawals(run.args.statements, statements)
    run.stage(StageReport(report.stage, report.problems + withdrawn.problems, report.items))
    return statements



def run_render(run: Run, statements: list[Statement]) -> list[RenderedStatement]:
    from pipeline.render import render_statements

    total = len(statements)

    def progress(index: int, statement: Statement, what: str) -> None:
        run.progress(f"[{index}/{total}] {what}: {statement.identifier}")

    rendered, report = render_statements(
        statements, _pdf_dir(run.args), render_config(run.args), force=run.args.force, progress=progress,
        executor=_executor(run.args),
    )
    run.stage(report)
    return rendered



def run_load_rendered(run: Run, statements: list[Statement]) -> list[RenderedStatement]:
    """The PDFs already rendered for exactly these inputs; stale ones are errors."""
    from pipeline.render import find_rendered

    rendered, problems = [], []
    for statement, _, found in find_rendered(statements, _pdf_dir(run.args), render_config(run.args)):
        if found is None:
            problems.append(Problem("P001", str(_pdf_dir(run.args) / f"{statement.identifier}.pdf"), "",
                                    "missing or stale (its statement, templates, fonts or options changed): "
                                    "run `make render` first"))
        else:
            rendered.append(found)
    run.stage(StageReport("rendered", tuple(problems), tuple({"identifier": r.statement.identifier} for r in rendered)))
    return rendered



def run_check(run: Run, rendered: list[RenderedStatement]) -> None:
    from pipeline.check import check_changed

    run.progress(f"checking {len(rendered)} PDF(s)")
    run.stage(check_changed(rendered, run.args.workers))



def run_package(run: Run, rendered: list[RenderedStatement]) -> None:
    from pipeline.package import package_statements

    outcome = package_statements(
        rendered, run.args.archive, bagging_date=bagging_date(run.args), software_agent=SOFTWARE_AGENT,
        event_time=event_time(), withdrawals=run.withdrawals, share=not run.args.no_share,
    )
    run.extra["package"] = outcome.as_dict()
    for problem in outcome.problems:
        run.say(str(problem))
    run.say(outcome.message)



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

