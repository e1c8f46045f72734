"""Write one PDF/A document with WeasyPrint, and fix up what 70.0 gets wrong.

The finisher runs after WeasyPrint's PDF/A step and before serialisation:
* the catalog ``/AF`` array lists each associated file once (70.0 adds each
  twice: once from the ``EmbeddedFiles`` name tree, once from the filespec);
* the XMP packet is replaced by the project's own (:mod:`.xmp`);
* the document-information dictionary is rewritten to agree with the XMP.
"""

from __future__ import annotations

import logging
from io import BytesIO
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import pydyf
from fontTools.ttLib import TTFont
from weasyprint import HTML, Attachment
from weasyprint.text.fonts import FontConfiguration

from pipeline.render.environ import temporary_environ
from pipeline.render.fontfix import fill_empty_to_unicode
from pipeline.render.sandbox import ATTACHMENT_SCHEME, SandboxedFetcher
from pipeline.render.xmp import DocumentFacts, info_dictionary, xmp_packet

#: Short names → (WeasyPrint variant, PDF/A part, conformance level).
VARIANTS: dict[str, tuple[str, int, str]] = {
    "1b": ("pdf/a-1b", 1, "B"),
    "2b": ("pdf/a-2b", 2, "B"),
    "2u": ("pdf/a-2u", 2, "U"),
    "3b": ("pdf/a-3b", 3, "B"),
    "3u": ("pdf/a-3u", 3, "U"),
}
DEFAULT_VARIANT = "3u"


@dataclass(frozen=True)
class EmbeddedFile:
    name: str
    data: bytes
    media_type: str
    relationship: str  # PDF 2.0 AFRelationship: Source, Data, …
    description: str


class _WeasyPrintMessages(logging.Handler):
    """Collects what WeasyPrint logs at WARNING and above during one render."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def captured_weasyprint_messages() -> Iterator[list[str]]:
    logger = logging.getLogger("weasyprint")
    handler = _WeasyPrintMessages()
    logger.addHandler(handler)
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)


def _object(pdf: pydyf.PDF, reference) -> object:
    # pydyf references are b"12 0 R" (bytes) or "12 0 R" (str)
    text = reference.decode() if isinstance(reference, bytes) else str(reference)
    return pdf.objects[int(text.split()[0])]


def _bare_cff_fonts(pdf: pydyf.PDF) -> None:
    """Embed CFF fonts as bare ``CIDFontType0C`` instead of ``OpenType``.

    WeasyPrint embeds CFF-flavoured OpenType fonts (Noto Sans CJK) as
    ``/FontFile3 /Subtype /OpenType``, which only PDF 1.6 allows; PDF/A-1
    is PDF 1.4, whose ``/CIDFontType0C`` takes the font's bare CFF table.
    """
    for obj in pdf.objects:
        if isinstance(obj, pydyf.Stream) and obj.extra.get("Subtype") == "/OpenType":
            data = b"".join(c if isinstance(c, bytes) else str(c).encode() for c in obj.stream)
            obj.stream = [TTFont(BytesIO(data)).reader["CFF "]]
            obj.extra["Subtype"] = "/CIDFontType0C"


def _finisher(facts: DocumentFacts, part: int, conformance: str):
    def finish(document, pdf: pydyf.PDF) -> None:
        if part == 1:
            _bare_cff_fonts(pdf)
        fill_empty_to_unicode(pdf)
        if "AF" in pdf.catalog:
            unique = list(dict.fromkeys(pdf.catalog["AF"]))
            pdf.catalog["AF"] = pydyf.Array(unique)
        metadata_stream = _object(pdf, pdf.catalog["Metadata"])
        metadata_stream.stream = [xmp_packet(facts, part=part, conformance=conformance)]
        pdf.info.clear()
        for key, value in info_dictionary(facts).items():
            pdf.info[key] = pydyf.String(value)

    return finish


def write_pdf(
    html: str,
    *,
    base_url: str,
    facts: DocumentFacts,
    variant: str,
    font_config: FontConfiguration,
    fetcher: SandboxedFetcher,
    embedded: tuple[EmbeddedFile, ...],
    uncompressed: bool = False,
) -> tuple[bytes, list[str]]:
    """Render ``html`` to PDF bytes; also return WeasyPrint's warnings."""
    weasy_variant, part, conformance = VARIANTS[variant]
    attachments = []
    if part >= 3:  # PDF/A-1 and -2 forbid non-PDF embedded files
        for item in embedded:
            fetcher.attachments[item.name] = (item.data, item.media_type)
            attachments.append(Attachment(
                url=f"{ATTACHMENT_SCHEME}:{item.name}", url_fetcher=fetcher,
                name=item.name, description=item.description,
                relationship=item.relationship,
                created=facts.timestamp, modified=facts.timestamp,
            ))
    with captured_weasyprint_messages() as messages, temporary_environ(
        # fontTools (WeasyPrint's subsetter when libharfbuzz-subset is absent)
        # stamps fonts with the clock unless SOURCE_DATE_EPOCH is set.
        "SOURCE_DATE_EPOCH", str(int(facts.timestamp.timestamp()))):
        document = HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(
            font_config=font_config,
        )
        data = document.write_pdf(
            pdf_variant=weasy_variant,
            attachments=attachments,
            finisher=_finisher(facts, part, conformance),
            uncompressed_pdf=uncompressed,
        )
    return data, list(messages)
