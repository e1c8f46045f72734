"""Independent validators the check stage runs on every PDF, in-process.

* ``page-validation`` (a PDF/A-1…3 and PDF/UA-1 validator written apart from
  WeasyPrint, pypdf and this project) with the PDF/A profile of the PDF's
  variant, plus ``ua1`` where the variant claims PDF/UA-1;
* Siegfried (through ``pygfried``), the PRONOM identifier archives run at
  ingest: the PDF must be identified as its variant's own PRONOM format.

Each run gives a :class:`Verdict` (validator, version, profile, outcome,
failures), which the check stage reports and the event log records as a
PREMIS validation event. A failure refuses the PDF (C011, C012), naming
rule id and message, with one narrow exception, :data:`KNOWN_DISAGREEMENTS`:
a failure another reading proves wrong is reported as a warning (C013) that
names both readings, never dropped.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any, Callable, Sequence

from pipeline.core.records import Problem

PAGE_VALIDATION = "page-validation"
SIEGFRIED = "siegfried"

#: Variant → its PRONOM format id (The National Archives' registry).
PRONOM_IDS = {
    "1a": "fmt/95", "1b": "fmt/354",
    "2a": "fmt/476", "2b": "fmt/477", "2u": "fmt/478",
    "3a": "fmt/479", "3b": "fmt/480", "3u": "fmt/481",
}
UA_PROFILE = "ua1"


@dataclass(frozen=True)
class Failure:
    rule_id: str
    message: str
    #: set when another reading proves this failure wrong: what that reading found
    disagreement: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"rule_id": self.rule_id, "message": self.message, "disagreement": self.disagreement}


@dataclass(frozen=True)
class Verdict:
    """One validator's verdict on one PDF under one profile."""

    validator: str
    version: str
    profile: str
    failures: tuple[Failure, ...] = ()

    @property
    def outcome(self) -> str:
        """PREMIS eventOutcome: success, warning (only known disagreements) or failure."""
        if not self.failures:
            return "success"
        return "warning" if all(f.disagreement for f in self.failures) else "failure"

    def as_dict(self) -> dict[str, Any]:
        return {"validator": self.validator, "version": self.version, "profile": self.profile,
                "outcome": self.outcome, "failures": [f.as_dict() for f in self.failures]}


def profiles_for(variant: str, claims_ua: bool) -> tuple[str, ...]:
    return (variant, UA_PROFILE) if claims_ua else (variant,)


def validator_versions() -> str:
    """What decides the verdicts, for the check stage's fingerprint."""
    import page
    import pygfried

    return f"{PAGE_VALIDATION} {page.__version__}; {SIEGFRIED} {_siegfried_version(pygfried)}"


def _siegfried_version(pygfried) -> str:
    from importlib.metadata import version

    return f"{pygfried.version()} (pygfried {version('pygfried')})"


# -- known disagreements -------------------------------------------------------------
_GLYPH_WIDTH = re.compile(
    r"font object (\d+) (\d+) has rendered CID (\d+) width (-?[\d.]+) in its embedded "
    r"CIDFontType0C program but (-?[\d.]+) in /W or /DW")


def _cff_width_from_fdselect(data: bytes, failure: Failure) -> str | None:
    """page-validation 0.11 reads a CID-keyed CFF glyph's width with the wrong
    Private dict (not the one FDSelect names for the glyph), so it misreads
    Noto Sans CJK's widths in PDF/A-1 files, where the font is a bare CFF.
    PDFBox Preflight accepts the same files. This re-reads the width with
    fontTools through FDSelect; only if it equals /W is the failure a known
    disagreement. Returns what that reading found, or None."""
    from fontTools.cffLib import CFFFontSet
    from fontTools.misc.psCharStrings import T2WidthExtractor
    from pypdf import PdfReader

    match = _GLYPH_WIDTH.search(failure.message)
    if not match:
        return None
    number, cid = int(match[1]), int(match[3])
    declared = float(match[5])
    try:
        font = PdfReader(BytesIO(data)).get_object(number)  # the Type0 font
        descendant = font["/DescendantFonts"][0].get_object()
        program = descendant["/FontDescriptor"]["/FontFile3"].get_object().get_data()
        cff = CFFFontSet()
        cff.decompile(BytesIO(program), None)
        top = cff[cff.fontNames[0]]
        name = ".notdef" if cid == 0 else f"cid{cid:05d}"
        charstring, fd_index = top.CharStrings.getItemAndSelector(name)
        private = top.FDArray[fd_index].Private
        extractor = T2WidthExtractor(getattr(private, "Subrs", []), top.GlobalSubrs,
                                     private.nominalWidthX, private.defaultWidthX)
        extractor.execute(charstring)
        width = extractor.width * top.FontMatrix[0] * 1000
    except Exception:  # anything unexpected: no excuse, the failure stands
        return None
    if abs(width - declared) > 0.5:
        return None
    return (f"fontTools, reading CID {cid} with the Private dict FDSelect gives it (font dict {fd_index}), "
            f"finds width {width:g}, as /W says; PDFBox Preflight accepts such files")


