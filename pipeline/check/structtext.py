"""The logical text of a tagged PDF: its structure tree and marked content.

A tagged PDF says what its text is, in reading order, independently of
where the glyphs fall on the page: each structure element (P, LI, TD, …)
points at marked-content sequences (MCIDs) on a page, and the tree's order
is the logical order. Reading the tree, rather than the page, means a page
break inside a paragraph, a line that a layout analyser splits into columns
at ideographic spaces, or running headers and footers (artifacts, outside
the tree) no longer change what is compared with the body.

Inside one marked-content sequence the glyphs are drawn in visual order
(left to right), each glyph mapped to its characters by the font's
``/ToUnicode``. A right-to-left run is put back in logical order by the
Unicode bidirectional algorithm (python-bidi) applied glyph by glyph, so a
ligature (lam-alef) or a mark keeps its characters in order, and a digit run
inside Arabic (``1435هـ``) stays one left-to-right run. ``/ActualText``
(on an element or a marked-content sequence) replaces the text of its content.

The tree, fonts and properties are read from the same pikepdf document
(walking ``/StructTreeRoot``) whose pages' content streams qpdf parses
(:mod:`pipeline.check.contents`), compiled, where pypdf is pure Python;
the walk gives the same text as pypdf's did (``bench/structtext_compare.py``).
Poppler's ``pdfinfo -struct-text`` gives the same tree, but re-reads the page for every element (about 4 s for a
two-page PDF against 0.2 s for pdftotext), too slow for every PDF; PDFium's
text objects come re-ordered by its own bidi pass, which splits a word whose
marks are drawn apart and reverses ligatures.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Iterator

import pikepdf
from bidi import get_display

from pipeline.check.contents import SHOW_TEXT, Operation, PageContents, is_dictionary

_RIGHT_TO_LEFT = {"R", "AL", "AN"}


class NoStructureTree(ValueError):
    """The PDF has no structure tree to read its logical text from."""


def _hex_text(hex_digits: str) -> str:
    return bytes.fromhex(hex_digits).decode("utf-16-be", errors="replace")


def _to_unicode(font: Any) -> tuple[int, dict[int, str]]:
    """Bytes per character code, and each code's characters (``/ToUnicode``)."""
    cmap = font.get("/ToUnicode")
    if cmap is None:
        return 1, {}
    data = cmap.read_bytes().decode("latin-1")
    space = re.search(r"begincodespacerange\s*<([0-9A-Fa-f]+)>", data)
    width = len(space.group(1)) // 2 if space else (2 if "/DescendantFonts" in font else 1)
    mapping: dict[int, str] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", data, re.S):
        for code, text in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]*)>", block):
            mapping[int(code, 16)] = _hex_text(text)
    for block in re.findall(r"beginbfrange(.*?)endbfrange", data, re.S):
        for low, high, target in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(<[0-9A-Fa-f]*>|\[[^\]]*\])", block):
            low, high = int(low, 16), int(high, 16)
            if target.startswith("["):
                for offset, text in enumerate(re.findall(r"<([0-9A-Fa-f]*)>", target)):
                    mapping[low + offset] = _hex_text(text)
            else:
                first = bytes.fromhex(target[1:-1])
                for offset in range(high - low + 1):
                    last = int.from_bytes(first[-2:], "big") + offset
                    mapping[low + offset] = (first[:-2] + last.to_bytes(2, "big")).decode("utf-16-be", errors="replace")
    return width, mapping


def _marked_glyphs(page: Any, operations: list[Operation]) -> dict[int, list[str]]:
    """Each marked-content sequence's glyphs (their characters), in drawing order, by MCID;
    a sequence with ``/ActualText`` gives that text as its one glyph. *operations*: the
    page's content, parsed by qpdf (:mod:`pipeline.check.contents`); its fonts and named
    properties are read from the *page* (its dictionary, inherited attributes pushed to it)."""
    resources = page.get("/Resources") or {}
    fonts = resources.get("/Font") or {}
    properties = resources.get("/Properties") or {}
    glyphs: dict[int, list[str]] = {}
    stack: list[int | None] = []  # the MCID of each open sequence (None: none, or its ActualText given)
    decoders: dict[str, tuple[int, dict[int, str]]] = {}
    font = (1, {})
    for operands, operator, shown in operations:
        if operator in ("BDC", "BMC"):
            props = operands[1] if operator == "BDC" and len(operands) > 1 else None
            if isinstance(props, pikepdf.Name):  # a named /Properties entry
                props = properties.get(str(props))
            elif props is not None and not isinstance(props, pikepdf.Dictionary):
                props = None
            is_dict = is_dictionary(props)
            mcid = props.get("/MCID") if is_dict else None
            mcid = int(mcid) if mcid is not None else (stack[-1] if stack else None)
            if is_dict and "/ActualText" in props and mcid is not None:
                glyphs.setdefault(mcid, []).append(str(props["/ActualText"]))
                mcid = None
            stack.append(mcid)
        elif operator == "EMC":
            if stack:
                stack.pop()
        elif operator == "Tf":
            name = str(operands[0])
            if name not in decoders:
                decoders[name] = _to_unicode(fonts.get(name) or pikepdf.Dictionary())
            font = decoders[name]
        elif operator in SHOW_TEXT and stack and stack[-1] is not None:
            out = glyphs.setdefault(stack[-1], [])
            width, mapping = font
            for data in shown:
                out.extend(mapping.get(int.from_bytes(data[i:i + width], "big"), "")
                           for i in range(0, len(data) - width + 1, width))
    return glyphs


