"""Check stage: good PDFs pass; each kind of defect is found and named."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, NameObject

from pipeline.check.stage import check_pdfs
from pipeline.core.records import RenderedStatement
from pipeline.render import RenderConfig, render_statements
from statement_factory import write_statement

BODY = (
    "First paragraph of the statement, long enough to wrap over more than one line of the "
    "page so that line breaks fall inside it, with a well-known hyphenated word: self-confident.\n\n"
    "Second paragraph: Міністерство закордонних справ; 外交部; وزارة الخارجية; משרד החוץ.\n"
)


@pytest.fixture(scope="module")
def rendered_pair(tmp_path_factory, project_dir, fonts_dir):
    """One 3u and one 1b rendering of the same statement."""
    tmp = tmp_path_factory.mktemp("check")
    statement = write_statement(tmp / "in", "check-case", BODY, languages=["en", "uk", "zh", "ar", "he"])
    result = {}
    for variant in ("3u", "1b"):
        cfg = RenderConfig(project_dir / "templates", fonts_dir, tmp / "work", variant=variant)
        rendered, report = render_statements([statement], tmp / variant, cfg)
        assert report.ok, report.problems
        result[variant] = rendered[0]
    return result


def rewritten(item: RenderedStatement, tmp_path: Path, change) -> RenderedStatement:
    writer = PdfWriter(clone_from=PdfReader(item.pdf_path))
    change(writer)
    path = tmp_path / "altered.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    return dataclasses.replace(item, pdf_path=path, pdf_sha256=hashlib.sha256(path.read_bytes()).hexdigest())


def codes(item: RenderedStatement) -> list[str]:
    return sorted({p.code for p in check_pdfs([item]).problems})


@pytest.mark.parametrize("variant", ["3u", "1b"])
def test_good_pdf_passes_every_check(rendered_pair, variant):
    report = check_pdfs([rendered_pair[variant]])
    assert report.ok, [str(p) for p in report.problems]


def test_pdf_changed_since_rendering_is_refused(rendered_pair):
    item = dataclasses.replace(rendered_pair["3u"], pdf_sha256="0" * 64)
    assert codes(item) == ["C001"]


def test_wrong_variant_is_found(rendered_pair):
    assert "C002" in codes(dataclasses.replace(rendered_pair["3u"], variant="2b"))


def test_xmp_that_disagrees_with_the_record_is_found(rendered_pair, tmp_path):
    def change(writer):
        stream = writer.root_object["/Metadata"].get_object()
        stream.set_data(stream.get_data().replace(b"Test statement check-case", b"Another title"))
    assert codes(rewritten(rendered_pair["3u"], tmp_path, change)) == ["C003"]


def test_missing_associated_file_is_found(rendered_pair, tmp_path):
    def change(writer):
        writer.root_object[NameObject("/AF")] = ArrayObject(list(writer.root_object["/AF"])[:1])
    assert "C004" in codes(rewritten(rendered_pair["3u"], tmp_path, change))


def test_duplicated_af_entries_are_found(rendered_pair, tmp_path):
    def change(writer):
        entries = list(writer.root_object["/AF"])
        writer.root_object[NameObject("/AF")] = ArrayObject(entries + entries)
    assert codes(rewritten(rendered_pair["3u"], tmp_path, change)) == ["C009"]


def test_altered_attachment_bytes_are_found(rendered_pair, tmp_path):
    item = rendered_pair["3u"]
    other = dataclasses.replace(item.statement, body_sha256=hashlib.sha256(b"other").hexdigest())
    # The embedded body differs from the record (C004), and so does the file on disk (C010),
    # (and the colophon names the digest of the bytes embedded, not this one: C014)
    assert codes(dataclasses.replace(item, statement=other)) == ["C004", "C010", "C014"]


def test_body_text_missing_from_pdf_is_found(rendered_pair, tmp_path):
    item = rendered_pair["3u"]
    body = tmp_path / "check-case.txt"
    body.write_text(BODY + "\nA third paragraph that the PDF does not contain.\n", encoding="utf-8")
    other = dataclasses.replace(item.statement, body_path=body, body_sha256="")
    found = check_pdfs([dataclasses.replace(item, statement=other)]).problems
    c007 = [p for p in found if p.code == "C007"]
    assert {p.message.split()[0] for p in c007} == {"pdftotext", "pypdf"}
    assert "third paragraph" in c007[0].message


def test_missing_language_is_found(rendered_pair, tmp_path):
    def change(writer):
        del writer.root_object["/Lang"]
    assert codes(rewritten(rendered_pair["3u"], tmp_path, change)) == ["C008"]


def test_notdef_glyph_and_pypdf_garbage_have_one_cause(tmp_path, project_dir, fonts_dir):
    """WeasyPrint writes an embedded CMap /Encoding only when a font lacks a glyph.

    That CMap sends the missing glyph to .notdef, and pypdf 7 cannot decode
    text through an embedded CMap (it returns garbage), while poppler can.
    The renderer refuses uncovered characters before rendering (R001), so
    the project's PDFs always use Identity-H; the check still flags the
    embedded CMap and glyph 0 as C006 in any PDF handed to it.
    """
    from weasyprint import HTML

    from pipeline.render import Renderer

    renderer = Renderer(RenderConfig(project_dir / "templates", fonts_dir, tmp_path / "work"))
    pdf = tmp_path / "notdef.pdf"
    HTML(string='<p lang="en">plain words \U00013000 more words</p>').write_pdf(pdf, font_config=renderer.font_config)
    reader = PdfReader(pdf)
    assert "plain words" in subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "plain words" not in reader.pages[0].extract_text()  # the pypdf garbage
    encodings = {type(f.get_object()["/Encoding"].get_object()).__name__
                 for f in reader.pages[0]["/Resources"]["/Font"].values()}
    assert encodings & {"StreamObject", "DecodedStreamObject", "EncodedStreamObject"}
    # And the check stage names it, whatever statement it is said to render.
    statement = write_statement(tmp_path / "in", "notdef", "plain words more words\n")
    item = RenderedStatement(statement, pdf, hashlib.sha256(pdf.read_bytes()).hexdigest(), "3u")
    assert "C006" in codes(item)


def test_body_swapped_for_a_link_after_validation_is_refused(rendered_pair, tmp_path):
    item = rendered_pair["3u"]
    outside = tmp_path / "outside.txt"
    outside.write_bytes(item.statement.body_path.read_bytes())
    link = tmp_path / "check-case.txt"
    link.symlink_to(outside)
    swapped = dataclasses.replace(item.statement, body_path=link)
    assert codes(dataclasses.replace(item, statement=swapped)) == ["C010"]


def _pdftotext(source: str, data: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", source, "-"], input=data, capture_output=True)


@pytest.mark.parametrize("variant", ["3u", "1b"])
def test_pdftotext_is_given_the_pdf_with_only_its_output_intent_left_out(rendered_pair, variant):
    """pdftotext reads every rendered byte plus a later revision of the catalog
    without /OutputIntents (poppler colour-manages each page for it, which is
    most of pdftotext's CPU); its text is byte-for-byte what it reads in the
    file itself, in four scripts, both directions."""
    import pikepdf

    from pipeline.check.pdftext import without_display_profile

    path = rendered_pair[variant].pdf_path
    data = path.read_bytes()
    with pikepdf.open(path) as pdf:
        given = without_display_profile(pdf, data)
        catalog = {key: pdf.Root[key].unparse() for key in pdf.Root.keys()}
    assert given.startswith(data) and len(given) > len(data)
    with pikepdf.open(io.BytesIO(given)) as revised:  # qpdf reads the revision, without recovery
        assert "/OutputIntents" in catalog and "/OutputIntents" not in revised.Root
        assert {key: revised.Root[key].unparse() for key in revised.Root.keys()} == {
            key: value for key, value in catalog.items() if key != "/OutputIntents"}
    from_file, from_given = _pdftotext(str(path)), _pdftotext("-", given)
    assert from_given.returncode == 0 and from_given.stderr == b""  # poppler took the update as it is
    assert "Міністерство" in from_file.stdout.decode() and "משרד" in from_file.stdout.decode()
    assert from_given.stdout == from_file.stdout


def test_pdf_without_output_intent_is_given_to_pdftotext_unchanged(rendered_pair, tmp_path):
    import pikepdf

    from pipeline.check.pdftext import without_display_profile

    with pikepdf.open(rendered_pair["3u"].pdf_path) as pdf:
        del pdf.Root.OutputIntents
        pdf.save(tmp_path / "plain.pdf")
    data = (tmp_path / "plain.pdf").read_bytes()
    with pikepdf.open(tmp_path / "plain.pdf") as pdf:
        assert without_display_profile(pdf, data) is data
    # control: the PDF as rendered is given a revision
    with pikepdf.open(rendered_pair["3u"].pdf_path) as pdf:
        assert without_display_profile(pdf, rendered_pair["3u"].pdf_path.read_bytes()) != data
