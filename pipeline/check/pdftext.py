"""The text of a PDF, by two independent extractors, and containment checks.

poppler's ``pdftotext`` reads every PDF: the second opinion on a tagged
one's logical text (a warning, C015). pypdf reads only untagged ones, which
have no structure tree: there both must find every block of the body's text.
Text is compared with whitespace removed (line
breaks fall anywhere), format characters removed (soft hyphens, bidi marks
that ``pdftotext`` inserts around right-to-left runs) and NFKC applied (a
ligature glyph maps back to its letters). Running headers and footers
(identifier, document type, "Page N of M") are dropped at page edges.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass

import pikepdf
from pypdf import PdfReader

from pipeline.core.errors import EnvironmentProblem
from pipeline.i18n import page_label_words



def _words(text: str) -> list[str]:
    """Maximal runs of letters, marks and digits (NFKC): punctuation, spaces
    and the bidi marks pdftotext puts around runs all separate words."""
    words, current = [], []
    for char in unicodedata.normalize("NFKC", text):
        if unicodedata.category(char)[0] in "LMN":
            current.append(char)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return words


# pdftotext joins a word hyphenated at a line end ("self-" + "confident"
# → "selfconfident"), so hyphens are left out of the comparison too.
_HYPHENS = {"-", "\u2010"}


# Variation selectors (emoji VS16 in "❤️", CJK IVS) pick a glyph and are
# then gone: the shaper draws no glyph for them, so no extractor finds them.
_SELECTORS = set(map(chr, range(0xFE00, 0xFE10))) | set(map(chr, range(0xE0100, 0xE01F0)))


def _dropped(c: str) -> bool:
    return c.isspace() or c in _HYPHENS or c in _SELECTORS or unicodedata.category(c) == "Cf"


def comparable(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    # decided once per distinct character, not once per character: a long text has few
    return text.translate({ord(c): None for c in set(text) if _dropped(c)})


def _drop_furniture(page_text: str, furniture: set[str]) -> str:
    lines = [line for line in page_text.splitlines()]
    keep = [True] * len(lines)
    non_empty = [i for i, line in enumerate(lines) if line.strip()]
    for i in non_empty[:3] + non_empty[-2:]:
        stripped = comparable(lines[i])
        # pypdf may join the header's left and right parts into one line.
        for piece in sorted(furniture, key=len, reverse=True):
            stripped = stripped.replace(piece, "")
        if not stripped or _is_page_label(lines[i]):
            keep[i] = False
    return "\n".join(line for line, k in zip(lines, keep) if k)


def _is_page_label(line: str) -> bool:
    """"Page 3 of 12" in any catalogue's language, its words in any order
    (an extractor may give a right-to-left footer in visual order)."""
    words = _words(line)
    numbers = [w for w in words if w.isdigit()]
    return len(numbers) == 2 and tuple(sorted(w for w in words if not w.isdigit())) in page_label_words()


def pdftotext_pages(data: bytes) -> list[str]:
    """The page texts poppler's ``pdftotext`` reads in *data*, given on its
    standard input (the bytes checked, not a second read of the file)."""
    if shutil.which("pdftotext") is None:
        raise EnvironmentProblem(
            "pdftotext not found: install Debian's poppler-utils (sudo apt-get install poppler-utils)"
        )
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"],
        input=data, capture_output=True, check=False,
    )
    if done.returncode != 0:
        raise ValueError(f"pdftotext failed: {done.stderr.decode(errors='replace').strip()[:200]}")
    pages = done.stdout.decode("utf-8").split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def without_display_profile(pdf: pikepdf.Pdf, data: bytes) -> bytes:
    """*data* with an incremental update (ISO 32000-1, 7.5.6) whose catalog is
    the PDF's own without ``/OutputIntents``: what ``pdftotext`` is given.

    poppler makes every page's graphics state colour-managed for the output
    intent's ICC profile (``Gfx::initDisplayProfile``): with the sRGB profile
    WeasyPrint embeds, inverting its tone curves in lcms2 is three quarters of
    ``pdftotext``'s CPU, about 28 ms a page. Text extraction uses no colour.
    Every original byte stays where it is and is read as before; the update
    only adds a later revision of the catalog object. The output intent itself
    is checked by page-validation on the file as rendered. An encrypted PDF, or
    one without an indirect catalog or output intents, is given unchanged.
    """
    root, trailer = pdf.Root, pdf.trailer
    if "/OutputIntents" not in root or "/Encrypt" in trailer or not root.is_indirect:
        return data
    start = data.rfind(b"startxref")
    try:
        previous = int(data[start + len(b"startxref"):].split()[0])
    except (IndexError, ValueError):
        return data  # poppler finds the file's own cross-reference as before
    number, generation = root.objgen
    catalog = pikepdf.Dictionary({key: root[key] for key in root.keys() if key != "/OutputIntents"})
    head = b"\n"
    body = b"%d %d obj\n%s\nendobj\n" % (number, generation, catalog.unparse())
    new_trailer = pikepdf.Dictionary({key: trailer[key] for key in ("/Size", "/Root", "/Info", "/ID")
                                      if key in trailer})
    xref = len(data) + len(head) + len(body)
    tail = b"xref\n%d 1\n%010d %05d n\r\ntrailer\n%s\nstartxref\n%d\n%%%%EOF\n" % (
        number, len(data) + len(head), generation,
        new_trailer.unparse()[:-2] + b"/Prev %d >>" % previous, xref)
    return data + head + body + tail


def pypdf_pages(reader: PdfReader) -> list[str]:
    return [page.extract_text() or "" for page in reader.pages]


@dataclass(frozen=True)
class ExtractedText:
    """A PDF's body text as one extractor read it."""

    extractor: str
    text: str  # comparable(), pages joined
    word_letters: frozenset[str]  # each word's letters, sorted

    @classmethod
    def from_pages(cls, extractor: str, pages: list[str], furniture: set[str]) -> "ExtractedText":
        kept = [_drop_furniture(page, furniture) for page in pages]
        words = [w for page in kept for w in _words(page)]
        # Also each pair of neighbours: pdftotext sometimes splits a word
        # before a letter carrying marks ("وس ُيقدَّم").
        pairs = [a + b for a, b in zip(words, words[1:])]
        return cls(
            extractor,
            "".join(comparable(page) for page in kept),
            frozenset(_letters(w) for w in words + pairs),
        )