def _substitutes(bidi_class: str, taken: set[str]) -> Iterator[str]:
    """Single characters of *bidi_class* not in *taken*: stand-ins for a
    multi-character glyph while the bidi algorithm reorders the line."""
    for start, end in ((0xE000, 0xF8FF), (0xFB1D, 0xFB4F), (0xFB50, 0xFDFF), (0xFE70, 0xFEFC), (0x0300, 0x036F)):
        for code in range(start, end + 1):
            char = chr(code)
            if unicodedata.bidirectional(char) == bidi_class and char not in taken:
                yield char


def logical_order(glyphs: list[str], right_to_left: bool) -> str:
    """The characters of glyphs drawn left to right, in logical order (base
    direction right to left if *right_to_left*); a multi-character glyph
    stays whole."""
    text = "".join(glyphs)
    if not right_to_left and not any(unicodedata.bidirectional(c) in _RIGHT_TO_LEFT for c in text):
        return text  # a left-to-right line with nothing drawn right to left
    taken, stand_in, pools = set(text), {}, {}
    line = []
    for glyph in glyphs:
        if len(glyph) <= 1:
            line.append(glyph)
            continue
        if glyph not in stand_in:
            kind = unicodedata.bidirectional(glyph[0])
            pool = pools.setdefault(kind, _substitutes(kind, taken))
            stand_in[glyph] = next(pool, None)
        line.append(stand_in[glyph] or glyph)
    back = {char: glyph for glyph, char in stand_in.items() if char}
    return "".join(back.get(c, c) for c in get_display("".join(line), base_dir="R" if right_to_left else "L"))


def _element_text(element: Any, page_ref: Any, pages: dict, marked: Any, right_to_left: bool,
                  out: list[str], depth: int = 0) -> None:
    if depth > 200:  # a cyclic or absurdly deep tree
        raise ValueError("the structure tree is nested more than 200 deep")
    if isinstance(element, int) and not isinstance(element, bool):  # pikepdf gives PDF booleans as bool
        out.append(logical_order(marked(page_ref).get(element, []), right_to_left))
        return
    if isinstance(element, pikepdf.Array):
        for kid in element:
            _element_text(kid, page_ref, pages, marked, right_to_left, out, depth + 1)
        return
    if not is_dictionary(element):
        return
    page_ref = element.get("/Pg", page_ref)
    if element.get("/Type") == "/MCR":
        out.append(logical_order(marked(page_ref).get(int(element["/MCID"]), []), right_to_left))
        return
    if element.get("/Type") == "/OBJR":
        return
    if "/ActualText" in element:
        out.append(str(element["/ActualText"]))
        return
    if "/K" in element:
        _element_text(element["/K"], page_ref, pages, marked, right_to_left, out, depth + 1)


def structure_text(contents: PageContents, right_to_left: bool = False) -> list[str]:
    """The PDF's text, one string per marked-content sequence (a line, or part
    of one), in the structure tree's order. *contents*: the PDF, opened by
    qpdf. *right_to_left*: the document's base direction. Raises
    :class:`NoStructureTree`."""
    root = contents.pdf.Root.get("/StructTreeRoot")
    if root is None:
        raise NoStructureTree("the PDF is not tagged (no /StructTreeRoot)")
    pages = {page.obj.objgen[0]: page.obj for page in contents.pdf.pages if page.obj.is_indirect}
    cache: dict[int, dict[int, list[str]]] = {}

    def marked(page_ref: Any) -> dict[int, list[str]]:
        number = page_ref.objgen[0] if getattr(page_ref, "is_indirect", False) else None
        if number not in pages:
            return {}
        if number not in cache:
            page = pages[number]
            cache[number] = _marked_glyphs(page, contents.operations(*page.objgen))
        return cache[number]

    out: list[str] = []
    _element_text(root.get("/K"), None, pages, marked, right_to_left, out)
    return [text for text in out if text]
