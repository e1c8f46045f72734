"""Payload paths that cannot all survive a copy to another file system.

Two names that differ only by case (``Report.pdf``, ``report.pdf``) are one
file on Windows and on macOS by default; two that differ only by Unicode
normalisation (``é`` as one code point, NFC, or as ``e`` plus a combining
accent, NFD) are one file on macOS, which may also rename one into the
other. Either way, copying such a bag loses a file. The bag is still valid
where it is, so these are warnings (RFC 8493 §6 asks implementations to
take care with such names).
"""

from __future__ import annotations

import unicodedata
from typing import Iterable


def portability_hazards(paths: Iterable[str]) -> list[tuple[tuple[str, ...], str]]:
    """Groups of distinct paths that would collide, each with the reason, sorted."""
    by_form: dict[str, set[str]] = {}
    for path in set(paths):
        by_form.setdefault(unicodedata.normalize("NFC", path), set()).add(path)
    hazards = [(tuple(sorted(group)), "differ only by Unicode normalisation (NFC/NFD)")
               for group in by_form.values() if len(group) > 1]
    by_case: dict[str, set[str]] = {}
    for form in by_form:
        by_case.setdefault(unicodedata.normalize("NFC", form.casefold()), set()).add(form)
    for forms in by_case.values():
        if len(forms) > 1:
            members = tuple(sorted(p for form in forms for p in by_form[form]))
            hazards.append((members, "differ only by upper/lower case"))
    return sorted(hazards)
