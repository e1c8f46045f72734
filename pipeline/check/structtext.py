"""The logical text of a tagged PDF: its structure tree, read by PDFium.

A tagged PDF says what its text is, in reading order, independently of
where the glyphs fall on the page: each structure element (P, LI, TD, …)
points at marked-content sequences (MCIDs) on a page, and the tree's order
is the logical order. Reading the tree, rather than the page, means a page
break inside a paragraph, a line that a layout analyser splits into columns
at ideographic spaces, or running headers and footers (artifacts, outside
the tree) no longer change what is compared with the body.

PDFium (pinned through pypdfium2) is a third reader, independent of poppler
(pdftotext) and pypdf, the two second opinions. ``/ActualText`` on an
element replaces the text of its content. Poppler's
``pdfinfo -struct-text`` gives the same tree but re-reads the page for
every element (about 4 s for a two-page PDF against 0.2 s for pdftotext),
too slow for a check that runs on every PDF.
"""

from __future__ import annotations

import ctypes

import pypdfium2
import pypdfium2.raw as pdfium_c


class NoStructureTree(ValueError):
    """The PDF has no structure tree to read its logical text from."""


def _utf16(call, *args) -> str:
    """Call a PDFium getter that fills a UTF-16LE buffer and returns its byte length."""
    size = call(*args, None, 0)
    if size <= 2:
        return ""
    buffer = (ctypes.c_ushort * (size // 2))()
    call(*args, buffer, size)
    return bytes(buffer)[:size - 2].decode("utf-16-le", errors="replace")


def _marked_text(page: pypdfium2.PdfPage) -> dict[int, str]:
    """The text of each marked-content sequence on the page, by MCID."""
    textpage = page.get_textpage()
    texts: dict[int, list[str]] = {}
    for obj in page.get_objects(max_depth=8):
        if obj.type != pdfium_c.FPDF_PAGEOBJ_TEXT:
            continue
        mcid = pdfium_c.FPDFPageObj_GetMarkedContentID(obj.raw)
        if mcid >= 0:
            texts.setdefault(mcid, []).append(_utf16(pdfium_c.FPDFTextObj_GetText, obj.raw, textpage.raw))
    return {mcid: "".join(parts) for mcid, parts in texts.items()}


def _leaves(element, marked: dict[int, str], out: list[str]) -> None:
    actual = _utf16(pdfium_c.FPDF_StructElement_GetActualText, element)
    if actual:
        out.append(actual)
        return
    for i in range(max(pdfium_c.FPDF_StructElement_GetMarkedContentIdCount(element), 0)):
        text = marked.get(pdfium_c.FPDF_StructElement_GetMarkedContentIdAtIndex(element, i))
        if text:
            out.append(text)
    for i in range(max(pdfium_c.FPDF_StructElement_CountChildren(element), 0)):
        child = pdfium_c.FPDF_StructElement_GetChildAtIndex(element, i)
        if child:
            _leaves(child, marked, out)


def structure_text(data: bytes) -> list[str]:
    """The PDF's text, one string per marked-content sequence, in the
    structure tree's order, page after page (a paragraph continued on the
    next page continues there). Raises :class:`NoStructureTree`."""
    document = pypdfium2.PdfDocument(data)
    try:
        if not pdfium_c.FPDFCatalog_IsTagged(document.raw):
            raise NoStructureTree("the PDF is not tagged (no /StructTreeRoot or /MarkInfo)")
        leaves: list[str] = []
        for page in document:
            marked = _marked_text(page)
            tree = pdfium_c.FPDF_StructTree_GetForPage(page.raw)
            try:
                for i in range(max(pdfium_c.FPDF_StructTree_CountChildren(tree), 0)):
                    child = pdfium_c.FPDF_StructTree_GetChildAtIndex(tree, i)
                    if child:
                        _leaves(child, marked, leaves)
            finally:
                pdfium_c.FPDF_StructTree_Close(tree)
        return leaves
    finally:
        document.close()
