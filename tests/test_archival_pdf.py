"""Archival PDFs that tools no one here wrote accept: every variant is
identified by Siegfried as its own PRONOM format, passes page-validation
(its PDF/A profile, and PDF/UA-1 where tagged), and the check stage refuses
what those validators refuse. Real renders; the validators are not mocked.
"""

from __future__ import annotations

import pygfried
import pytest
from pypdf import PdfReader, PdfWriter

from archival_pdf import render_one, replaced
from pipeline.check.validators import PRONOM_IDS
from pipeline.check.stage import check_pdfs
from pipeline.render.variants import DEFAULT_VARIANT, VARIANTS, is_tagged

ALL_VARIANTS = sorted(VARIANTS)


@pytest.fixture(scope="module")
def renders(tmp_path_factory, project_dir, fonts_dir):
    """One real render of the same multilingual statement in every variant."""
    tmp = tmp_path_factory.mktemp("variants")
    return {variant: render_one(tmp, project_dir, fonts_dir, variant) for variant in ALL_VARIANTS}


def codes(report) -> list[str]:
    return sorted({p.code for p in report.problems})


def test_the_default_is_tagged_pdfa_3a():
    assert DEFAULT_VARIANT == "3a" and is_tagged("3a")
    assert sorted(PRONOM_IDS) == ALL_VARIANTS


@pytest.mark.parametrize("variant", ALL_VARIANTS)
def test_siegfried_identifies_each_variant_as_its_own_pronom_format(renders, variant):
    assert pygfried.identify(str(renders[variant].pdf_path)) == PRONOM_IDS[variant]


@pytest.mark.parametrize("variant", ALL_VARIANTS)
def test_xmp_stream_is_never_compressed(renders, variant):
    reader = PdfReader(renders[variant].pdf_path)
    metadata = reader.trailer["/Root"]["/Metadata"].get_object()
    assert "/Filter" not in metadata
    assert f"<pdfaid:part>{variant[0]}</pdfaid:part>".encode() in renders[variant].pdf_path.read_bytes()
    # while the rest of the file is compressed (the shipped form)
    assert "/Filter" in reader.pages[0]["/Contents"].get_object()


@pytest.mark.parametrize("variant", ALL_VARIANTS)
def test_every_variant_passes_the_check_with_independent_verdicts(renders, variant):
    report = check_pdfs([renders[variant]])
    errors = [str(p) for p in report.problems if p.severity == "error"]
    assert not errors
    verdicts = {(v["validator"], v["profile"]): v for v in report.items[0]["verdicts"]}
    expected = {("page-validation", variant), ("siegfried", PRONOM_IDS[variant])}
    if is_tagged(variant):
        expected.add(("page-validation", "ua1"))
    assert set(verdicts) == expected
    for verdict in verdicts.values():
        assert verdict["version"]
        # success, or a warning made only of known disagreements (C013), each shown
        assert verdict["outcome"] == "success" or all(f["disagreement"] for f in verdict["failures"])
    assert {p.code for p in report.problems} <= {"C013"}


@pytest.mark.parametrize("variant", ALL_VARIANTS)
def test_pdfua_is_claimed_exactly_where_tagged(renders, variant):
    data = renders[variant].pdf_path.read_bytes()
    reader = PdfReader(renders[variant].pdf_path)
    tagged = "/StructTreeRoot" in reader.trailer["/Root"]
    assert tagged == is_tagged(variant)
    assert (b"<pdfuaid:part>1</pdfuaid:part>" in data) == tagged
    assert (b"<pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>" in data) == tagged


# -- negative controls: each refused by the check, the untouched file passes ---------
def test_positive_control_untouched_3a_passes(renders):
    assert check_pdfs([renders["3a"]]).ok


def compress_xmp(writer: PdfWriter) -> None:
    # in place: no uncompressed copy left anywhere in the file
    reference = writer._root_object.raw_get("/Metadata")
    writer._replace_object(reference, reference.get_object().flate_encode())


def drop_structure_tree(writer: PdfWriter) -> None:
    del writer._root_object["/StructTreeRoot"]


def rewritten_by_pypdf(item, path, change=None):
    writer = PdfWriter(clone_from=PdfReader(item.pdf_path))
    if change:
        change(writer)
    with path.open("wb") as handle:
        writer.write(handle)
    return replaced(item, path, path.read_bytes())


def test_positive_control_pypdf_round_trip_alone_passes(renders, tmp_path):
    report = check_pdfs([rewritten_by_pypdf(renders["3a"], tmp_path / "round-trip.pdf")])
    assert report.ok, [str(p) for p in report.problems]


def test_compressed_xmp_is_refused(renders, tmp_path):
    report = check_pdfs([rewritten_by_pypdf(renders["3a"], tmp_path / "compressed-xmp.pdf", compress_xmp)])
    assert {"C011", "C012"} <= set(codes(report)), [str(p) for p in report.problems]
    assert any("METADATA-FILTER" in p.message for p in report.problems if p.code == "C011")
    assert any("identified as fmt/" in p.message for p in report.problems if p.code == "C012"), \
        [str(p) for p in report.problems]


