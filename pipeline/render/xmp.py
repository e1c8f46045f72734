"""XMP metadata written by the project from the statement record.

WeasyPrint's own packet writes the PDF/A identification as attributes
(``pdfaid:part="3"``), a shorthand PDFBox's XMP parser rejects, and knows
nothing of the record. This packet uses element form throughout and carries
the record's Dublin Core: title, creator (issuer), date, language, subject,
identifier, rights, description. :func:`info_dictionary` gives the matching
document-information entries, which PDF/A requires to agree with the XMP.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping
from xml.sax.saxutils import escape

from pipeline.render.rendition import RenditionDate
from pipeline.statements.edtf import parse_issue_date

NS = {
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "pdfuaid": "http://www.aiim.org/pdfua/ns/id/",
}

# PDF/A allows only predefined XMP schemas unless the packet describes the
# others (ISO 19005-1, 6.7.8): pdfuaid is not predefined, so it is described.
_PDFUA_EXTENSION_SCHEMA = """\
  <rdf:Description rdf:about=""
      xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"
      xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#"
      xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
    <pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">
      <pdfaSchema:schema>PDF/UA Universal Accessibility Schema</pdfaSchema:schema>
      <pdfaSchema:namespaceURI>http://www.aiim.org/pdfua/ns/id/</pdfaSchema:namespaceURI>
      <pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>
      <pdfaSchema:property><rdf:Seq><rdf:li rdf:parseType="Resource">
        <pdfaProperty:name>part</pdfaProperty:name>
        <pdfaProperty:valueType>Integer</pdfaProperty:valueType>
        <pdfaProperty:category>internal</pdfaProperty:category>
        <pdfaProperty:description>Part of ISO 14289 to which the file conforms</pdfaProperty:description>
      </rdf:li></rdf:Seq></pdfaSchema:property>
    </rdf:li></rdf:Bag></pdfaExtension:schemas>
  </rdf:Description>
"""


@dataclass(frozen=True)
class DocumentFacts:
    """What the XMP packet and the information dictionary both say."""

    title: str
    creator: str
    date_issued: str  # as the record says it (dc:date)
    languages: tuple[str, ...]
    subjects: tuple[str, ...]
    identifier: str
    rights: str
    description: str | None
    producer: str
    creator_tool: str
    alternative_titles: tuple[tuple[str, str], ...] = ()  # (language tag, title)
    rendition: RenditionDate | None = None  # when the PDF was made, if recorded: never the issue date

    @classmethod
    def from_record(cls, metadata: Mapping[str, Any], *, producer: str, creator_tool: str,
                    rendition: RenditionDate | None) -> "DocumentFacts":
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
            alternative_titles=tuple((a["language"], a["title"]) for a in metadata.get("alternative_titles", ())),
            rendition=rendition,
        )


def _known_date(date_issued: str) -> list[str]:
    """``dc:date`` with only what the record's EDTF date certainly says (none if undated):
    an XMP Date cannot hold EDTF's qualifiers, and must not claim more than is known."""
    known = parse_issue_date(date_issued).known
    return [_array("dc:date", "Seq", (known,))] if known else []


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


def xmp_packet(facts: DocumentFacts, *, part: int, conformance: str, ua_part: int | None = None) -> bytes:
    """The complete XMP packet (UTF-8, with the xpacket wrapper).

    ``ua_part``: the PDF/UA part claimed (tagged variants), with its schema description.
    """
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
    tool = [_simple("xmp:CreatorTool", facts.creator_tool)]
    if facts.rendition:  # no date rather than an invented one
        stamp = facts.rendition.xmp()
        tool += [_simple("xmp:CreateDate", stamp), _simple("xmp:ModifyDate", stamp),
                 _simple("xmp:MetadataDate", stamp)]
    producer = [_simple("pdf:Producer", facts.producer)]
    if facts.subjects:
        producer.append(_simple("pdf:Keywords", keywords(facts)))
    packet = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        + _description("pdfaid", [_simple("pdfaid:part", str(part)),
                                  _simple("pdfaid:conformance", conformance.upper())])
        + (_description("pdfuaid", [_simple("pdfuaid:part", str(ua_part))]) + _PDFUA_EXTENSION_SCHEMA
           if ua_part else "")
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
    }
    if facts.rendition:
        info["CreationDate"] = info["ModDate"] = facts.rendition.pdf()
    if facts.description:
        info["Subject"] = facts.description
    if facts.subjects:
        info["Keywords"] = keywords(facts)
    return info
