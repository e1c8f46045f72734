"""Pinning a font the archive brings itself: ``statement-archive fonts add``.

R001 refuses a statement whose text has a character no pinned font covers;
the body is never edited, so the way forward is another font. This copies
the file into ``fonts/extra/`` and records it in ``fonts/extra.lock`` (same
columns as ``fonts.lock``: file, SHA-256, source ``local``, version, the path
it was copied from, licence). The renderer then checks its digest at every
run like any other pinned font, and fontconfig (confined to ``fonts/``, which
it reads recursively) falls back to it for the characters the families in
``templates/statement.css`` lack. ``make fonts`` cannot fetch such a font
again: commit ``fonts/extra/`` and ``fonts/extra.lock`` with the project.
"""

from __future__ import annotations

import hashlib
from io import BytesIO
from dataclasses import dataclass
from pathlib import Path

from fontTools.ttLib import TTCollection, TTFont, TTLibError

from pipeline.core.files import write_atomically
from pipeline.core.errors import InputError
from pipeline.render.fonts import EXTRA_LOCK_NAME, PinnedFont, read_lock
from pipeline.render.licences import ALLOWED_LICENCES
EXTRA_DIR = "extra"
#: Colour glyph tables: drawn as images or layered colour, which PDF/A refuses
#: (interpolated images, transparency) or WeasyPrint 70 cannot embed.
_COLOUR_TABLES = ("CBDT", "sbix", "SVG ", "COLR")
_HEADER = (
    "# Fonts this archive pinned itself (statement-archive fonts add); commit them with fonts/extra/.\n"
    "# file\tsha256\tsource\tversion\tpath-in-source\tlicence\n"
)


@dataclass(frozen=True)
class AddedFont:
    font: PinnedFont
    new_code_points: int  # covered by it and by no font pinned before
    already_pinned: bool


def _face_code_points(face: TTFont, path: Path) -> set[int]:
    colour = [t.strip() for t in _COLOUR_TABLES if t in face]
    if colour:
        raise InputError(
            f"{path}: colour glyphs ({', '.join(colour)}) cannot go into a PDF/A; "
            "pin a monochrome (outline) font"
        )
    return set(face.getBestCmap() or {})


def _code_points(path: Path, data: bytes) -> frozenset[int]:
    covered: set[int] = set()
    try:  # from the bytes read once: what is checked is what is pinned
        if data[:4] == b"ttcf":
            with TTCollection(BytesIO(data), lazy=True) as collection:
                for face in collection.fonts:
                    covered |= _face_code_points(face, path)
        else:
            with TTFont(BytesIO(data), lazy=True) as face:
                covered |= _face_code_points(face, path)
    except (TTLibError, OSError, ValueError, AssertionError, KeyError) as exc:
        raise InputError(f"{path}: not a font file fontTools can read ({exc})") from None
    if not covered:
        raise InputError(f"{path}: the font maps no characters (no usable cmap)")
    return frozenset(covered)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def add_font(fonts_dir: Path, source: Path, licence: str, already_covered: frozenset[int]) -> AddedFont:
    """Copy ``source`` into ``fonts/extra/`` and pin it in ``fonts/extra.lock``."""
    if licence not in ALLOWED_LICENCES:
        raise InputError(
            f"{source}: licence {licence!r} is not one this archive pins fonts under; "
            f"use one of {', '.join(ALLOWED_LICENCES)} (the font's own licence file says which)"
        )
    if not source.is_file():
        raise InputError(f"{source}: no such font file")
    data = source.read_bytes()
    digest = _sha256(data)
    code_points = _code_points(source, data)
    pinned = read_lock(fonts_dir)
    for font in pinned:
        if font.sha256 == digest:
            return AddedFont(font, 0, already_pinned=True)
    name = f"{EXTRA_DIR}/{source.name}"
    origin = str(source.resolve())
    if any(c in origin for c in "\t\r\n"):
        raise InputError(f"{source}: a tab or line break in the path cannot be recorded in {EXTRA_LOCK_NAME}")
    if any(font.name == name for font in pinned):
        raise InputError(f"{source}: fonts/{name} is already pinned with other bytes; rename the file")
    (fonts_dir / EXTRA_DIR).mkdir(exist_ok=True)
    write_atomically(fonts_dir / name, data)
    font = PinnedFont(name, digest, "local", "-", licence, origin)
    lock = fonts_dir / EXTRA_LOCK_NAME
    text = lock.read_text(encoding="utf-8") if lock.is_file() else _HEADER
    text += "\t".join((font.name, font.sha256, font.package, font.version, font.inside, font.licence)) + "\n"
    write_atomically(lock, text.encode("utf-8"))
    return AddedFont(font, len(code_points - already_covered), already_pinned=False)