def test_pdf_without_structure_tree_is_refused(renders, tmp_path):
    report = check_pdfs([rewritten_by_pypdf(renders["3a"], tmp_path / "untagged.pdf", drop_structure_tree)])
    failing = {p.message.split(": ")[1] for p in report.problems if p.code == "C011"}
    assert any("(ua1)" in p.message for p in report.problems if p.code == "C011"), failing
    assert any("(3a)" in p.message for p in report.problems if p.code == "C011"), failing


def test_pdfaid_part_that_lies_is_refused(renders, tmp_path):
    data = renders["3a"].pdf_path.read_bytes()
    tampered = data.replace(b"<pdfaid:part>3</pdfaid:part>", b"<pdfaid:part>2</pdfaid:part>")
    assert tampered != data
    report = check_pdfs([replaced(renders["3a"], tmp_path / "lying.pdf", tampered)])
    # ours (C002), page-validation (C011: a PDF/A-2 may not embed these files)
    # and Siegfried (C012: it is now fmt/476) all refuse it
    assert {"C002", "C012"} <= set(codes(report)), [str(p) for p in report.problems]
    assert any("fmt/476" in p.message for p in report.problems if p.code == "C012")


# -- the one known disagreement: page-validation vs PDFBox Preflight (and fontTools) ---
@pytest.fixture(scope="module")
def cjk_1b(tmp_path_factory, project_dir, fonts_dir):
    """The example statement whose CJK space page-validation 0.11 misreads in PDF/A-1."""
    import shutil

    from pipeline.render import RenderConfig, render_statements
    from pipeline.validate import validate_statements

    tmp = tmp_path_factory.mktemp("cjk-1b")
    name = "examplia-mfa-2023-press-release-archives-cooperation"
    (tmp / "in").mkdir()
    for path in (project_dir / "statements").glob(f"{name}.*"):
        shutil.copy(path, tmp / "in" / path.name)
    statements, report = validate_statements(tmp / "in", project_dir / "schemas" / "statement.schema.json")
    assert report.ok
    config = RenderConfig(project_dir / "templates", fonts_dir, tmp / "work", variant="1b")
    rendered, report = render_statements(statements, tmp / "pdf", config, workers=1)
    assert report.ok
    return rendered[0]


def test_known_disagreement_is_a_warning_naming_both_readings(cjk_1b):
    report = check_pdfs([cjk_1b])
    assert report.ok  # not refused ...
    [warning] = report.problems  # ... but not silenced either
    assert warning.code == "C013" and warning.severity == "warning"
    assert "PDFA1B-TRUETYPE-GLYPH-WIDTH-001" in warning.message
    assert "page-validation" in warning.message and "PDFBox Preflight" in warning.message
    assert "fontTools" in warning.message
    [verdict] = [v for v in report.items[0]["verdicts"] if v["validator"] == "page-validation"]
    assert verdict["outcome"] == "warning"


def test_a_real_width_mismatch_is_still_refused(cjk_1b, tmp_path):
    """Negative control: where /W really disagrees with the font program, C011."""
    from pypdf.generic import ArrayObject, NumberObject

    def wrong_width(writer):
        for obj in writer._objects:
            if obj is not None and getattr(obj, "get", None) and obj.get("/Subtype") == "/CIDFontType0":
                widths = obj["/W"]
                widths[1] = ArrayObject([NumberObject(700), *widths[1][1:]])

    report = check_pdfs([rewritten_by_pypdf(cjk_1b, tmp_path / "wrong-width.pdf", wrong_width)])
    refusals = [p for p in report.problems if p.code == "C011"]
    assert refusals and any("GLYPH-WIDTH" in p.message for p in refusals), [str(p) for p in report.problems]
    # positive control: the same pypdf round trip without the change is only the warning
    plain = check_pdfs([rewritten_by_pypdf(cjk_1b, tmp_path / "round-trip.pdf")])
    assert plain.ok and {p.code for p in plain.problems} == {"C013"}


def test_a_stream_ending_in_carriage_return_keeps_its_length_unambiguous(tmp_path, project_dir, fonts_dir):
    """A body ending in CR, embedded uncompressed, is followed by CR LF before
    endstream; with LF alone, page-validation read CR LF as the end-of-line
    marker and found the data one byte short (PDFA3A-STREAM-LENGTH-001)."""
    from pipeline.render import RenderConfig, render_statements
    from statement_factory import write_statement

    statement = write_statement(tmp_path / "in", "cr-ending", "A body as captured, ending in CR.\n\r")
    config = RenderConfig(project_dir / "templates", fonts_dir, tmp_path / "work", variant="3a", uncompressed=True)
    [item], report = render_statements([statement], tmp_path / "pdf", config, workers=1)
    assert report.ok
    assert b"ending in CR.\n\r\r\nendstream" in item.pdf_path.read_bytes()
    report = check_pdfs([item])
    assert report.ok, [str(p) for p in report.problems]
