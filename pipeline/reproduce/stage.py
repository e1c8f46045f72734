"""Judging a PDF rendered again from its package against the archived one.

*reproduced*: identical bytes. *differs* (D001, an error): the installed
renderer is the recorded one, yet the bytes differ: the archived PDF is not
the rendition of the files beside it. *cannot reproduce here* (D002, a
warning): something installed differs from what the package records (named,
with both values); the extracted text is compared instead and reported as
such (D003 when it differs too), never as reproduced.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from pipeline.core.records import Problem, RenditionFacts, Reproduction, StageReport
from pipeline.reproduce.compare import extracted_text, first_difference
from pipeline.reproduce.plan import Rendition, ReproductionPlan

_SIMPLE = (("software", "software_agent", "pipeline"), ("weasyprint", "weasyprint", "WeasyPrint"),
           ("text_stack", "text_stack", "text stack (Pango, HarfBuzz, fontconfig)"),
           ("templates_digest", "templates_digest", "templates digest"),
           ("catalogues_digest", "catalogues_digest", "message catalogues digest"))


def environment_differences(recorded: Mapping[str, Any], installed: RenditionFacts) -> tuple[str, ...]:
    """What is installed here otherwise than the package records, one phrase each."""
    found = []
    for key, attribute, label in _SIMPLE:
        if str(recorded[key]) != str(getattr(installed, attribute)):
            found.append(f"{label}: recorded {recorded[key]}, here {getattr(installed, attribute)}")
    was = {f["file"]: f["sha256"] for f in recorded["fonts"] if isinstance(f, dict)}
    now = {name: digest for name, digest, _ in installed.fonts}
    for name in sorted(set(was) | set(now)):
        if name not in now:
            found.append(f"font {name} (sha256 {was[name]}) is not installed here")
        elif name not in was:
            found.append(f"font {name} is installed here but was not used")
        elif was[name] != now[name]:
            found.append(f"font {name}: recorded sha256 {was[name]}, here {now[name]}")
    if not found and str(recorded["fonts_fingerprint"]) != installed.fonts_fingerprint:
        found.append(f"font list order: recorded {recorded['fonts_fingerprint']}, here {installed.fonts_fingerprint}")
    return tuple(found)


def judge(plan: ReproductionPlan, rendition: Rendition, fresh: bytes | None,
          differences: Sequence[str], render_problems: Sequence[Problem] = ()) -> tuple[Reproduction, list[Problem]]:
    """The outcome for one archived PDF, given the bytes rendered again (None if refused)."""
    identifier = rendition.statement.identifier
    where = f"{plan.package}/data/{identifier}/{rendition.pdf_path.name}"
    archived = rendition.pdf_path.read_bytes()
    if differences:
        said = "; ".join(differences)
        if fresh is None:
            detail = f"cannot reproduce here ({said}); rendering with what is installed failed, no text compared"
            return _cannot(plan, identifier, detail, differences, where, "D002")
        text = _text_or_none(archived)
        same = text is not None and text == _text_or_none(fresh)
        detail = (f"cannot reproduce here ({said}); extracted text "
                  f"{'identical' if same else 'differs'} (text compared, not bytes)")
        return _cannot(plan, identifier, detail, differences, where, "D002" if same else "D003")
    if fresh is None:
        why = "; ".join(p.message for p in render_problems)[:300] or "no PDF came back"
        detail = f"could not be rendered again with the recorded software: {why}"
        return (Reproduction(plan.package, identifier, "differs", detail),
                [Problem("D006", where, "", f"{identifier}: {detail}")])
    if fresh == archived:
        return Reproduction(plan.package, identifier, "reproduced",
                            f"identical bytes ({len(fresh)}) rendered again from the package's own files"), []
    detail = (f"rendered again from the package's own files with the recorded software and fonts, "
              f"the PDF differs: {first_difference(archived, fresh)}")
    return (Reproduction(plan.package, identifier, "differs", detail),
            [Problem("D001", where, "", f"{identifier}: {detail}; the archived PDF is not the rendition "
                     "of the metadata and body beside it: restore the package from a copy and investigate")])


def reproduction_report(plans: Sequence[ReproductionPlan], reproductions: Sequence[Reproduction],
                        problems: Sequence[Problem]) -> StageReport:
    every = [p for plan in plans for p in plan.problems] + list(problems)
    return StageReport("reproduce", tuple(every), tuple(r.as_dict() for r in reproductions))


def _cannot(plan: ReproductionPlan, identifier: str, detail: str, differences: Sequence[str],
            where: str, code: str) -> tuple[Reproduction, list[Problem]]:
    return (Reproduction(plan.package, identifier, "cannot reproduce here", detail, tuple(differences)),
            [Problem(code, where, "", f"{identifier}: {detail}", "warning")])


def _text_or_none(data: bytes) -> str | None:
    try:
        return extracted_text(data)
    except Exception:  # noqa: BLE001 — pypdf raises many kinds on a damaged file; unreadable is the answer
        return None
