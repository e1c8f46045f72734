"""Complete WeasyPrint 70's structure tree so the PDF is PDF/UA-1 in fact.

WeasyPrint tags from the HTML (H1, P, L/LI, Table/TR/TH/TD, DisplayDocTitle)
but leaves out what PDF/UA-1 (ISO 14289-1) and a screen reader need:

* ``Lang`` on elements in another language than the document (7.2);
* ``Scope`` on table headers (7.5);
* a definition list's term as the ``Lbl`` of its item, not an item of its own;
* running headers and footers (page margin boxes) as ``/Artifact``: 70.0
  marks them as content with MCIDs that no element of the tree reaches,
  which PDF/UA forbids (7.1: content is either tagged or an artifact).

The box behind each structure element is only known while WeasyPrint builds
the tree, so :func:`recording_boxes` wraps its builder for one render and
notes each element's HTML tag, language and ``scope``; :func:`complete_structure`
(the finisher) then works on the tree alone. Reading order is the tree's
order, which is the HTML's logical order (also right to left).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import pydyf
import weasyprint.pdf.tags as weasyprint_tags


@dataclass(frozen=True)
class BoxNote:
    html_tag: str | None
    lang: str | None
    scope: str | None


#: id(structure element) → what its box said; kept with the element itself
#: so an id can never be reused for another object while noted.
BoxNotes = dict[int, tuple[pydyf.Dictionary, BoxNote]]


@contextmanager
def recording_boxes() -> Iterator[BoxNotes]:
    """Note the box of each structure element WeasyPrint builds meanwhile.

    Only for the duration of one render: WeasyPrint's module is left as it
    was afterwards, so other users of it in the process are not affected.
    """
    original = weasyprint_tags._build_box_tree
    notes: BoxNotes = {}

    def noting(box, parent, *args):
        for element in original(box, parent, *args):
            if id(element) not in notes:  # the innermost box made it
                html = getattr(box, "element", None)
                notes[id(element)] = (element, BoxNote(
                    getattr(box, "element_tag", None) if html is not None else None,
                    box.style["lang"] if html is not None else None,
                    html.get("scope") if html is not None else None,
                ))
            yield element

    weasyprint_tags._build_box_tree = noting
    try:
        yield notes
    finally:
        weasyprint_tags._build_box_tree = original


def _object(pdf: pydyf.PDF, reference) -> pydyf.Dictionary:
    text = reference.decode() if isinstance(reference, bytes) else str(reference)
    return pdf.objects[int(text.split()[0])]


def _kids(pdf: pydyf.PDF, element: pydyf.Dictionary) -> list[pydyf.Dictionary]:
    return [_object(pdf, k) for k in element.get("K", ()) if not isinstance(k, int)
            and isinstance(_object(pdf, k), pydyf.Dictionary) and _object(pdf, k).get("Type") == "/StructElem"]


def _note(notes: BoxNotes, element) -> BoxNote | None:
    entry = notes.get(id(element))
    return entry[1] if entry else None


def _set_languages(pdf, element, inherited: str, notes: BoxNotes) -> None:
    note = _note(notes, element)
    lang = note.lang if note and note.lang else inherited
    if lang.lower() != inherited.lower():
        element["Lang"] = pydyf.String(lang)
    for kid in _kids(pdf, element):
        _set_languages(pdf, kid, lang, notes)


def _set_header_scopes(pdf, element, notes: BoxNotes) -> None:
    for kid in _kids(pdf, element):
        if kid.get("S") == "/TH":
            note = _note(notes, kid)
            # as WeasyPrint links cells to headers: scope=row → row, else column
            scope = "/Row" if note and (note.scope or "").lower() in ("row", "rowgroup") else "/Column"
            kid.setdefault("A", pydyf.Dictionary({"O": "/Table"}))["Scope"] = scope
        _set_header_scopes(pdf, kid, notes)


def _pair_terms(pdf, element, notes: BoxNotes) -> None:
    """In a list made from <dl>, each term becomes the Lbl of the item of its definitions."""
    kids = element.get("K")
    if element.get("S") == "/L" and kids:
        merged, current = pydyf.Array(), None
        for reference in kids:
            item = _object(pdf, reference) if not isinstance(reference, int) else None
            tag = _note(notes, item).html_tag if item is not None and _note(notes, item) else None
            bodies = _kids(pdf, item) if item is not None and item.get("S") == "/LI" else []
            if tag == "dt" and len(bodies) == 1:
                bodies[0]["S"] = "/Lbl"
                current = item
            elif tag == "dd" and current is not None and len(bodies) == 1:
                bodies[0]["P"] = current.reference
                current["K"].append(bodies[0].reference)
                continue
            else:
                current = None
            merged.append(reference)
        element["K"] = merged
    for kid in _kids(pdf, element):
        _pair_terms(pdf, kid, notes)


def _reachable(pdf, element, found: set[int]) -> None:
    found.add(id(element))
    for kid in _kids(pdf, element):
        _reachable(pdf, kid, found)


def _mark_artifacts(pdf: pydyf.PDF, unreached: dict[int, set[int]]) -> None:
    """Turn the marked content of elements outside the tree into pagination artifacts."""
    for page_index, mcids in unreached.items():
        page = _object(pdf, pdf.page_references[page_index])
        contents = page["Contents"]
        for reference in contents if isinstance(contents, (list, pydyf.Array)) else [contents]:
            items = _object(pdf, reference).stream
            for i, item in enumerate(items):
                if isinstance(item, pydyf.Dictionary) and item.get("MCID") in mcids and i:
                    items[i - 1] = "/Artifact"
                    items[i] = pydyf.Dictionary({"Type": "/Pagination"})


def complete_structure(pdf: pydyf.PDF, notes: BoxNotes) -> None:
    """The finisher's part: Lang, Scope, term labels and artifacts (see module docstring)."""
    if "StructTreeRoot" not in pdf.catalog:
        return
    root = _object(pdf, pdf.catalog["StructTreeRoot"])
    [document] = [_object(pdf, k) for k in root["K"]]
    _pair_terms(pdf, document, notes)
    _set_header_scopes(pdf, document, notes)
    lang = pdf.catalog["Lang"]
    _set_languages(pdf, document, getattr(lang, "string", str(lang)), notes)
    reached: set[int] = set()
    _reachable(pdf, document, reached)
    parent_tree = _object(pdf, root["ParentTree"])
    nums = parent_tree["Nums"]
    unreached: dict[int, set[int]] = {}
    for index in range(0, len(nums), 2):
        key, value = nums[index], nums[index + 1]
        if not isinstance(value, (list, pydyf.Array)):
            continue  # an annotation's entry, not a page's
        for mcid, reference in enumerate(value):
            if id(_object(pdf, reference)) not in reached:
                unreached.setdefault(key, set()).add(mcid)
                value[mcid] = "null"
    _mark_artifacts(pdf, unreached)
