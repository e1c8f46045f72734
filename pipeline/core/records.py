"""Small typed records that flow between stages.

A stage takes records and returns records; only the CLI prints them.
Every record is frozen: once a stage has produced it, nobody changes it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Mapping

Severity = Literal["error", "warning"]

#: Media types of statement bodies, by file suffix.
BODY_MEDIA_TYPES: Mapping[str, str] = {
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".html": "text/html",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong, with where it is and what to do about it.

    ``code`` is stable (see :mod:`pipeline.core.codes`); tests compare codes, not wording.
    ``file`` is the file concerned, ``pointer`` a JSON pointer (metadata) or a
    path inside a package; ``message`` is plain words for a records officer.
    """

    code: str
    file: str
    pointer: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        where = f"{self.file} {self.pointer}" if self.pointer else self.file
        return f"{self.code} {where}: {self.message}"

    def as_dict(self) -> dict[str, str]:
        return {
            "code": self.code,
            "severity": self.severity,
            "file": self.file,
            "pointer": self.pointer,
            "message": self.message,
        }


@dataclass(frozen=True)
class Statement:
    """A statement that passed validation: its metadata, its body file and, if
    it was imported from a web capture, the capture.

    The files are never changed; ``*_sha256`` are the digests of their bytes
    as read during validation, so later stages can tell if they changed.

    The record is kept as the bytes validation read and accepted, not as the
    parsed value: a build holds every statement from validate to package, and
    the parsed form takes three times the memory (issue 15's flat peak RSS).
    """

    identifier: str
    metadata_path: Path
    body_path: Path
    media_type: str
    metadata_bytes: bytes = field(hash=False, compare=False, repr=False)
    metadata_sha256: str = ""
    body_sha256: str = ""
    # An imported statement's web capture (the evidence the body was extracted
    # from), archived and embedded byte for byte; None for written bodies.
    capture_path: Path | None = None
    capture_media_type: str = ""
    capture_sha256: str = ""
    # A saved page's resources archived with its capture: (file, SHA-256, path
    # beside the metadata: ``<id>.capture_files/...``), checked by validate.
    capture_resources: tuple[tuple[Path, str, str], ...] = ()

    #: The record's :data:`SUMMARY_FIELDS`, parsed (:func:`summary_of`); made from the
    #: bytes when not given (validation gives it from the record it parsed).
    summary: Mapping[str, Any] = field(default=None, hash=False, compare=False, repr=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.summary is None:
            object.__setattr__(self, "summary", summary_of(self.metadata))

    @property
    def metadata(self) -> Mapping[str, Any]:
        """The record, parsed anew on each call: callers that read it several times keep it."""
        return json.loads(self.metadata_bytes.decode("utf-8-sig"))


#: The fields of a record that a build reads of every statement after validation
#: (the package's index and renditions.json), kept parsed beside the bytes so that
#: a build of 10,000 statements does not parse every record again, twice, to say
#: nothing changed. Their values are shared: read them, never change them.
SUMMARY_FIELDS = ("title", "date_issued", "document_type", "languages", "rendition_date")


def summary_of(record: Any) -> Mapping[str, Any]:
    """*record*'s :data:`SUMMARY_FIELDS` (None for each one it lacks)."""
    get = record.get if isinstance(record, dict) else (lambda key: None)
    return {key: get(key) for key in SUMMARY_FIELDS}  # a dict: statements are pickled to render workers


@dataclass(frozen=True)
class RenderedStatement:
    """A statement rendered to a PDF file."""

    statement: Statement
    pdf_path: Path
    pdf_sha256: str
    variant: str


@dataclass(frozen=True)
class Withdrawal:
    """An officer's decision that a statement leaves the archive's newest version.

    Its earlier versions stay where they are; the next package lists it (with
    ``date`` and ``reason``) instead of holding it.
    """

    identifier: str
    reason: str
    date: str  # YYYY-MM-DD, the day it was recorded

    def as_dict(self) -> dict[str, str]:
        return {"identifier": self.identifier, "reason": self.reason, "date": self.date}


@dataclass(frozen=True)
class PackageOutcome:
    """What the package stage did: wrote a new version, or found nothing changed.

    ``added``, ``changed`` and ``withdrawn`` name statements by identifier,
    compared with the predecessor (all empty when nothing was written).
    ``problems`` are warnings met on the way (e.g. events recovered).
    """

    name: str
    path: Path
    version: int
    created: bool
    message: str
    statements: int
    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    withdrawn: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "path": str(self.path), "version": self.version, "created": self.created,
            "message": self.message, "statements": self.statements, "added": list(self.added),
            "changed": list(self.changed), "withdrawn": list(self.withdrawn),
        }


