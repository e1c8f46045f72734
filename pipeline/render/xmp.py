"""XMP metadata written by the project from the statement record.

WeasyPrint's own packet writes the PDF/A identification as attributes
(``pdfaid:part="3"``), a shorthand PDFBox's XMP parser rejects, and knows
nothing of the record. This packet uses element form throughout and carries
the record's Dublin Core: title, creator (issuer), date, language, subject,
identifier, rights, description. :func:`info_dictionary` gives the matching
document-information entries, which PDF/A requires to agree with the XMP.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Mapping
from xml.sax.saxutils import escape

from pipeline.statements.edtf import parse_issue_date

NS = {
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
}


@dataclass(frozen=True)
class DocumentFacts:
    """What the XMP packet and the information dictionary both say."""

    title: str
    creator: str
    date_issued: str  # as in the record: YYYY, YYYY-MM or YYYY-MM-DD
    languages: tuple[str, ...]
    subjects: tuple[str, ...]
    identifier: str
    rights: str
    description: str | None
    producer: str
    creator_tool: str
    timestamp: dt.datetime  # the PDF's creation date: from the record, not the clock
    alternative_titles: tuple[tuple[str, str], ...] = ()  # (language tag, title)

    @classmethod
    def from_record(cls, metadata: Mapping[str, Any], *, producer: str, creator_tool: str) -> "DocumentFacts":
        return cls(
            title=metadata["title"],
            creator=metadata["issuer"],
            date_issued=metadata["date_issued"],
            languages=tuple(metadata["languages"]),
            subjects=tuple(metadata.get("subjects", ())),
            identifier=metadata["identifier"],
            rights=metadata["rights"]["statement"],
            description=metadata.get("description"),
            producer=producer,
            creator_tool=creator_tool,
            timestamp=issued_instant(metadata["date_issued"]),
            alternative_titles=tuple((a["language"], a["title"]) for a in metadata.get("alternative_titles", ())),
        )


def issued_instant(date_issued: str) -> dt.datetime:
    """The first instant of the period a record's date names (UTC midnight).

    A PDF creation date needs a full date; the record's own precision is
    kept in ``dc:date``.
    """
    # EDTF: the earliest day the record allows, else the latest; an undated
    # record has neither (placeholder until the rendition date is recorded).
    issued = parse_issue_date(date_issued)
    day = issued.lower or issued.upper or dt.date(1970, 1, 1)
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)


def _known_date(date_issued: str) -> list[str]:
    """``dc:date`` with only what the record's EDTF date certainly says (none if undated)."""
    known = parse_issue_date(date_issued).known
    return [_array("dc:date", "Seq", (known,))] if known else []


def xmp_date(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def pdf_date(moment: dt.datetime) -> str:
    return moment.strftime("D:%Y%m%d%H%M%SZ")


def _text(value: str) -> str:
    return escape(value, {'"': "&quot;"})


def _alt(name: str, value: str) -> str:
    return (f"<{name}><rdf:Alt><rdf:li xml:lang=\"x-default\">{_text(value)}</rdf:li>"
            f"</rdf:Alt></{name}>")


def title_alternatives(facts: DocumentFacts) -> str:
    """``dc:title`` as a language alternative: the record's title as
    x-default, then each alternative title in its own ``xml:lang``
    (validation allows one title per language, none in the first language)."""
    entries = [("x-default", facts.title), *facts.alternative_titles]
    items = "".join(f'<rdf:li xml:lang="{_text(lang)}">{_text(title)}</rdf:li>' for lang, title in entries)
    return f"<dc:title><rdf:Alt>{items}</rdf:Alt></dc:title>"


def _array(name: str, kind: str, values: tuple[str, ...]) -> str:
    items = "".join(f"<rdf:li>{_text(v)}</rdf:li>" for v in values)
    return f"<{name}><rdf:{kind}>{items}</rdf:{kind}></{name}>"


def _simple(name: str, value: str) -> str:
    return f"<{name}>{_text(value)}</{name}>"


def _description(prefix: str, properties: list[str]) -> str:
    # Each schema in its own rdf:Description declaring its own namespace:
    # PDFBox's xmpbox does not find schemas declared only on an ancestor.
    body = "\n    ".join(properties)
    return (f'  <rdf:Description rdf:about="" xmlns:{prefix}="{NS[prefix]}">\n'
            f"    {body}\n  </rdf:Description>\n")


def xmp_packet(facts: DocumentFacts, *, part: int, conformance: str) -> bytes:
    """The complete XMP packet (UTF-8, with the xpacket wrapper)."""
    dc = [
        title_alternatives(facts),
        _array("dc:creator", "Seq", (facts.creator,)),
        *_known_date(facts.date_issued),
        _array("dc:language", "Bag", facts.languages),
    ]
    if facts.subjects:
        dc.append(_array("dc:subject", "Bag", facts.subjects))
    dc += [_simple("dc:identifier", facts.identifier), _alt("dc:rights", facts.rights)]
    if facts.description:
        dc.append(_alt("dc:description", facts.description))
    dc.append(_simple("dc:format", "application/pdf"))
    stamp = xmp_date(facts.timestamp)
    tool = [
        _simple("xmp:CreatorTool", facts.creator_tool),
        _simple("xmp:CreateDate", stamp),
        _simple("xmp:ModifyDate", stamp),
        _simple("xmp:MetadataDate", stamp),
    ]
    producer = [_simple("pdf:Producer", facts.producer)]
    if facts.subjects:
        producer.append(_simple("pdf:Keywords", keywords(facts)))
    packet = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        + _description("pdfaid", [_simple("pdfaid:part", str(part)),
                                  _simple("pdfaid:conformance", conformance.upper())])
        + _description("dc", dc)
        + _description("xmp", tool)
        + _description("pdf", producer)
        + "</rdf:RDF>\n</x:xmpmeta>\n"
        '<?xpacket end="r"?>'
    )
    return packet.encode("utf-8")


def keywords(facts: DocumentFacts) -> str:
    return "; ".join(facts.subjects)


def info_dictionary(facts: DocumentFacts) -> dict[str, str]:
    """Document-information entries that agree with :func:`xmp_packet`."""
    info = {
        "Title": facts.title,
        "Author": facts.creator,
        "Creator": facts.creator_tool,
        "Producer": facts.producer,
        "CreationDate": pdf_date(facts.timestamp),
        "ModDate": pdf_date(facts.timestamp),
    }
    if facts.description:
        info["Subject"] = facts.description
    if facts.subjects:
        info["Keywords"] = keywords(facts)
    return info
