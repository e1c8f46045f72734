"""The PDF/A variants the render stage can make: names only, no WeasyPrint.

Kept apart from :mod:`pipeline.render.pdf` so that the CLI can list them in
``--help`` without importing WeasyPrint (about a second of start-up).
"""

from __future__ import annotations

#: Short names → (WeasyPrint variant, PDF/A part, conformance level).
#: Level A is tagged by WeasyPrint; every tagged variant also claims PDF/UA-1.
VARIANTS: dict[str, tuple[str, int, str]] = {
    "1a": ("pdf/a-1a", 1, "A"),
    "1b": ("pdf/a-1b", 1, "B"),
    "2a": ("pdf/a-2a", 2, "A"),
    "2b": ("pdf/a-2b", 2, "B"),
    "2u": ("pdf/a-2u", 2, "U"),
    "3a": ("pdf/a-3a", 3, "A"),
    "3b": ("pdf/a-3b", 3, "B"),
    "3u": ("pdf/a-3u", 3, "U"),
}
DEFAULT_VARIANT = "3a"
PDFUA_PART = 1


def is_tagged(variant: str) -> bool:
    return VARIANTS[variant][2] == "A"


def ua_part(variant: str) -> int | None:
    """The PDF/UA part a variant claims: every tagged variant claims PDF/UA-1."""
    return PDFUA_PART if is_tagged(variant) else None
