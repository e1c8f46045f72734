"""Labels, footer and dates in the statement's language, alternative titles: real renders, read back.

Eleven statements, one per catalogue language plus English, each long enough
for two pages, go through render and the check stage: the check must still
find every body block (the translated footer and document type are page
furniture it drops), and the PDF's text must hold the translated labels.
"""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from pypdf import PdfReader

from pipeline.check.stage import check_pdfs
from pipeline.render import RenderConfig, render_statements
from pipeline.render.document import Colophon, document_html, template_environment
from pipeline.statements.markup import layout_body
from pipeline.check.pdftext import comparable
from statement_factory import metadata_for, write_statement

BODIES = {
    "en": "The ministry welcomes the agreement.", "fr": "Le ministère se félicite de l'accord.",
    "de": "Das Ministerium begrüßt die Vereinbarung.", "nl": "Het ministerie verwelkomt het akkoord.",
    "es": "El ministerio celebra el acuerdo.", "ru": "Министерство приветствует соглашение.",
    "uk": "Міністерство вітає угоду.", "ar": "ترحب الوزارة بالاتفاق.", "he": "המשרד מברך על ההסכם.",
    "zh-Hans": "外交部欢迎该协议。", "zh-Hant": "外交部歡迎該協議。",
}
# (label "Issued by", footer words, document type "press conference")
EXPECTED = {
    "en": ("Issued by", "Page", "PRESS CONFERENCE"), "fr": ("Émis par", "sur", "CONFÉRENCE DE PRESSE"),
    "de": ("Herausgegeben von", "Seite", "PRESSEKONFERENZ"), "nl": ("Uitgegeven door", "Pagina", "PERSCONFERENTIE"),
    "es": ("Emitido por", "Página", "CONFERENCIA DE PRENSA"), "ru": ("Кем выпущено", "Страница", "ПРЕСС-КОНФЕРЕНЦИЯ"),
    "uk": ("Ким видано", "Сторінка", "ПРЕСКОНФЕРЕНЦІЯ"), "ar": ("صادر عن", "الصفحة", "مؤتمر صحفي"),
    "he": ("פורסם על ידי", "עמוד", "מסיבת עיתונאים"), "zh-Hans": ("发布机构", "页", "新闻发布会"),
    "zh-Hant": ("發布機構", "頁", "記者會"),
}
NS = {"dc": "http://purl.org/dc/elements/1.1/", "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#"}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def pdftotext(path) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True).stdout.decode()


def xmp(path) -> ET.Element:
    return ET.fromstring(PdfReader(path).trailer["/Root"]["/Metadata"].get_object().get_data())


@pytest.fixture(scope="module")
def rendered_languages(tmp_path_factory, project_dir, fonts_dir):
    tmp = tmp_path_factory.mktemp("labels")
    statements = []
    for lang, sentence in BODIES.items():
        body = "\n\n".join(f"{sentence} {i}. " + sentence * 8 for i in range(20))  # two pages or more
        statements.append(write_statement(tmp / "in", f"labels-{lang.lower()}", body, languages=[lang],
                                          document_type="press conference", date_issued="2019-06"))
    rendered, report = render_statements(statements, tmp / "out", RenderConfig(
        project_dir / "templates", fonts_dir, tmp / "build"), workers=1)
    assert report.ok, report.problems
    return dict(zip(BODIES, rendered))


def test_labels_footer_and_document_type_in_the_statements_language(rendered_languages):
    for lang, item in rendered_languages.items():
        reader = PdfReader(item.pdf_path)
        assert len(reader.pages) >= 2, lang
        text = comparable(pdftotext(item.pdf_path))
        label, footer, kind = EXPECTED[lang]
        for expected in (label, footer, kind):
            assert comparable(expected) in text or comparable(expected[::-1]) in text, (lang, expected)
        if lang != "en":
            assert comparable("Issued by") not in text, lang


def test_check_stage_still_reads_every_body_block(rendered_languages):
    report = check_pdfs(rendered_languages.values())
    assert report.ok, report.problems
    assert not report.problems


