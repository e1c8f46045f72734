"""The stage commands: validate, render, check, package, build.

Each ``run_*`` calls one stage and hands its report to the run; each
``cmd_*`` is one subcommand, composing them.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Sequence

from pipeline import SOFTWARE_AGENT
from pipeline.core.records import Problem, RenderedStatement, Statement, StageReport
from pipeline.cli.context import Run, UsageProblem
from pipeline.core.clock import bagging_date, event_time, run_rendition_date

def render_config(args: argparse.Namespace):
    from pipeline.render import RenderConfig

    try:
        return RenderConfig(
            templates_dir=args.templates, fonts_dir=args.fonts, work_dir=args.build_dir,
            variant=args.variant, uncompressed=args.uncompressed, rendition_date=run_rendition_date(args),
        )
    except ValueError as exc:
        raise UsageProblem(f"--rendition-date: {exc}") from None



def _executor(args: argparse.Namespace):
    from pipeline.render.executors import executor_from

    return executor_from(args.executor, args.workers)



def parse_workers(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a number of worker processes (1 or more): {text!r}")
    return int(text)



def _pdf_dir(args: argparse.Namespace) -> Path:
    return args.build_dir / "pdf"



def run_validate(run: Run, *, stop: bool = True) -> list[Statement]:
    """Valid statements; the withdrawals recorded beside them go to ``run.withdrawals``."""
    from pipeline.validate import validate_statements, validate_withdrawals

    if not run.args.statements.is_dir():
        raise UsageProblem(f"{run.args.statements}: no such folder of statements; run the command inside the "
                           "project folder (where statements/ and archive/ are), or give --statements")
    build_dir = getattr(run.args, "build_dir", None)  # `validate` alone keeps no verdicts
    statements, report = validate_statements(run.args.statements, run.args.schema,
                                             verdict_cache=build_dir / "validate" if build_dir else None)
    run.withdrawals, withdrawn = validate_withdrawals(run.args.statements, statements)
    run.stage(StageReport(report.stage, report.problems + withdrawn.problems, report.items), stop=stop)
    return statements



def run_render(run: Run, statements: list[Statement], *, stop: bool = True) -> list[RenderedStatement]:
    from pipeline.render import render_statements

    with run.task("render", len(statements)) as task:
        rendered, report = render_statements(
            statements, _pdf_dir(run.args), render_config(run.args), force=run.args.force,
            fingerprint=rendition_of(run).fingerprint,
            progress=lambda index, statement, what: task.advance(statement.identifier, what),
            executor=_executor(run.args),
        )
    run.stage(report, stop=stop)
    return rendered



def run_load_rendered(run: Run, statements: list[Statement], *, stop: bool = True) -> list[RenderedStatement]:
    """The PDFs already rendered for exactly these inputs; stale ones are errors."""
    from pipeline.render import find_rendered

    rendered, problems = [], []
    for statement, _, found in find_rendered(statements, _pdf_dir(run.args), render_config(run.args),
                                             fingerprint=rendition_of(run).fingerprint):
        if found is None:
            problems.append(Problem("P001", str(_pdf_dir(run.args) / f"{statement.identifier}.pdf"), "",
                                    "missing or stale (its statement, templates, fonts or options changed): "
                                    "run `make render` first"))
        else:
            rendered.append(found)
    run.stage(StageReport("rendered", tuple(problems), tuple({"identifier": r.statement.identifier} for r in rendered)),
              stop=stop)
    return rendered



def run_check(run: Run, rendered: list[RenderedStatement], *, stop: bool = True) -> None:
    from pipeline.check import check_changed

    with run.task("check", len(rendered)) as task:
        report = check_changed(rendered, run.args.workers, progress=task.step)
    run.stage(report, stop=stop)



def rendition_of(run: Run):
    """The renderer's facts for this command's options, computed once."""
    from pipeline.render import rendition_facts

    if run.rendition is None:
        run.rendition = rendition_facts(render_config(run.args))
    return run.rendition


def provenance_of(run: Run):
    """What the package records about how its PDFs were made (data/_provenance/)."""
    from pipeline.core.records import Provenance
    from pipeline.i18n import LOCALE_DIR
    from pipeline.render.fonts import EXTRA_LOCK_NAME, LOCK_NAME
    from pipeline.validate import schema_version

    args = run.args
    locks = tuple(p for p in (args.fonts / LOCK_NAME, args.fonts / EXTRA_LOCK_NAME) if p.is_file())
    return Provenance(schema_path=args.schema, schema_id=schema_version(args.schema),
                      templates_dir=args.templates, catalogues_dir=LOCALE_DIR, font_locks=locks,
                      facts=rendition_of(run))



def refused_statements(run: Run, statements: list[Statement],
                       rendered: list[RenderedStatement]) -> list | None:
    """Each statement this run refused, with its stage and problems; None if an
    error belongs to no statement (then nothing can be archived apart from it)."""
    from pipeline.package.refused import RefusedStatement
    from pipeline.statements.withdrawals import WITHDRAWALS_NAME

    # by file name: a problem names its file as given or relative to the current folder
    owner = {p.name: s.identifier for s in statements
             for p in (s.metadata_path, s.body_path, s.capture_path) if p is not None}
    owner.update({f"{s.identifier}.pdf": s.identifier for s in statements})  # a PDF missing or stale
    found: dict[str, tuple[str, list[tuple[str, str]]]] = {}
    for report in run.reports:
        for problem in report.errors:
            path = Path(problem.file)
            identifier = owner.get(path.name) or (  # a statement that failed validation
                path.name.split(".")[0] if path.parent.name == run.args.statements.name
                and path.name != WITHDRAWALS_NAME else None)
            if not identifier:
                return None
            stage, problems = found.setdefault(identifier, (report.stage, []))
            problems.append((problem.code, problem.message))
    return [RefusedStatement(i, stage, tuple(problems)) for i, (stage, problems) in sorted(found.items())]


def run_archive_rest(run: Run, statements: list[Statement], rendered: list[RenderedStatement]) -> None:
    """Package what passed; list what was refused; exit 1 still (``--archive-rest``)."""
    refused = refused_statements(run, statements, rendered) if run.args.archive_rest else None
    if run.args.archive_rest and refused is None:
        run.stop_if_refused(consequence="; nothing was archived: an error belongs to no single statement, "
                                        "so --archive-rest cannot leave it out")
    if not refused:
        run.stop_if_refused()  # packaging is all or nothing
        run_package(run, rendered)
        return
    gone = {r.identifier for r in refused}
    rest = [r for r in rendered if r.statement.identifier not in gone]
    if not rest:
        run.stop_if_refused()  # nothing passed: nothing to archive
    run_package(run, rest, refused)
    run.stop_if_refused(consequence=f"; {len(refused)} refused statement(s) left out and listed in the "
                                    "package (--archive-rest)")


def run_package(run: Run, rendered: list[RenderedStatement], refused: Sequence = ()) -> None:
    from pipeline.events.pipeline_events import validator_events
    from pipeline.package import package_statements
    from pipeline.validate import schema_version

    when = event_time()
    with run.task("package", None) as task:
        outcome = package_statements(
            rendered, run.args.archive, bagging_date=bagging_date(run.args), software_agent=SOFTWARE_AGENT,
            event_time=when, withdrawals=run.withdrawals, schema_id=schema_version(run.args.schema),
            validations=lambda: validator_events(  # made only if a package is written
                [item for r in run.reports if r.stage == "check" for item in r.items], when),
            provenance=provenance_of(run), share=not run.args.no_share, progress=task.step,
            refused=refused, memo_dir=run.args.build_dir / "package",
        )
    run.extra["package"] = outcome.as_dict()
    for problem in outcome.problems:
        run.say(str(problem))
    run.say(outcome.message)



def cmd_validate(run: Run) -> None:
    run_validate(run)



# Each stage goes on with what the one before passed, so one run reports every
# problem of every statement at every stage; nothing is packaged if any was refused.

def cmd_render(run: Run) -> None:
    run_render(run, run_validate(run, stop=False), stop=False)
    run.stop_if_refused()



def cmd_check(run: Run) -> None:
    run_check(run, run_load_rendered(run, run_validate(run, stop=False)), stop=False)
    run.stop_if_refused()



def cmd_package(run: Run) -> None:
    go_on = run.args.archive_rest  # else stop at the first stage that refuses anything
    statements = run_validate(run, stop=not go_on)
    rendered = run_load_rendered(run, statements, stop=not go_on)
    run_check(run, rendered, stop=not go_on)
    run_archive_rest(run, statements, rendered)



def cmd_build(run: Run) -> None:
    statements = run_validate(run, stop=False)
    rendered = run_render(run, statements, stop=False)
    run_check(run, rendered, stop=False)
    run_archive_rest(run, statements, rendered)

