"""PDF dates say when the rendition was made, as the archive records it,
never the issue date in disguise and never more precisely than known; and
the colophon on the last page says what the PDF is, read back by check."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest
from pypdf import PdfReader

from archival_pdf import render_one
from pipeline import SOFTWARE_AGENT
from pipeline.check.stage import check_pdfs
from pipeline.cli import main
from pipeline.render.rendition import RenditionDate

NS = {"xmp": "http://ns.adobe.com/xap/1.0/", "dc": "http://purl.org/dc/elements/1.1/",
      "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#"}


def xmp(item) -> ET.Element:
    return ET.fromstring(PdfReader(item.pdf_path).trailer["/Root"]["/Metadata"].get_object().get_data())


def last_page_text(item) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(item.pdf_path), "-"], capture_output=True,
                          check=True).stdout.decode().split("\f")[-2]


def test_no_rendition_date_recorded_means_no_pdf_date_at_all(tmp_path, project_dir, fonts_dir):
    item = render_one(tmp_path, project_dir, fonts_dir, "3a", date_issued="2019-06")
    info = PdfReader(item.pdf_path).metadata
    assert "/CreationDate" not in info and "/ModDate" not in info
    packet = xmp(item)
    assert packet.find(".//xmp:CreateDate", NS) is None and packet.find(".//xmp:ModifyDate", NS) is None
    assert [li.text for li in packet.findall(".//dc:date//rdf:li", NS)] == ["2019-06"]  # as the record says
    assert b"D:201906" not in item.pdf_path.read_bytes()  # the issue date is nowhere a creation date
    assert "Rendition date: not recorded" in last_page_text(item)
    assert check_pdfs([item]).ok


def test_a_day_stays_a_day(tmp_path, project_dir, fonts_dir):
    item = render_one(tmp_path, project_dir, fonts_dir, "3a", run_date="2026-11-28", date_issued="2019-06")
    info = PdfReader(item.pdf_path).metadata
    assert info["/CreationDate"] == info["/ModDate"] == "D:20261128"
    assert xmp(item).findtext(".//xmp:CreateDate", namespaces=NS) == "2026-11-28"
    assert "Rendition date: 2026-11-28" in last_page_text(item)
    report = check_pdfs([item])  # page-validation accepts the day-precision dates as agreeing
    assert report.ok, [str(p) for p in report.problems]


def test_embedded_files_carry_no_invented_dates(tmp_path, project_dir, fonts_dir):
    item = render_one(tmp_path, project_dir, fonts_dir, "3a", run_date="2026-11-28T10:00:00Z")
    reader = PdfReader(item.pdf_path)
    assert reader.metadata["/CreationDate"] == "D:20261128100000Z"
    for spec in reader.trailer["/Root"]["/AF"]:
        params = spec.get_object()["/EF"]["/F"].get_object()["/Params"]
        assert "/CreationDate" not in params and "/ModDate" not in params and "/CheckSum" in params


def test_rendition_date_forms():
    assert RenditionDate("2026-11-28").pdf() == "D:20261128"
    assert RenditionDate.from_epoch(1796117400).text == "2026-12-01T09:30:00Z"
    assert RenditionDate("2026-12-01T09:30:00Z").pdf() == "D:20261201093000Z"
    for bad in ("2026-11", "2026-02-30", "2026-11-28T10:00", "yesterday"):
        with pytest.raises(ValueError, match="not a (rendition date|real day or time).*" + bad):
            RenditionDate(bad)


def _render_cli(corpus, build, *extra):
    out = io.StringIO()
    code = main(["render", "--statements", str(corpus), "--build-dir", str(build), "--quiet", "--json", *extra],
                out=out, err=io.StringIO())
    return code, out.getvalue()


def test_cli_takes_it_from_the_option_then_source_date_epoch(corpus_copy, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1796117400")
    for path in corpus_copy.iterdir():
        if not path.name.startswith("embassy-nl-2019"):
            path.unlink()  # one statement is enough
    assert _render_cli(corpus_copy, tmp_path / "epoch")[0] == 0
    [pdf] = (tmp_path / "epoch" / "pdf").glob("*.pdf")
    assert PdfReader(pdf).metadata["/CreationDate"] == "D:20261201093000Z"
    assert _render_cli(corpus_copy, tmp_path / "option", "--rendition-date", "2026-11-28")[0] == 0
    [pdf] = (tmp_path / "option" / "pdf").glob("*.pdf")
    assert PdfReader(pdf).metadata["/CreationDate"] == "D:20261128"
    assert _render_cli(corpus_copy, tmp_path / "bad", "--rendition-date", "28/11/2026")[0] == 2


def test_rendition_date_is_part_of_the_render_key_and_bytes_are_reproducible(tmp_path, project_dir, fonts_dir):
    first = render_one(tmp_path / "a", project_dir, fonts_dir, "3a", run_date="2026-11-28")
    again = render_one(tmp_path / "b", project_dir, fonts_dir, "3a", run_date="2026-11-28")
    other = render_one(tmp_path / "c", project_dir, fonts_dir, "3a", run_date="2026-11-29")
    assert first.pdf_path.read_bytes() == again.pdf_path.read_bytes()
    assert first.pdf_sha256 != other.pdf_sha256
    key = lambda item: json.loads(item.pdf_path.with_name("archival-case.render.json").read_text())["key"]  # noqa: E731
    assert key(first) == key(again) and key(first)["renderer"] != key(other)["renderer"]


def test_a_date_stored_with_the_record_wins(tmp_path, project_dir, fonts_dir):
    # Rendered without validation: the schema gains the field with issue 9's schema part.
    item = render_one(tmp_path, project_dir, fonts_dir, "3a", run_date="2026-11-28",
                      **{"rendition_date": "2025-01-02"})
    assert PdfReader(item.pdf_path).metadata["/CreationDate"] == "D:20250102"
    assert "Rendition date: 2025-01-02" in last_page_text(item)


# -- the colophon ---------------------------------------------------------------------
def test_colophon_on_the_last_page_says_what_the_pdf_is(tmp_path, project_dir, fonts_dir):
    item = render_one(tmp_path, project_dir, fonts_dir, "3a", run_date="2026-11-28")
    text = " ".join(last_page_text(item).split())
    statement = item.statement
    assert "About this rendition" in text
    assert f"Archival rendition of {statement.identifier}, made by {SOFTWARE_AGENT.replace('/', ' ')}" in text
    for path in (statement.metadata_path, statement.body_path):
        assert f"{path.name}, SHA-256 {hashlib.sha256(path.read_bytes()).hexdigest()}" in text
    assert "A test statement; the body is written for the test suite." in text
    # tagged: its heading is in the structure tree, in English
    from archival_pdf import elements
    headings = [e for _, e in elements(PdfReader(item.pdf_path)) if e["/S"] == "/H2"]
    assert headings


def test_check_refuses_a_pdf_without_its_colophon(tmp_path, project_dir, fonts_dir):
    templates = tmp_path / "templates"
    shutil.copytree(project_dir / "templates", templates)
    (templates / "colophon.html.j2").write_text("<!-- no colophon -->\n", encoding="utf-8")
    without = render_one(tmp_path / "without", project_dir, fonts_dir, "3a", templates=templates)
    assert {p.code for p in check_pdfs([without]).problems} == {"C014"}
    with_it = render_one(tmp_path / "with", project_dir, fonts_dir, "3a")  # positive control
    assert check_pdfs([with_it]).ok
