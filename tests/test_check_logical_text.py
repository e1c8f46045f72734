"""The text check reads the tagged PDF's logical text (its structure tree).

Three correct renderings the page-text extractors used to refuse (issue 9):
a page break inside a paragraph after a list of bullets (pypdf joins the
bullets into it), a footer whose ideographic spaces make pdftotext split it
into columns, and digits joined to Arabic letters (``1435هـ``), which both
extractors split. Each now passes, with pdftotext's disagreement kept as a
warning (C015); pypdf is not asked about a tagged PDF (the tree decides,
pdftotext is the independent second opinion), only about an untagged one,
where its page text decides (C007). Each has a positive control: the same
PDF checked against a body changed after rendering is refused (C007), by the
logical text.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from io import BytesIO

import pikepdf
import pytest
from pipeline.check.contents import PageContents
from pipeline.check.stage import LOGICAL, check_pdfs
from pipeline.check.structtext import NoStructureTree, logical_order, structure_text
from pipeline.render import RenderConfig, render_statements
from statement_factory import write_statement

_BULLETS = "".join(f"- Item number {i} of the list of agreed points, with some words.\n" for i in range(1, 31))
_CLOSING = " ".join(["This closing paragraph follows the list and is long enough to run over the page break."] * 14)

#: name → (body, suffix, languages, which extractors the page text misleads, (old, new) for the control)
CASES = {
    "page-break": (_BULLETS + "\n" + _CLOSING + "\n", ".md", ["en"], {"pypdf"},
                   ("break. This closing", "break. The closing")),
    "ideographic-footer": ("外交部发言人就有关问题答记者问。\n\n"
                           "中华人民共和国外交部\u3000\u3000\u3000\u3000\u3000\u3000\u3000\u3000北京\n"
                           "二〇二四年三月一日\u3000\u3000\u3000\u3000\u3000\u3000\u3000\u3000新闻司\n",
                           ".txt", ["zh-Hans"], {"pdftotext"}, ("三月一日", "三月二日")),
    "hijri-digits": ("صدر في الرياض بتاريخ 12 رجب 1435هـ الموافق 11 مايو 2014م.\n", ".txt", ["ar"],
                     {"pdftotext", "pypdf"}, ("1435هـ", "1436هـ")),
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, project_dir, fonts_dir):
    """Each case rendered in the default (tagged) variant."""
    tmp = tmp_path_factory.mktemp("logical")
    statements = [write_statement(tmp / "in", f"case-{name}", body, suffix=suffix, languages=languages)
                  for name, (body, suffix, languages, _, _) in CASES.items()]
    cfg = RenderConfig(project_dir / "templates", fonts_dir, tmp / "work")
    items, report = render_statements(statements, tmp / "out", cfg)
    assert report.ok, report.problems
    assert {item.variant for item in items} == {"3a"}
    return {item.statement.identifier.removeprefix("case-"): item for item in items}


def _opened(item) -> PageContents:
    return PageContents(item.pdf_path.read_bytes())


@pytest.mark.parametrize("name", sorted(CASES))
def test_correct_rendering_passes_and_the_misled_extractors_only_warn(rendered, name):
    report = check_pdfs([rendered[name]])
    assert report.ok, [str(p) for p in report.problems]
    warned = {p.message.split()[0] for p in report.problems if p.code == "C015"}
    assert all(p.severity == "warning" for p in report.problems if p.code == "C015")
    # pdftotext, the second opinion, still disagrees where it is misled, and says so;
    # pypdf is not asked about a tagged PDF
    assert warned == CASES[name][3] & {"pdftotext"}


def test_pypdf_decides_for_an_untagged_variant(tmp_path, project_dir, fonts_dir):
    """The page-break case rendered untagged (3u): no tree, so the page text decides,
    and pypdf's reading (it joins the bullets into the paragraph) refuses it; pdftotext's does not."""
    body, suffix, languages, misled, _ = CASES["page-break"]
    assert misled == {"pypdf"}
    statement = write_statement(tmp_path / "in", "case-page-break", body, suffix=suffix, languages=languages)
    cfg = RenderConfig(project_dir / "templates", fonts_dir, tmp_path / "work", variant="3u")
    items, report = render_statements([statement], tmp_path / "out", cfg)
    assert report.ok, report.problems
    found = check_pdfs(items).problems
    assert {(p.code, p.message.split()[0], p.severity) for p in found} == {("C007", "pypdf", "error")}, found
    # positive control: an untagged PDF pypdf reads correctly passes (test_untagged_pdf_has_no_logical_text)


@pytest.mark.parametrize("name", sorted(CASES))
def test_body_that_differs_from_the_logical_text_is_refused(rendered, name, tmp_path):
    item = rendered[name]
    old, new = CASES[name][4]
    text = item.statement.body_path.read_text(encoding="utf-8")
    assert old in text
    body = tmp_path / item.statement.body_path.name
    body.write_text(text.replace(old, new, 1), encoding="utf-8")
    changed = dataclasses.replace(item, statement=dataclasses.replace(item.statement, body_path=body, body_sha256=""))
    refusals = [p for p in check_pdfs([changed]).problems if p.code == "C007"]
    assert len(refusals) == 1 and LOGICAL in refusals[0].message, refusals
    assert refusals[0].severity == "error"


def test_logical_text_follows_a_paragraph_over_the_page_break(rendered):
    """The tree gives the paragraph's lines in order, from one page into the next."""
    leaves = structure_text(_opened(rendered["page-break"]))
    joined = " ".join(leaves)
    assert " ".join(_CLOSING.split()) in " ".join(joined.split())
    assert "Page 1 of" not in joined  # running headers and footers are artifacts, outside the tree


