"""Right-to-left documents: every value keeps its own direction, the facts list is mirrored.

Real renders of an Arabic and a Hebrew statement, read back by poppler
(pdftotext -bbox: words with their positions, in visual order) and pypdf
(logical order). The negative control renders the same statements with the
direction attributes taken out of the template: the faults come back.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from pipeline.render import RenderConfig, render_statements
from statement_factory import write_statement

IDENTIFIER = "034-saudi-mfa-statement-2023-{lang}"
URL = "https://www.mofa.gov.sa/ar/ministry/statements/بيان-صحفي"
SPEAKER = "Faisal bin Farhan (Minister of Foreign Affairs)"
NOTE = "Captured from the ministry's site."
RIGHTS = ("No licence stated; archived for reference, and a long value that wraps over more than one line, "
          "so that it would run into its label if the columns were not kept apart")
DOCUMENTS = {
    "ar": ("بيان وزارة الخارجية بشأن الفيضانات", "نص البيان باللغة العربية.\n", ("المتحدث", "الحقوق", "اللغات")),
    "he": ("הודעת משרד החוץ על השיטפונות", "טקסט ההודעה בעברית.\n", ("דובר", "זכויות", "שפות")),
}
BBOX_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')


def words(pdf: Path, page: int = 1) -> list[tuple[str, float, float, float, float]]:
    """(text, x0, y0, x1, y1) of every word pdftotext finds on one page."""
    out = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
                         capture_output=True, check=True).stdout.decode()
    return [(html.unescape(m[4]), float(m[0]), float(m[1]), float(m[2]), float(m[3])) for m in BBOX_WORD.findall(out)]


def find(found, text):
    """Words equal to ``text``; pdftotext gives right-to-left words in visual (reversed) order."""
    return [w for w in found if w[0] in (text, text[::-1])]


def render(tmp_path: Path, templates: Path, fonts_dir: Path, lang: str):
    title, body, _ = DOCUMENTS[lang]
    statement = write_statement(
        tmp_path / "in", IDENTIFIER.format(lang=lang), body, languages=[lang, "en"], title=title, speaker=SPEAKER,
        source={"url": URL, "note": NOTE}, rights={"statement": RIGHTS, "access": "public"},
    )
    rendered, report = render_statements([statement], tmp_path / "out", RenderConfig(
        templates, fonts_dir, tmp_path / "build"), workers=1)
    assert report.ok, report.problems
    return rendered[0].pdf_path


@pytest.mark.parametrize("lang", ["ar", "he"])
def test_left_to_right_values_keep_their_order_in_a_right_to_left_document(tmp_path, project_dir, fonts_dir, lang):
    pdf = render(tmp_path, project_dir / "templates", fonts_dir, lang)
    identifier = IDENTIFIER.format(lang=lang)
    found = words(pdf)
    # The identifier in the running header and in the title block, digits first.
    assert len(find(found, identifier)) == 2, [w[0] for w in found if "saudi" in w[0]]
    # The address starts with its scheme; the Arabic path follows it.
    assert [w[0][:len("https://")] for w in found if "mofa" in w[0]] == ["https://"]
    # "Name (Role)": the name at the left, the closing parenthesis at the right end.
    name, role_end = find(found, "Faisal"), find(found, "Affairs)")
    assert name and role_end and name[0][1] < role_end[0][1]
    # An English note's full stop stays at its end.
    captured, site = find(found, "Captured"), find(found, "site.")
    assert captured and site and captured[0][1] < site[0][1]
    # pypdf reads the same values in logical order (the Arabic words of the
    # path in an order of its own: it puts right-to-left runs in visual order
    # in some lines), and the address's scheme first.
    text = PdfReader(pdf).pages[0].extract_text()
    for value in (identifier, SPEAKER, NOTE):
        assert value in text, value
    address_line = next(line for line in text.splitlines() if "mofa" in line)
    after = address_line.split("https://www.mofa.gov.sa/ar/ministry/statements/", 1)[1]
    assert "بيان" in after and "صحفي" in after


@pytest.mark.parametrize("lang", ["ar", "he"])
def test_facts_list_is_mirrored_and_values_never_reach_their_labels(tmp_path, project_dir, fonts_dir, lang):
    pdf = render(tmp_path, project_dir / "templates", fonts_dir, lang)
    found = words(pdf)
    labels = [w for label in DOCUMENTS[lang][2] for w in find(found, label)]
    assert len(labels) == 3
    label_column = min(w[1] for w in labels)
    value_words = [w for w in found if w[0] in RIGHTS.split() or "mofa" in w[0]]
    assert len(value_words) > 20
    assert max(w[3] for w in value_words) < label_column - 5  # a gap between the columns
    # The labels are at the right edge (right-aligned in their column).
    assert all(w[3] > 500 for w in labels)


def test_labels_on_the_left_in_a_left_to_right_document(tmp_path, project_dir, fonts_dir):
    """Positive control: the same facts in English, labels on the left."""
    statement = write_statement(tmp_path / "in", "ltr-facts", "Body.\n", source={"url": URL, "note": NOTE},
                                rights={"statement": RIGHTS, "access": "public"})
    rendered, report = render_statements([statement], tmp_path / "out", RenderConfig(
        project_dir / "templates", fonts_dir, tmp_path / "build"), workers=1)
    found = words(rendered[0].pdf_path)
    labels = find(found, "Issued") + find(found, "Rights") + find(found, "Languages")
    value_words = [w for w in found if w[0] in RIGHTS.split() or "mofa" in w[0]]
    assert len(labels) == 3 and value_words
    assert max(w[3] for w in labels) < min(w[1] for w in value_words) - 5
    assert all(w[1] < 100 for w in labels)


def test_without_direction_attributes_the_faults_come_back(tmp_path, project_dir, fonts_dir):
    """Negative control: the checks above catch the faults of issue 9 when the template
    leaves directions to the document (as it did before)."""
    templates = tmp_path / "templates"
    shutil.copytree(project_dir / "templates", templates)
    page = templates / "statement.html.j2"
    text = page.read_text(encoding="utf-8")
    stripped = re.sub(r' dir="\{\{ (?!direction)[^"]*\}\}"| dir="ltr"', "", text)  # the document's stays
    assert stripped != text
    page.write_text(stripped, encoding="utf-8")
    css = templates / "statement.css"
    css.write_text(css.read_text(encoding="utf-8").replace("direction: ltr;", ""), encoding="utf-8")
    pdf = render(tmp_path, templates, fonts_dir, "ar")
    found = words(pdf)
    identifier = IDENTIFIER.format(lang="ar")
    assert len(find(found, identifier)) < 2
    assert [w[0][:len("https://")] for w in found if "mofa" in w[0]] != ["https://"]


def test_chinese_in_an_arabic_document_uses_the_face_of_its_tag(tmp_path, project_dir, fonts_dir):
    body = ('<p>نص البيان باللغة العربية.</p>\n<p lang="zh-Hant">外交部發言人表示，骨。</p>\n'
            '<p lang="zh-Hans">外交部发言人表示，骨。</p>\n<p lang="ja">外務省報道官</p>\n')
    statement = write_statement(
        tmp_path / "in", "ar-zh", body, suffix=".html", languages=["ar", "zh-Hant", "zh-Hans", "ja"],
        title="بيان", alternative_titles=[{"title": "關於水災的聲明", "language": "zh-Hant"}],
    )
    rendered, report = render_statements([statement], tmp_path / "out", RenderConfig(
        project_dir / "templates", fonts_dir, tmp_path / "build"), workers=1)
    assert report.ok, report.problems
    fonts = subprocess.run(["pdffonts", str(rendered[0].pdf_path)], capture_output=True, check=True, text=True).stdout
    faces = {row.split()[0].split("+")[1] for row in fonts.splitlines()[2:]}
    assert {"Noto-Sans-CJK-TC", "Noto-Sans-CJK-SC", "Noto-Sans-CJK-JP"} <= faces, faces


def test_traditional_chinese_alone_gets_no_simplified_face(tmp_path, project_dir, fonts_dir):
    """Positive control for the rule order: zh-Hant text only, inside Hebrew, draws with TC alone."""
    body = '<p>טקסט ההודעה בעברית.</p>\n<p lang="zh-Hant">外交部發言人表示，骨。</p>\n'
    statement = write_statement(tmp_path / "in", "he-zh", body, suffix=".html", languages=["he", "zh-Hant"],
                                title="הודעה")
    rendered, report = render_statements([statement], tmp_path / "out", RenderConfig(
        project_dir / "templates", fonts_dir, tmp_path / "build"), workers=1)
    assert report.ok, report.problems
    fonts = subprocess.run(["pdffonts", str(rendered[0].pdf_path)], capture_output=True, check=True, text=True).stdout
    faces = {row.split()[0].split("+")[1] for row in fonts.splitlines()[2:]}
    assert "Noto-Sans-CJK-TC" in faces and not faces & {"Noto-Sans-CJK-SC", "Noto-Sans-CJK-JP"}, faces
