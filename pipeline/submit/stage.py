"""The submit stage: send each statement of the newest verified package to a
target, prove each copy, and record every attempt in the ledger.

For each statement, in order:

1. skip it if the ledger has it confirmed at this target (same identifier,
   same PDF and metadata digests), whichever package version sent it;
2. mark any attempt left ``pending`` by an interrupted run as failed;
3. re-hash the bytes to be sent against the package manifest;
4. write a ``pending`` row, then put and confirm the metadata sidecar, then
   put and confirm the PDF (sidecar first: a watched folder that reacts to the
   PDF finds its metadata already there);
5. mark the row ``confirmed`` (with its PREMIS event identifier) or ``failed``
   (with the server's answer).

Connection errors, timeouts and 5xx are retried (:mod:`.retry`); if a call
still fails, the target is taken to be down and the remaining statements are
not attempted in this run. 4xx and failed confirmations are not retried.
The time comes from *clock*: the stage never reads the wall clock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from pipeline.core.records import Problem, StageReport
from pipeline.submit.ledger import Ledger
from pipeline.submit.plan import SelectedPackage, SubmissionItem
from pipeline.submit.retry import RetryPolicy, Tries, with_retries
from pipeline.submit.targets import Confirmation, Digest, Target, TargetError, Transient, excerpt

#: fixed, so the same transfer always gets the same PREMIS event identifier
EVENT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:x-statement-archive:submission")

CONFIRMED, ALREADY, FAILED, NOT_SENT, WOULD_SEND = (
    "confirmed", "already confirmed", "failed", "not sent", "would send")


@dataclass(frozen=True)
class ItemOutcome:
    identifier: str
    package: str
    version: int
    status: str
    location: str
    tries: int = 0
    detail: str = ""
    attempt_id: int | None = None
    event_id: str | None = None
    pdf_sha256: str = ""
    when: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"identifier": self.identifier, "package": self.package, "version": self.version,
                "status": self.status, "location": self.location, "tries": self.tries,
                "detail": self.detail, "attempt": self.attempt_id, "event_id": self.event_id,
                "pdf_sha256": self.pdf_sha256}


@dataclass(frozen=True)
class SubmitOutcome:
    package: str
    target: str
    items: tuple[ItemOutcome, ...]
    problems: tuple[Problem, ...] = ()

    def report(self) -> StageReport:
        return StageReport("submit", self.problems, tuple(i.as_dict() for i in self.items))


@dataclass(frozen=True)
class SubmitOptions:
    agent: str
    retry: RetryPolicy = RetryPolicy()
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    progress: Callable[[str, int, int], None] = lambda label, done, total: None  # (what is sent, n, of)


def properties(item: SubmissionItem, pdf: Digest, agent: str) -> dict[str, str]:
    """What a target may store beside the bytes (S3 object metadata); the stage
    adds ``sha256``, the digest of the object itself."""
    record = item.metadata
    return {
        "identifier": item.identifier,
        "title": str(record.get("title", ""))[:100],  # object metadata is limited to 2 KB
        "date-issued": str(record.get("date_issued", "")),
        "document-type": str(record.get("document_type", "")),
        "languages": ",".join(str(x) for x in record.get("languages", []) or []),
        "package": item.package,
        "package-version": str(item.package_version),
        "pdf-sha256": pdf.sha256,
        "statement-sha256": item.metadata_sha256,
        "submitted-by": agent,
    }


def sidecar(item: SubmissionItem, pdf: Digest) -> bytes:
    """``<identifier>.metadata.json``: the statement's metadata and where the PDF came from.

    No time in it, so the same package version always gives the same bytes."""
    document = {
        "format": "statement-archive submission metadata 1",
        "identifier": item.identifier,
        "package": item.package,
        "package_version": item.package_version,
        "pdf": {"name": item.pdf_name.rsplit("/", 1)[1], "sha256": pdf.sha256, "size": pdf.size,
                "path_in_package": item.pdf_path},
        "statement": item.metadata,
        "statement_file": {"path_in_package": item.metadata_path, "sha256": item.metadata_sha256},
    }
    return (json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def plan_only(selected: SelectedPackage, target: Target, ledger: Ledger | None) -> SubmitOutcome:
    """--dry-run: what would be sent, from the ledger alone; nothing is contacted."""
    outcomes = []
    for item in selected.items:
        done = ledger.confirmed(target.url, item.identifier, item.pdf_sha256,
                                item.metadata_sha256) if ledger else None
        outcomes.append(_already(item, done.location) if done else ItemOutcome(
            item.identifier, item.package, item.package_version, WOULD_SEND,
            target.location(item.pdf_name), detail=f"with {item.sidecar_name.rsplit('/', 1)[1]}",
            pdf_sha256=item.pdf_sha256))
    return SubmitOutcome(selected.name, target.url, tuple(outcomes))


def submit_package(selected: SelectedPackage, target: Target, ledger: Ledger, *,
                   clock: Callable[[], dt.datetime], options: SubmitOptions) -> SubmitOutcome:
    outcomes: list[ItemOutcome] = []
    problems: list[Problem] = []
    down: str | None = None
    for number, item in enumerate(selected.items, start=1):
        where = f"{item.package}/{item.pdf_path}"
        done = ledger.confirmed(target.url, item.identifier, item.pdf_sha256, item.metadata_sha256)
        if done:
            outcomes.append(_already(item, done.location))
            continue
        if down is not None:
            outcomes.append(ItemOutcome(item.identifier, item.package, item.package_version,
                                        NOT_SENT, target.location(item.pdf_name), detail=down))
            problems.append(Problem("S004", where, target.location(item.pdf_name),
                                    f"not sent: {down}; run submit again later"))
            continue
        for left in ledger.pending(target.url, item.identifier, item.pdf_sha256, item.metadata_sha256):
            ledger.finish(left.id, status="failed", tries=left.tries, finished=_stamp(clock),
                          response="interrupted before it was confirmed; sent again")
            problems.append(Problem("S007", where, left.location,
                                    f"attempt {left.id} was interrupted; sent again", "warning"))
        options.progress(f"{item.identifier} → {target.location(item.pdf_name)}", number, len(selected.items))
        outcome, problem = _send(item, target, ledger, clock, options)
        outcomes.append(outcome)
        if problem is not None:
            problems.append(problem)
            if problem.code == "S004":
                down = f"the target did not answer properly ({outcome.detail})"
    return SubmitOutcome(selected.name, target.url, tuple(outcomes), tuple(problems))


def _send(item: SubmissionItem, target: Target, ledger: Ledger, clock: Callable[[], dt.datetime],
          options: SubmitOptions) -> tuple[ItemOutcome, Problem | None]:
    where = f"{item.package}/{item.pdf_path}"
    location = target.location(item.pdf_name)

    def failed(code: str, detail: str, tries: int, attempt: int | None) -> tuple[ItemOutcome, Problem]:
        if attempt is not None:
            ledger.finish(attempt, status="failed", tries=tries, response=excerpt(detail),
                          finished=_stamp(clock))
        return (ItemOutcome(item.identifier, item.package, item.package_version, FAILED, location,
                            tries, detail, attempt, pdf_sha256=item.pdf_sha256),
                Problem(code, where, location, detail))

    try:
        pdf_bytes = (item.package_path / item.pdf_path).read_bytes()
        metadata_bytes = (item.package_path / item.metadata_path).read_bytes()
    except OSError as exc:
        return failed("S002", f"cannot be read from the package: {exc.strerror or exc}", 0, None)
    pdf = Digest.of(pdf_bytes)
    if pdf.sha256 != item.pdf_sha256 or hashlib.sha256(metadata_bytes).hexdigest() != item.metadata_sha256:
        return failed("S002", "changed since the package was verified; not sent: run "
                      "`statement-archive verify`", 0, None)
    side = sidecar(item, pdf)
    props = properties(item, pdf, options.agent)
    attempt = ledger.begin(
        target=target.url, package=item.package, package_version=item.package_version,
        identifier=item.identifier, pdf_path=item.pdf_path, pdf_sha256=pdf.sha256,
        pdf_size=pdf.size, metadata_sha256=item.metadata_sha256, remote_name=item.pdf_name,
        location=location, started=_stamp(clock), agent=options.agent)
    tries = Tries()
    answers: list[str] = []
    try:
        for name, data in ((item.sidecar_name, side), (item.pdf_name, pdf_bytes)):
            digest = Digest.of(data)
            tagged = {**props, "sha256": digest.sha256}
            receipt = with_retries(lambda: target.put(name, data, tagged), options.retry,
                                   tries=tries, sleep=options.sleep, rng=options.rng)
            answers.append(f"{name.rsplit('/', 1)[1]}: {receipt.response}")
            confirmation: Confirmation = with_retries(
                lambda: target.confirm(name, digest), options.retry,
                tries=tries, sleep=options.sleep, rng=options.rng)
            if not confirmation.ok:
                return failed("S005", f"the copy at the target is not what was sent: "
                              f"{confirmation.detail}", tries.count, attempt)
            answers.append(confirmation.detail)
    except Transient as exc:
        return failed("S004", f"{exc} (gave up after {tries.count} tries)", tries.count, attempt)
    except TargetError as exc:
        return failed("S003", str(exc), tries.count, attempt)
    finished = _stamp(clock)
    event_id = str(uuid.uuid5(EVENT_NAMESPACE, f"{target.url}\n{location}\n{pdf.sha256}\n{finished}"))
    detail = "; ".join(answers)
    ledger.finish(attempt, status="confirmed", tries=tries.count, response=excerpt(detail),
                  finished=finished, event_id=event_id)
    return (ItemOutcome(item.identifier, item.package, item.package_version, CONFIRMED, location,
                        tries.count, detail, attempt, event_id, pdf.sha256, finished), None)


def _already(item: SubmissionItem, location: str) -> ItemOutcome:
    return ItemOutcome(item.identifier, item.package, item.package_version, ALREADY, location,
                       detail="confirmed earlier with the same bytes; not sent again",
                       pdf_sha256=item.pdf_sha256)


def _stamp(clock: Callable[[], dt.datetime]) -> str:
    return clock().astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