def test_right_to_left_lines_come_back_in_logical_order(rendered):
    """Glyphs are drawn left to right; the bidi algorithm, glyph by glyph, gives the
    line back as written: the digits joined to the Arabic letters, in their place."""
    leaves = structure_text(_opened(rendered["hijri-digits"]), right_to_left=True)
    assert CASES["hijri-digits"][0].strip() in leaves
    # positive control: read as a left-to-right line, the same glyphs are not the body
    assert CASES["hijri-digits"][0].strip() not in structure_text(_opened(rendered["hijri-digits"]))


def test_a_ligature_glyph_keeps_its_letters_in_order():
    """lam-alef is one glyph for two letters; reversing characters would give alef-lam."""
    drawn = ["م", "لا", "س"]  # "سلام", its lam-alef one glyph, drawn left to right
    assert logical_order(drawn, right_to_left=True) == "سلام"
    assert "".join(reversed("".join(drawn))) == "سالم"  # what reversing characters gives
    assert logical_order(["a", "fi", "b"], right_to_left=False) == "afib"


def test_a_left_to_right_line_in_a_right_to_left_document_gets_its_full_stop_back():
    """In a right-to-left paragraph an English sentence's full stop is drawn at its left."""
    assert logical_order(list(".Body text"), right_to_left=True) == "Body text."
    assert logical_order(list(".Body text"), right_to_left=False) == ".Body text"  # as drawn


def test_untagged_pdf_has_no_logical_text(tmp_path, project_dir, fonts_dir):
    statement = write_statement(tmp_path / "in", "untagged", "Plain words.\n")
    cfg = RenderConfig(project_dir / "templates", fonts_dir, tmp_path / "work", variant="1b")
    items, report = render_statements([statement], tmp_path / "out", cfg)
    assert report.ok, report.problems
    with pytest.raises(NoStructureTree, match="not tagged"):
        structure_text(_opened(items[0]))
    # the page text decides for an untagged variant, and it is found there
    assert check_pdfs(items).ok


def _altered(item, tmp_path, data: bytes):
    path = tmp_path / "altered.pdf"
    path.write_bytes(data)
    return dataclasses.replace(item, pdf_path=path, pdf_sha256=hashlib.sha256(data).hexdigest())


def _read_failure(item) -> str:
    """The one C001 the check gives (qpdf's words, no Python class names or reprs)."""
    unreadable = [p for p in check_pdfs([item]).problems if p.code == "C001"]
    assert len(unreadable) == 1 and unreadable[0].severity == "error", unreadable
    message = unreadable[0].message
    assert message.startswith("cannot read the PDF (") and message.endswith("): render it again")
    assert not re.search(r"pikepdf|pypdf|BytesIO| object at |Error\b|<|>", message), message
    return message


def test_a_cyclic_structure_tree_is_refused_plainly(rendered, tmp_path):
    """Untrusted input: a structure element that is its own kid stops at depth 200 as C001."""
    item = rendered["page-break"]
    with pikepdf.open(item.pdf_path) as pdf:
        element = pdf.Root.StructTreeRoot.K
        element = element[0] if isinstance(element, pikepdf.Array) else element
        element.K = pikepdf.Array([element])  # element is indirect: a cycle, not a copy
        out = BytesIO()
        pdf.save(out)
    assert "nested more than 200 deep" in _read_failure(_altered(item, tmp_path, out.getvalue()))
    # positive control: the same PDF saved again unchanged is read (test_correct_rendering_passes…)
    with pikepdf.open(item.pdf_path) as pdf:
        out = BytesIO()
        pdf.save(out)
    assert not [p for p in check_pdfs([_altered(item, tmp_path, out.getvalue())]).problems if p.code == "C001"]


def test_a_truncated_pdf_is_refused_plainly_not_repaired(rendered, tmp_path):
    """qpdf opens without recovery: half a PDF is C001 (as pypdf's strict mode refused it)."""
    item = rendered["page-break"]
    data = item.pdf_path.read_bytes()
    assert "startxref" in _read_failure(_altered(item, tmp_path, data[: len(data) // 2]))
