"""Which events the pipeline records, and what each says: a package's
validation, digests and creation when it is written; one fixity check per
package at every full verify. The log's format and writing live in ``log``."""

from __future__ import annotations

import datetime as dt
from typing import Iterable

from pipeline.core.records import ArchiveVerification, PackageOutcome
from pipeline.events.log import OBJECT_ROLE_OUTCOME, EventDraft, package_link, statement_link


def package_events(outcome: PackageOutcome, identifiers: Iterable[str],
                   when: dt.datetime) -> list[EventDraft]:
    """validation → message digest calculation → creation, for a package just written.

    Nothing when no package was written: the log records what happened to the
    holdings, and a "nothing changed" build changes nothing, not even the log.
    """
    if not outcome.created:
        return []
    statements = tuple(statement_link(i) for i in sorted(identifiers))
    package = package_link(outcome.name, OBJECT_ROLE_OUTCOME)
    count = len(statements)
    return [
        EventDraft("validation", when, "success",
                   f"{count} statement(s): metadata valid against the statement schema, "
                   "PDF/A renderings checked", statements),
        EventDraft("message digest calculation", when, "success",
                   f"SHA-256 and SHA-512 of every payload and tag file of {outcome.name} "
                   "written to its manifests", (package,)),
        EventDraft("creation", when, "success", outcome.message, (package, *statements)),
    ]


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