def test_dates_shown_as_the_record_says_them(tmp_path, project_dir, fonts_dir):
    cases = {
        "undated-estimate": (dict(date_issued="undated", date_estimated="2019"), "undated; about 2019", None),
        "undated": (dict(date_issued="undated"), "undated", None),
        "month": (dict(date_issued="2019-06"), "2019-06 (month)", "2019-06"),
        "approximate": (dict(date_issued="2019~"), "approximately 2019", "2019"),
        "interval": (dict(date_issued="2019-06/2019-08"), "2019-06 (month) to 2019-08 (month)", "2019"),
        "open": (dict(date_issued="../2020"), "on or before 2020", None),
        "fr-undated": (dict(date_issued="undated", date_estimated="2019~", languages=["fr"]),
                       "non daté ; vers 2019", None),
        "ar-month": (dict(date_issued="2019-06", languages=["ar"], title="بيان"), "2019-06 (شهر)", "2019-06"),
    }
    statements = [write_statement(tmp_path / "in", name, "Body text.\n", **fields)
                  for name, (fields, _, _) in cases.items()]
    rendered, report = render_statements(statements, tmp_path / "out", RenderConfig(
        project_dir / "templates", fonts_dir, tmp_path / "build"), workers=1)
    assert report.ok, report.problems
    for item, (name, (_, shown, dc_date)) in zip(rendered, cases.items()):
        text = PdfReader(item.pdf_path).pages[0].extract_text()
        if name.startswith("ar"):  # pypdf puts the runs of a mixed line in its own order
            assert "2019-06" in text and "شهر" in text
        else:
            assert shown in text, (name, text[:400])
        dates = [li.text for li in xmp(item.pdf_path).findall(".//dc:date//rdf:li", NS)]
        assert dates == ([dc_date] if dc_date else []), name  # never more precise than the record
    assert check_pdfs(rendered).ok


def test_alternative_titles_in_title_block_and_xmp(tmp_path, project_dir, fonts_dir):
    titles = [{"title": "Statement on the floods", "language": "en", "official": False},
              {"title": "關於水災的聲明", "language": "zh-Hant"}]
    statement = write_statement(tmp_path / "in", "alt-titles", "نص البيان.\n", languages=["ar"],
                                title="بيان بشأن الفيضانات", alternative_titles=titles)
    rendered, report = render_statements([statement], tmp_path / "out", RenderConfig(
        project_dir / "templates", fonts_dir, tmp_path / "build"), workers=1)
    assert report.ok, report.problems
    items = xmp(rendered[0].pdf_path).findall(".//dc:title//rdf:li", NS)
    assert [(li.get(XML_LANG), li.text) for li in items] == [
        ("x-default", "بيان بشأن الفيضانات"), ("en", "Statement on the floods"), ("zh-Hant", "關於水災的聲明")]
    text = PdfReader(rendered[0].pdf_path).pages[0].extract_text()
    assert "Statement on the floods" in text and "關於水災的聲明" in text and "غير رسمي" in text
    assert check_pdfs(rendered).ok


def test_alternative_title_carries_its_language_in_the_html(project_dir):
    metadata = metadata_for("html-alt", languages=["ar"], title="بيان",
                            alternative_titles=[{"title": "Statement", "language": "en", "official": True}])
    html = document_html(template_environment(project_dir / "templates"), project_dir / "templates", metadata,
                         layout_body("نص.\n", "text/plain"), "text/plain", Colophon("statement-archive 0", (), None))
    assert '<span class="alternative-title" lang="en">Statement</span>' in html
    assert '<dd dir="ltr"><span class="alternative-title"' in html
    assert "(رسمي)" in html
    assert '<dd class="identifier" dir="ltr">html-alt</dd>' in html


@pytest.mark.slow
def test_new_fields_and_translated_pages_pass_pdfbox_preflight(tmp_path, project_dir, fonts_dir):
    """Independent validator: 1b renders with alternative titles (dc:title in several xml:lang),
    dates that give dc:date a year or nothing, and labels in Arabic, Chinese and Hebrew."""
    from test_pdfbox_preflight import CLASSPATH, preflight

    if shutil.which("java") is None or not all(Path(jar).is_file() for jar in CLASSPATH.split(":")):
        pytest.fail("PDFBox Preflight is needed: sudo apt-get install default-jre-headless libpdfbox2-java "
                    "libactivation-java libjaxb-api-java")
    cases = {
        "pf-ar": dict(languages=["ar"], title="بيان", date_issued="2019-06/2019-08",
                      alternative_titles=[{"title": "Statement", "language": "en", "official": False},
                                          {"title": "聲明", "language": "zh-Hant"}]),
        "pf-zh": dict(languages=["zh-Hant"], title="聲明", date_issued="undated", date_estimated="2019"),
        "pf-he": dict(languages=["he"], title="הודעה", date_issued="2019~", document_type="social media post"),
    }
    statements = [write_statement(tmp_path / "in", name, "Body text.\n", **fields) for name, fields in cases.items()]
    rendered, report = render_statements(statements, tmp_path / "out", RenderConfig(
        project_dir / "templates", fonts_dir, tmp_path / "build", variant="1b"), workers=1)
    assert report.ok, report.problems
    for item in rendered:
        result = preflight(item.pdf_path)
        assert "is a valid PDF/A-1b file" in result.stdout, (item.pdf_path.name, (result.stdout + result.stderr)[-800:])
