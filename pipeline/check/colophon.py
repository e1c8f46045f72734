"""Read the colophon (templates/colophon.html.j2) back from the PDF's last pages.

It must name the identifier, the software and version that made the PDF,
each embedded file with its SHA-256, the rendition date as the XMP records
it (or "not recorded"), and the record's description.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from pipeline import SOFTWARE_AGENT
from pipeline.check.pdftext import ExtractedText, comparable, missing_blocks

HEADING = "About this rendition"


def colophon_problems(pages: Sequence[str], record: Mapping[str, Any], files: Sequence[tuple[str, str]],
                      rendition_date: str | None) -> list[str]:
    """What the colophon fails to say; *pages* is the text of each page (pdftotext)."""
    starts = [i for i, page in enumerate(pages) if HEADING in page]
    if not starts:
        return [f"no colophon ({HEADING!r}) on the last page"]
    text = comparable("\n".join(pages[starts[-1]:]))
    expected = {
        "the identifier": record["identifier"],
        "the software and version": SOFTWARE_AGENT.replace("/", " "),
        "the rendition date": f"Rendition date: {rendition_date or 'not recorded'}",
    }
    for name, digest in files:
        expected[f"{name} with its SHA-256"] = f"{name}, SHA-256 {digest}"
    missing = [f"the colophon does not give {what} ({value[:80]!r})"
               for what, value in expected.items() if comparable(value) not in text]
    description = record.get("description")
    # compared as the body text is: pdftotext may reorder a right-to-left run
    extracted = ExtractedText.from_pages("pdftotext", list(pages[starts[-1]:]), set())
    if description and missing_blocks((description,), extracted):
        missing.append("the colophon does not give the record's description")
    return missing