#: rule id → the second reading that may prove that failure wrong (see module docstring).
KNOWN_DISAGREEMENTS: dict[str, Callable[[bytes, Failure], str | None]] = {
    "PDFA1B-TRUETYPE-GLYPH-WIDTH-001": _cff_width_from_fdselect,
    "PDFUA1-FONT-GLYPH-WIDTH-001": _cff_width_from_fdselect,
}


# -- running the validators ----------------------------------------------------------
def _page_verdict(data: bytes, profile: str) -> Verdict:
    import page

    try:
        report = page.validate_pdf_bytes(data, profile=profile)
    except (page.PageError, page.ParseError, page.SafetyLimitError) as exc:
        return Verdict(PAGE_VALIDATION, page.__version__, profile,
                       (Failure("(unreadable)", f"cannot validate the file: {exc}"),))
    failures = []
    for found in report.failures:
        failure = Failure(found.rule_id, found.message)
        second_reading = KNOWN_DISAGREEMENTS.get(failure.rule_id)
        disagreement = second_reading(data, failure) if second_reading else None
        failures.append(Failure(failure.rule_id, failure.message, disagreement))
    if not report.is_compliant and not failures:
        failures.append(Failure("(none)", "not compliant, without naming a rule"))
    return Verdict(PAGE_VALIDATION, page.__version__, profile, tuple(failures))


def _siegfried_verdict(data: bytes, variant: str) -> Verdict:
    import pygfried

    # Siegfried reads a named file; a private copy, so it reads the bytes checked.
    with tempfile.TemporaryDirectory(prefix="siegfried-") as folder:
        path = Path(folder) / "rendition.pdf"
        path.write_bytes(data)
        try:
            found = pygfried.identify(str(path))
        except (pygfried.EmptySourceError, pygfried.GoError) as exc:
            found = f"nothing ({exc})"
    expected = PRONOM_IDS[variant]
    failures = () if found == expected else (
        Failure("PRONOM", f"identified as {found or 'nothing'}; PDF/A-{variant} is {expected}"),)
    return Verdict(SIEGFRIED, _siegfried_version(pygfried), expected, failures)


def validate(data: bytes, variant: str, claims_ua: bool) -> tuple[Verdict, ...]:
    """Every independent verdict on one PDF's bytes."""
    verdicts = [_page_verdict(data, profile) for profile in profiles_for(variant, claims_ua)]
    verdicts.append(_siegfried_verdict(data, variant))
    return tuple(verdicts)


def verdict_problems(verdicts: Sequence[Verdict], file: str) -> list[Problem]:
    """Each failure as a problem naming validator, version, profile, rule and message."""
    problems = []
    for verdict in verdicts:
        who = f"{verdict.validator} {verdict.version} ({verdict.profile})"
        for failure in verdict.failures:
            if failure.disagreement:
                problems.append(Problem("C013", file, "", (
                    f"{who} says {failure.rule_id}: {failure.message}; but {failure.disagreement}: "
                    "a known disagreement between validators, kept as a warning"), "warning"))
            elif verdict.validator == SIEGFRIED:
                problems.append(Problem("C012", file, "", f"{who}: {failure.message}; archives will not "
                                                          "see this file as the PDF/A it claims to be"))
            else:
                problems.append(Problem("C011", file, "", f"{who} refuses it: {failure.rule_id}: {failure.message}"))
    return problems