@dataclass(frozen=True)
class StageReport:
    """The result of one stage, for human output and the JSON report."""

    stage: str
    problems: tuple[Problem, ...] = ()
    items: tuple[Mapping[str, Any], ...] = ()

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "ok": self.ok,
            "problems": [p.as_dict() for p in self.problems],
            "items": [dict(i) for i in self.items],
        }


# --- verify stage


@dataclass(frozen=True)
class PackageVerification:
    """The verify stage's finding for one package (one bag) in the archive.

    ``version`` is 0 when the folder name is not a package name. ``problems``
    include version-chain problems found by comparing with other packages.
    """

    name: str
    path: Path
    group: str
    version: int
    problems: tuple[Problem, ...]
    files_checked: int
    bytes_checked: int

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "group": self.group,
            "version": self.version,
            "ok": self.ok,
            "files_checked": self.files_checked,
            "bytes_checked": self.bytes_checked,
            "problems": [p.as_dict() for p in self.problems],
        }


@dataclass(frozen=True)
class ArchiveVerification:
    """The verify stage's findings for a whole archive folder.

    ``problems`` are about the folder itself (left-over builds, stray entries);
    each package's own problems are in ``packages``.
    """

    archive_dir: Path
    packages: tuple[PackageVerification, ...]
    problems: tuple[Problem, ...] = ()

    @property
    def all_problems(self) -> tuple[Problem, ...]:
        return self.problems + tuple(p for pkg in self.packages for p in pkg.problems)

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.all_problems)


# --- provenance: what made each rendition (render → CLI → package, and reproduce)


@dataclass(frozen=True)
class RenditionFacts:
    """Everything besides a statement that decides its PDF's bytes, as the render
    stage knows it: the inputs of the renderer fingerprint in a render key.

    ``fingerprint_inputs`` are the exact lines whose SHA-256 is ``fingerprint``,
    so a reader can recompute the key from the package alone. ``fonts`` are
    (file, SHA-256, licence) of every pinned font, in lock order.
    """

    software_agent: str
    weasyprint: str
    text_stack: str  # Pango, HarfBuzz and fontconfig versions; HarfBuzz subsetter and vector library present or not
    fonts_fingerprint: str
    fonts: tuple[tuple[str, str, str], ...]
    templates_digest: str
    catalogues_digest: str
    uncompressed: bool
    rendition_date: str | None  # the run's rendition date, if recorded (pipeline/render/rendition.py)
    fingerprint: str

    @property
    def fingerprint_inputs(self) -> tuple[str, ...]:
        return fingerprint_lines(self.software_agent, self.weasyprint, self.text_stack, self.fonts_fingerprint,
                                 self.templates_digest, self.catalogues_digest, self.uncompressed,
                                 self.rendition_date)


def fingerprint_lines(software_agent: str, weasyprint: str, text_stack: str, fonts_fingerprint: str,
                      templates_digest: str, catalogues_digest: str, uncompressed: bool,
                      rendition_date: str | None) -> tuple[str, ...]:
    """The lines hashed (joined by newlines, UTF-8) into a render key's renderer fingerprint."""
    return (software_agent, weasyprint, text_stack, fonts_fingerprint, templates_digest,
            f"catalogues {catalogues_digest}", str(uncompressed), f"rendition date {rendition_date}")


@dataclass(frozen=True)
class Provenance:
    """What a package carries about how its PDFs were made (``data/_provenance/``):
    the schema that validated the records, the templates, catalogues and font
    locks used, and the renderer's facts. The CLI gathers it; package writes it."""

    schema_path: Path
    schema_id: str  # the schema's $id, whose last part is its version
    templates_dir: Path
    catalogues_dir: Path
    font_locks: tuple[Path, ...]
    facts: RenditionFacts


@dataclass(frozen=True)
class Reproduction:
    """One archived PDF rendered again from its package: ``outcome`` is
    ``reproduced`` (identical bytes), ``differs``, or ``cannot reproduce here``
    (``differences`` name what is installed otherwise than recorded)."""

    package: str
    identifier: str
    outcome: Literal["reproduced", "differs", "cannot reproduce here"]
    detail: str
    differences: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"package": self.package, "identifier": self.identifier, "outcome": self.outcome,
                "detail": self.detail, "differences": list(self.differences)}
