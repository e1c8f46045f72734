"""Check stage: read every rendered PDF back and prove it is what was meant.

For each PDF: the PDF/A identification matches the variant; the XMP says
what the record says; the metadata and original body are embedded once
each with the right bytes and relationship (PDF/A-3); every font is
embedded; no ``.notdef`` glyph is drawn; the document language is set; the
logical text (the structure tree, :mod:`.check.structtext`) holds every block
of the body's text, poppler's pdftotext being the independent second opinion
that warns (C015) when the page text disagrees; for untagged variants, which
have no structure tree, the page text decides, read by pdftotext and pypdf
(C007). The PDF is read by qpdf (:mod:`.check.contents`, through pikepdf): its
objects, and each page's content stream, parsed once for the logical text and
the .notdef check; pypdf opens it only for an untagged variant's page text. The colophon
says what the PDF is (:mod:`.check.colophon`); and the independent validators
accept it (:mod:`.check.validators`: page-validation, Siegfried).
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from io import BytesIO
from typing import Any, Iterable, Mapping

import pikepdf
from pypdf import PdfReader

from pipeline.statements.body import decode_body
from pipeline.check.bodytext import text_blocks
from pipeline.statements.markup import layout_body
from pipeline.statements.langtag import is_right_to_left
from pipeline.check.contents import PageContents, draws_glyph_zero, object_key, plain_message
from pipeline.check.pdftext import (ExtractedText, comparable, missing_blocks, pdftotext_pages, pypdf_pages,
                                    without_display_profile)
from pipeline.core.errors import EnvironmentProblem
from pipeline.core.records import Problem, RenderedStatement, StageReport
from pipeline.statements.files import ChangedSinceValidation, read_unchanged
from pipeline.i18n import catalogue_language, document_type_label
from pipeline.statements.edtf import parse_issue_date
from pipeline.check.colophon import colophon_problems
from pipeline.check.structtext import NoStructureTree, structure_text
from pipeline.check.validators import Verdict, validate, verdict_problems

#: Short variant name → (PDF/A part, conformance); the same names as render's.
VARIANT_IDS = {"1a": (1, "A"), "1b": (1, "B"), "2a": (2, "A"), "2b": (2, "B"), "2u": (2, "U"),
               "3a": (3, "A"), "3b": (3, "B"), "3u": (3, "U")}

_NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "pdfuaid": "http://www.aiim.org/pdfua/ns/id/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
}
#: How the logical text is named in messages.
LOGICAL = "structure tree"


class _Checker:
    def __init__(self, item: RenderedStatement):
        self.item = item
        self.file = str(item.pdf_path)
        self.problems: list[Problem] = []
        self.verdicts: tuple[Verdict, ...] = ()
        self._pdftotext: list[str] | None = None
        self._poppler_input = b""  # what pdftotext reads: see pdftext.without_display_profile

    def problem(self, code: str, message: str, pointer: str = "") -> None:
        self.problems.append(Problem(code, self.file, pointer, message))

    # -- metadata -------------------------------------------------------
    def xmp(self, root: pikepdf.Dictionary) -> ET.Element | None:
        stream = root.get("/Metadata")
        if stream is None:
            self.problem("C002", "no XMP metadata stream in the catalog")
            return None
        try:
            return ET.fromstring(stream.read_bytes())
        except ET.ParseError as exc:
            self.problem("C003", f"XMP metadata is not well-formed XML: {exc}")
            return None

    def check_identification(self, xmp: ET.Element) -> None:
        part, conformance = VARIANT_IDS[self.item.variant]
        found_part = xmp.findtext(".//pdfaid:part", namespaces=_NS)
        found_conf = xmp.findtext(".//pdfaid:conformance", namespaces=_NS)
        if (found_part, found_conf) != (str(part), conformance):
            self.problem("C002", f"PDF/A identification is part={found_part!r} conformance={found_conf!r}; "
                                 f"expected part={part} conformance={conformance} (variant {self.item.variant})")

    def check_dublin_core(self, xmp: ET.Element, record: Mapping[str, Any]) -> None:
        def items(name: str) -> list[str]:
            return [li.text or "" for li in xmp.findall(f".//dc:{name}//rdf:li", _NS)]

        expected = {
            "title": [record["title"]] + [a["title"] for a in record.get("alternative_titles", ())],
            "creator": [record["issuer"]],
            "date": [d for d in [parse_issue_date(record["date_issued"]).known] if d],
            "language": list(record["languages"]),
            "subject": list(record.get("subjects", [])),
            "rights": [record["rights"]["statement"]],
        }
        for name, values in expected.items():
            if items(name) != values:
                self.problem("C003", f"XMP dc:{name} is {items(name)!r}; the record says {values!r}", f"/{name}")
        identifier = xmp.findtext(".//dc:identifier", namespaces=_NS)
        if identifier != record["identifier"]:
            self.problem("C003", f"XMP dc:identifier is {identifier!r}; the record says {record['identifier']!r}",
                         "/identifier")

    # -- structure ------------------------------------------------------
    def check_language(self, root: pikepdf.Dictionary, record: Mapping[str, Any]) -> None:
        lang = root.get("/Lang")
        if isinstance(lang, (pikepdf.String, pikepdf.Name)):
            lang = str(lang)  # compared, and shown, as text
        if lang != record["languages"][0]:
            self.problem("C008", f"document language is {lang!r}; expected {record['languages'][0]!r}")

    def check_attachments(self, pdf: pikepdf.Pdf) -> None:
        root = pdf.Root
        statement = self.item.statement
        af = list(root.get("/AF", []))
        part = VARIANT_IDS[self.item.variant][0]
        if part < 3:
            if af or len(pdf.attachments):
                self.problem("C004", f"PDF/A-{part} may not embed files, but this PDF does")
            return
        keys = [object_key(spec, ("/AF", index)) for index, spec in enumerate(af)]
        if len(keys) != len(set(keys)):
            self.problem("C009", f"catalog /AF lists {len(keys)} entries for {len(set(keys))} files")
        expected = {
            statement.metadata_path.name: ("/Data", statement.metadata_sha256),
            statement.body_path.name: ("/Source", statement.body_sha256),
        }
        if statement.capture_path is not None:  # the capture is the Source; the extracted text, Data
            expected[statement.body_path.name] = ("/Data", statement.body_sha256)
            expected[statement.capture_path.name] = ("/Source", statement.capture_sha256)
        seen = {}
        for spec in af:
            name = str(spec.get("/UF", spec.get("/F", "")))
            data = spec["/EF"]["/F"].read_bytes()
            seen[name] = (str(spec.get("/AFRelationship")), hashlib.sha256(data).hexdigest())
        for name, (relationship, digest) in expected.items():
            if name not in seen:
                self.problem("C004", f"associated file {name!r} is missing")
            elif seen[name][0] != relationship:
                self.problem("C004", f"associated file {name!r} has relationship {seen[name][0]}; expected {relationship}")
            elif digest and seen[name][1] != digest:
                self.problem("C004", f"associated file {name!r} differs from the statement's file "
                                     f"(sha256 {seen[name][1]}, expected {digest})")
        for name in sorted(set(seen) - set(expected)):
            self.problem("C004", f"unexpected associated file {name!r}")

    def check_fonts(self, contents: PageContents) -> None:
        seen: set[tuple] = set()
        for number, page in enumerate(contents.pdf.pages, 1):
            page = page.obj  # inherited /Resources are pushed to each page, as pypdf did
            resources = page.get("/Resources", {})
            where = object_key(resources, object_key(page, ()) + ("/Resources",))
            fonts = resources.get("/Font", {})
            where = object_key(fonts, where + ("/Font",))
            for font_name, font in fonts.items():
                key = object_key(font, where + (font_name,))  # a font shared by pages: once
                if key in seen:
                    continue
                seen.add(key)
                name = str(font.get("/BaseFont"))
                if isinstance(font.get("/Encoding"), pikepdf.Stream):
                    # WeasyPrint writes an embedded CMap only to send glyphs it
                    # could not find to .notdef (and pypdf cannot decode it).
                    self.problem("C006", f"font {name} maps missing glyphs to .notdef (page {number})")
                descendants = list(font.get("/DescendantFonts", [])) or [font]
                for descendant in descendants:
                    descriptor = descendant.get("/FontDescriptor")
                    if descriptor is None or not any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                        self.problem("C005", f"font {name} is not embedded (page {number})")
            if page.is_indirect and draws_glyph_zero(contents.operations(*page.objgen)):
                self.problem("C006", f"a .notdef glyph (glyph 0) is drawn on page {number}")

    # -- text -----------------------------------------------------------
    def pdftotext(self) -> list[str]:
        if self._pdftotext is None:  # one pdftotext run for the body text and the colophon
            self._pdftotext = pdftotext_pages(self._poppler_input)
        return self._pdftotext

    def check_text(self, contents: PageContents, data: bytes, record: Mapping[str, Any]) -> None:
        statement = self.item.statement
        try:
            body = read_unchanged(statement.body_path, statement.body_sha256)
        except ChangedSinceValidation as exc:
            self.problem("C010", str(exc))
            return
        layout = layout_body(decode_body(body), statement.media_type)
        blocks = text_blocks(layout)
        label = document_type_label(record["document_type"], catalogue_language(record["languages"][0]))
        furniture = {comparable(record["identifier"]), comparable(record["document_type"]), comparable(label)}
        right_to_left = is_right_to_left(record["languages"][0])
        try:  # the authority, compared strictly: every block whole and in logical order
            logical = comparable("\n".join(structure_text(contents, right_to_left)))
        except NoStructureTree as exc:
            logical = None
            if VARIANT_IDS[self.item.variant][1] == "A":
                self.problem("C007", f"{exc}, so its logical text cannot be read: render it again")
        if logical is not None:
            missing = [block for block in blocks if comparable(block) not in logical]
            if missing:
                self.problem("C007", f"the PDF's logical text ({LOGICAL}) lacks {len(missing)} of "
                                     f"{len(blocks)} body blocks; first: {missing[0][:80]!r}: "
                                     "render it again from this body")
        # For a tagged variant the structure tree decides and pdftotext (poppler,
        # apart from the tree's reader) is the second opinion; pypdf's page
        # text, a third, is read only where the page text is all there is.
        second_opinions = [("pdftotext", self.pdftotext)]
        if logical is None:
            # the bytes already hashed and read, not a second read of the file
            second_opinions.append(("pypdf", lambda: pypdf_pages(PdfReader(BytesIO(data), strict=True))))
        for extractor, read_pages in second_opinions:
            pages = read_pages()
            missing = missing_blocks(blocks, ExtractedText.from_pages(extractor, pages, furniture),
                                     right_to_left_document=right_to_left)
            if missing and logical is None:  # an untagged variant: the page text is all there is
                self.problem("C007", f"{extractor} does not find {len(missing)} of {len(blocks)} body blocks "
                                     f"in the PDF's text; first: {missing[0][:80]!r}")
            elif missing:  # a second opinion: shown, never silenced, never a refusal on its own
                self.problems.append(Problem("C015", self.file, "", (
                    f"{extractor} does not find {len(missing)} of {len(blocks)} body blocks in the page text "
                    f"(first: {missing[0][:80]!r}), but the logical text has them all: kept as a warning"),
                    "warning"))

    # -- independent validators and the colophon (pipeline/check/) --------
    def run_validators(self, data: bytes, xmp: ET.Element | None) -> None:
        claimed_ua = xmp is not None and xmp.findtext(".//pdfuaid:part", namespaces=_NS) is not None
        tagged = VARIANT_IDS[self.item.variant][1] == "A"
        if tagged and not claimed_ua:
            self.problem("C002", f"variant {self.item.variant} is tagged but its XMP claims no PDF/UA part")
        self.verdicts = validate(data, self.item.variant, claims_ua=claimed_ua or tagged)
        self.problems.extend(verdict_problems(self.verdicts, self.file))

    def check_colophon(self, xmp: ET.Element | None, record: Mapping[str, Any]) -> None:
        statement = self.item.statement
        files = ((statement.metadata_path.name, statement.metadata_sha256),
                 (statement.body_path.name, statement.body_sha256))
        if statement.capture_path is not None:
            files += ((statement.capture_path.name, statement.capture_sha256),)
        created = xmp.findtext(".//xmp:CreateDate", namespaces=_NS) if xmp is not None else None
        for problem in colophon_problems(self.pdftotext(), record, files, created):
            self.problem("C014", problem)

    def run(self) -> list[Problem]:
        data = self.item.pdf_path.read_bytes()
        if hashlib.sha256(data).hexdigest() != self.item.pdf_sha256:
            self.problem("C001", "the PDF changed since it was rendered")
            return self.problems
        xmp = None
        try:
            record = self.item.statement.metadata
            with PageContents(data) as contents:  # the bytes just hashed, read by qpdf
                root = contents.pdf.Root
                self._poppler_input = without_display_profile(contents.pdf, data)
                xmp = self.xmp(root)
                if xmp is not None:
                    self.check_identification(xmp)
                    self.check_dublin_core(xmp, record)
                self.check_language(root, record)
                self.check_attachments(contents.pdf)
                self.check_fonts(contents)
                self.check_text(contents, data, record)
            self.check_colophon(xmp, record)
        except EnvironmentProblem:
            raise  # the machine lacks a tool: one message, exit 3, not one C001 per PDF
        except Exception as exc:  # a malformed PDF may fail anywhere in qpdf or pypdf
            self.problem("C001", f"cannot read the PDF ({plain_message(exc)[:200]}): render it again")
        self.run_validators(data, xmp)  # whatever our own reading found: a second opinion
        return self.problems


def check_pdfs(rendered: Iterable[RenderedStatement]) -> StageReport:
    """Check every rendered PDF; one report with every problem found."""
    problems: list[Problem] = []
    items = []
    for item in rendered:
        checker = _Checker(item)
        found = checker.run()
        problems.extend(found)
        items.append({"identifier": item.statement.identifier, "pdf": str(item.pdf_path),
                      "ok": not any(p.severity == "error" for p in found),
                      "verdicts": [v.as_dict() for v in checker.verdicts]})
    return StageReport("check", tuple(problems), tuple(items))