def _letters(word: str) -> str:
    return "".join(sorted(word))


def _has_right_to_left(text: str) -> bool:
    return any(unicodedata.bidirectional(c) in ("R", "AL") for c in text)


def missing_blocks(blocks: tuple[str, ...], extracted: ExtractedText, *,
                   right_to_left_document: bool = False) -> list[str]:
    """Blocks of the body whose text the extractor did not find.

    Every block must appear whole and in order, except blocks holding
    right-to-left text, where the extractors are known to deviate:
    pypdf returns the runs of a mixed-direction line in visual order, so each
    word must appear in order; pdftotext also reverses the characters of
    every multi-character glyph (a lam-alef ligature, a letter with its
    marks), so each word must appear with the same letters. In a
    right-to-left document even a left-to-right paragraph gets that
    treatment: its final full stop is placed, and extracted, at its left.
    """
    missing = []
    for block in blocks:
        needle = comparable(block)
        if not needle or needle in extracted.text:
            continue
        if right_to_left_document or _has_right_to_left(block):
            if extracted.extractor == "pdftotext":
                words = {_letters(w) for w in _words(block)}
                if words <= extracted.word_letters:
                    continue
            elif all(comparable(w) in extracted.text for w in re.findall(r"\w+", block)):
                continue
        missing.append(block)
    return missing
