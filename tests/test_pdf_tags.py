"""The structure tree of a tagged (default, PDF/A-3a + PDF/UA-1) rendition.

Read back with pypdf from real renders: H1 title, the facts list as L/LI
with Lbl and LBody, P, L/LI, Table/TR/TH with Scope/TD, Lang on the span in
another language, DisplayDocTitle, running headers and footers as artifacts,
and reading order = the HTML's order, also in a right-to-left document.
"""

from __future__ import annotations

import pytest
from pypdf import PdfReader

from archival_pdf import elements, marked_content, render_one
from pipeline.check.stage import check_pdfs


@pytest.fixture(scope="module")
def tagged(tmp_path_factory, project_dir, fonts_dir):
    tmp = tmp_path_factory.mktemp("tags")
    return {
        "en": render_one(tmp / "en", project_dir, fonts_dir, "3a"),
        "he": render_one(tmp / "he", project_dir, fonts_dir, "3a", identifier="tags-he",
                         languages=["he", "en"], title="הצהרה לבדיקה"),
    }


def tags(item) -> list[str]:
    return [str(e["/S"]) for _, e in elements(PdfReader(item.pdf_path))]


def test_document_title_is_displayed_and_marked(tagged):
    root = PdfReader(tagged["en"].pdf_path).trailer["/Root"]
    assert root["/ViewerPreferences"]["/DisplayDocTitle"].value is True
    assert root["/MarkInfo"]["/Marked"].value is True
    assert PdfReader(tagged["en"].pdf_path).metadata.title == "Test statement archival-case"


def test_the_title_is_the_only_h1_and_comes_first(tagged):
    found = tags(tagged["en"])
    assert found.count("/H1") == 1
    assert found.index("/H1") < found.index("/L") < found.index("/Table")


def test_facts_list_pairs_each_label_with_its_value(tagged):
    reader = PdfReader(tagged["en"].pdf_path)
    lists = [e for _, e in elements(reader) if e["/S"] == "/L"]
    facts = lists[0]  # the title block's, first in reading order
    items = [kid.get_object() for kid in facts["/K"]]
    assert items and all(item["/S"] == "/LI" for item in items)
    for item in items:
        assert [str(k.get_object()["/S"]) for k in item["/K"]] == ["/Lbl", "/LBody"]


def test_tables_have_headers_with_scope(tagged):
    reader = PdfReader(tagged["en"].pdf_path)
    scopes = [str(e["/A"]["/Scope"]) for _, e in elements(reader) if e["/S"] == "/TH"]
    # <th> in the header row, and <th scope="row"> in each body row
    assert scopes == ["/Column", "/Column", "/Row", "/Row"]
    cells = [e for _, e in elements(reader) if e["/S"] == "/TD"]
    assert cells and all(e["/A"]["/Headers"] for e in cells)


def test_spans_in_another_language_carry_lang(tagged):
    reader = PdfReader(tagged["en"].pdf_path)
    langs = {str(e["/Lang"]) for _, e in elements(reader) if "/Lang" in e}
    assert "fr" in langs  # <span lang="fr"> in the body
    assert reader.trailer["/Root"]["/Lang"] == "en"
    # in the Hebrew document, the colophon (English for now) says so
    he = PdfReader(tagged["he"].pdf_path)
    assert he.trailer["/Root"]["/Lang"] == "he"
    assert "en" in {str(e["/Lang"]) for _, e in elements(he) if "/Lang" in e}


@pytest.mark.parametrize("language", ["en", "he"])
def test_running_headers_and_footers_are_artifacts_and_all_else_is_tagged(tagged, language):
    reader = PdfReader(tagged[language].pdf_path)
    reached = {id(e) for _, e in elements(reader)}
    parent_tree = reader.trailer["/Root"]["/StructTreeRoot"]["/ParentTree"].get_object()["/Nums"]
    by_page = {parent_tree[i]: parent_tree[i + 1] for i in range(0, len(parent_tree), 2)}
    sequences = marked_content(reader)
    artifacts = [s for s in sequences if s[1] == "/Artifact"]
    # identifier and document type on every page, and "Page N of M"
    pages = len(reader.pages)
    assert pages >= 2
    tagged_content = [s for s in sequences if s[2] is not None]
    assert tagged_content and len(artifacts) >= 3 * pages
    for page, tag, mcid in tagged_content:
        element = by_page[page].get_object()[mcid].get_object()
        assert id(element) in reached, (page, tag, mcid)
    # nothing in the tree is left pointing at the page furniture
    for page, tag, mcid in sequences:
        if tag == "/Artifact":
            assert mcid is None


def _tree_text_order(item) -> list[str]:
    """The tags of block elements in reading order, as a screen reader walks them."""
    return [t for t in tags(item) if t in ("/H1", "/H2", "/P", "/L", "/Table")]


@pytest.mark.parametrize("language", ["en", "he"])
def test_reading_order_is_the_documents_logical_order(tagged, language):
    # title block (type, H1, facts), body (H2, P, L, Table, P), colophon (H2, P, L, P, P)
    assert _tree_text_order(tagged[language]) == [
        "/P", "/H1", "/L", "/H2", "/P", "/L", "/Table", "/P", "/H2", "/P", "/L", "/P", "/P"]


def test_untagged_variant_has_no_structure_tree_and_passes_its_own_profile(tmp_path, project_dir, fonts_dir):
    item = render_one(tmp_path, project_dir, fonts_dir, "3u")
    assert "/StructTreeRoot" not in PdfReader(item.pdf_path).trailer["/Root"]
    assert check_pdfs([item]).ok
