"""Which events the pipeline records, and what each says: a package's
validation, digests, creation and withdrawals when it is written; one fixity check per
package at every full verify. The log's format and writing live in ``log``."""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable, Mapping, Sequence

from pipeline.core.records import ArchiveVerification, Withdrawal
from pipeline.events.entry import OBJECT_ROLE_OUTCOME, EventDraft, package_link, software_agent, statement_link


def package_events(name: str, identifiers: Iterable[str], when: dt.datetime, message: str,
                   withdrawn: Sequence[Withdrawal] = ()) -> list[EventDraft]:
    """validation → message digest calculation → creation (→ deaccession for each
    statement withdrawn), for a package about to be written under *name*.

    The package carries these events itself (``premis-events.jsonl``) and the
    log records them once it is in place; a "nothing changed" build records none.
    """
    statements = tuple(statement_link(i) for i in sorted(identifiers))
    package = package_link(name, OBJECT_ROLE_OUTCOME)
    count = len(statements)
    drafts = [
        EventDraft("validation", when, "success",
                   f"{count} statement(s): metadata valid against the statement schema, "
                   "PDF/A renderings checked", statements),
        EventDraft("message digest calculation", when, "success",
                   f"SHA-256 and SHA-512 of every payload and tag file of {name} "
                   "written to its manifests", (package,)),
        EventDraft("creation", when, "success", message, (package, *statements)),
    ]
    for withdrawal in withdrawn:
        drafts.append(EventDraft(
            "deaccession", when, "success",
            f"{withdrawal.identifier} withdrawn on {withdrawal.date}: {withdrawal.reason}; not in {name}, "
            "earlier versions kept", (statement_link(withdrawal.identifier), package)))
    return drafts


def refusal_events(name: str, refused: Iterable[Mapping[str, Any]], when: dt.datetime) -> list[EventDraft]:
    """One failed validation event per statement this run refused and packaged
    the rest without (``--archive-rest``): the stage, each problem, and whether
    *name* carries the statement over unchanged from its predecessor."""
    drafts = []
    for item in refused:
        problems = "; ".join(f"{p['code']} {p['message']}" for p in item["problems"])
        where = (f"carried over unchanged from {item['carried_over_from']}" if item["carried_over_from"]
                 else f"not in {name}")
        drafts.append(EventDraft(
            "validation", when, "failure", f"refused by {item['stage']}: {problems}; {where}",
            (statement_link(item["identifier"]), package_link(name, OBJECT_ROLE_OUTCOME))))
    return drafts


def validator_events(check_items: Iterable[Mapping[str, Any]], when: dt.datetime) -> list[EventDraft]:
    """One validation event per independent validator's verdict on each PDF (the
    check stage's items carry them), with the validator as the agent."""
    drafts = []
    for item in check_items:
        for verdict in item.get("verdicts", ()):
            rules = "; ".join(f"{f['rule_id']}: {f['message']}" + (f" (but {f['disagreement']})"
                              if f["disagreement"] else "") for f in verdict["failures"])
            drafts.append(EventDraft(
                "validation", when, verdict["outcome"],
                f"{verdict['validator']} {verdict['version']}, profile {verdict['profile']}: "
                f"{verdict['outcome']}" + (f"; {rules}" if rules else ""),
                (statement_link(item["identifier"]),),
                (software_agent(f"{verdict['validator']} {verdict['version']}"),)))
    return drafts


def fixity_events(result: ArchiveVerification, when: dt.datetime) -> list[EventDraft]:
    """One "fixity check" per package verified, with its outcome."""
    drafts = []
    for package in result.packages:
        errors = sorted(p.code for p in package.problems if p.severity == "error")
        warnings = sorted(p.code for p in package.problems if p.severity == "warning")
        checked = f"{package.files_checked} files, {package.bytes_checked} bytes checked"
        if errors:
            outcome, detail = "failure", f"{checked}; errors: {', '.join(errors)}"
        elif warnings:
            outcome, detail = "warning", f"{checked}; warnings: {', '.join(warnings)}"
        else:
            outcome, detail = "success", f"{checked}; checksums, completeness and version chain intact"
        drafts.append(EventDraft("fixity check", when, outcome, detail, (package_link(package.name),)))
    return drafts
