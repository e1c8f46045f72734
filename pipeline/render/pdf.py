"""Write one PDF/A document with WeasyPrint, and fix up what 70.0 gets wrong.

The finisher runs after WeasyPrint's PDF/A step and before serialisation:
* the catalog ``/AF`` array lists each associated file once (70.0 adds each
  twice: once from the ``EmbeddedFiles`` name tree, once from the filespec);
* the XMP packet is replaced by the project's own (:mod:`.xmp`);
* the document-information dictionary is rewritten to agree with the XMP.
"""

from __future__ import annotations

import datetime as dt
import logging
from io import BytesIO
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import pydyf
from fontTools.cffLib import CFFFontSet
from fontTools.ttLib import TTFont
from weasyprint import HTML, Attachment
from weasyprint.text.fonts import FontConfiguration

from pipeline.render.environ import temporary_environ
from pipeline.render.fontfix import fill_empty_to_unicode
from pipeline.render.sandbox import ATTACHMENT_SCHEME, SandboxedFetcher
from pipeline.render.tagging import BoxNotes, complete_structure, recording_boxes
from pipeline.render.variants import VARIANTS, ua_part
from pipeline.render.xmp import DocumentFacts, info_dictionary, xmp_packet

_FIXED_INSTANT = dt.datetime(1980, 1, 1, tzinfo=dt.timezone.utc)  # for what must be set but is never shown


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
            obj.stream = [TTFont(BytesIO(_stream_bytes(obj))).reader["CFF "]]
            obj.extra["Subtype"] = "/CIDFontType0C"


def _stream_bytes(stream: pydyf.Stream) -> bytes:
    return b"".join(c if isinstance(c, bytes) else str(c).encode() for c in stream.stream)


def _complete_cidsets(pdf: pydyf.PDF) -> None:
    """List in each ``/CIDSet`` every CID the embedded font program has.

    WeasyPrint subsets keeping glyph ids, so the program still holds every
    CID below the highest one used (most as empty glyphs), but its CIDSet
    lists only the CIDs drawn. PDF/A-1 (6.3.5) and PDF/UA-1 want every CID
    present in the program identified; page-validation's ua1 profile refuses
    the short set.
    """
    for obj in pdf.objects:
        if not (isinstance(obj, pydyf.Dictionary) and obj.get("Type") == "/FontDescriptor" and "CIDSet" in obj):
            continue
        if "FontFile2" in obj:
            font = TTFont(BytesIO(_stream_bytes(_object(pdf, obj["FontFile2"]))), lazy=True)
            count = font["maxp"].numGlyphs
        else:
            cff = CFFFontSet()
            cff.decompile(BytesIO(_stream_bytes(_object(pdf, obj["FontFile3"]))), None)
            charset = cff[cff.fontNames[0]].charset  # cidNNNNN names: CID-keyed
            count = 1 + max((int(n[3:]) for n in charset if n.startswith("cid")), default=0)
        bits = (1 << count) - 1 << (-count % 8)
        _object(pdf, obj["CIDSet"]).stream = [bits.to_bytes((count + 7) // 8, "big")]


def _drop_embedded_file_dates(pdf: pydyf.PDF) -> None:
    """Remove the dates WeasyPrint gives each embedded file (optional in PDF):
    when the statement's files were made or changed is not known here."""
    for obj in pdf.objects:
        if isinstance(obj, pydyf.Stream) and obj.extra.get("Type") == "/EmbeddedFile":
            for key in ("CreationDate", "ModDate"):
                obj.extra.get("Params", {}).pop(key, None)


def _carriage_return_safe(data: bytes) -> bytes:
    """A stream whose data ends in CR gets CR LF, not LF, before ``endstream``.

    After ``...\\r\\n`` a reader (page-validation among them) takes CR LF as
    the end-of-line marker and finds the data one byte shorter than /Length.
    1 stream in 256 ends so: a Flate stream ends in its checksum.
    """
    body = data[: -len(b"\nendstream")]
    return body + b"\r\nendstream" if body.endswith(b"\r") else data


class _CarriageReturnSafePDF(pydyf.PDF):
    """Writes every stream so, also the object and cross-reference streams
    that pydyf makes only while writing (hence on the class, for the write)."""

    def write(self, *args, **kwargs):
        original = pydyf.Stream.data
        pydyf.Stream.data = property(lambda stream: _carriage_return_safe(original.fget(stream)))
        try:
            return super().write(*args, **kwargs)
        finally:
            pydyf.Stream.data = original


def _finisher(facts: DocumentFacts, part: int, conformance: str, ua: int | None, notes: BoxNotes):
    def finish(document, pdf: pydyf.PDF) -> None:
        if part == 1:
            _bare_cff_fonts(pdf)
            _complete_cidsets(pdf)
        _drop_embedded_file_dates(pdf)
        fill_empty_to_unicode(pdf)
        if "AF" in pdf.catalog:
            unique = list(dict.fromkeys(pdf.catalog["AF"]))
            pdf.catalog["AF"] = pydyf.Array(unique)
        metadata_stream = _object(pdf, pdf.catalog["Metadata"])
        metadata_stream.stream = [xmp_packet(facts, part=part, conformance=conformance, ua_part=ua)]
        # Never compressed: format identifiers (Siegfried/PRONOM) look for
        # pdfaid in the file's bytes, and PDF/A forbids a Filter on it.
        metadata_stream.compress = False
        if ua:
            complete_structure(pdf, notes)
        pdf.info.clear()
        for key, value in info_dictionary(facts).items():
            pdf.info[key] = pydyf.String(value)
        pdf.__class__ = _CarriageReturnSafePDF

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
                # dropped again by the finisher: nobody knows these files' dates
                created=_FIXED_INSTANT, modified=_FIXED_INSTANT,
            ))
    with captured_weasyprint_messages() as messages, recording_boxes() as notes, temporary_environ(
        # fontTools (WeasyPrint's subsetter when libharfbuzz-subset is absent)
        # stamps fonts with the clock unless SOURCE_DATE_EPOCH is set.
        "SOURCE_DATE_EPOCH", str(int((facts.rendition.instant if facts.rendition else _FIXED_INSTANT).timestamp()))):
        document = HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(
            font_config=font_config,
        )
        data = document.write_pdf(
            pdf_variant=weasy_variant,
            attachments=attachments,
            finisher=_finisher(facts, part, conformance, ua_part(variant), notes),
            uncompressed_pdf=uncompressed,
        )
    return data, list(messages)
