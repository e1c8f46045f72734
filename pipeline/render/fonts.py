"""The pinned font set: digests, a confined fontconfig, and coverage.

Output must not depend on the host's fonts, so WeasyPrint is given a
fontconfig configuration whose only font directory is the project's
``fonts/``. Each file there must match the SHA-256 in ``fonts/fonts.lock``
(or, for a font the archive pinned itself, ``fonts/extra.lock``).
Because a glyph that no font covers is drawn as ``.notdef`` (invalid in
PDF/A), text is checked against the union of the fonts' character maps
before rendering, so the error can name the statement and the code point.
"""

from __future__ import annotations

import gc
import hashlib
import os
import stat
from array import array
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence
from xml.sax.saxutils import escape

from pipeline.core.errors import EnvironmentProblem
from pipeline.core.files import write_atomically
from pipeline.core.identity import identity, settled
from pipeline.core.kept import read_kept, write_kept
from pipeline.render.environ import temporary_environ

LOCK_NAME = "fonts.lock"
#: What R001 tells the officer: the body is never edited; a font is pinned instead.
ADD_A_FONT = (
    "the body stays as it is: pin a font that has the character with "
    "`statement-archive fonts add FILE --licence OFL-1.1|Apache-2.0|public-domain` "
    "(README, \"Adding a font\"); `statement-archive fonts --coverage` lists what the pinned fonts cover"
)
#: Fonts an archive pinned itself (``statement-archive fonts add``), same columns.
EXTRA_LOCK_NAME = "extra.lock"


@dataclass(frozen=True)
class PinnedFont:
    name: str  # path relative to fonts/
    sha256: str
    package: str  # source: a Debian package, ``pypi:NAME``, or ``local`` (extra.lock)
    version: str
    licence: str = ""  # SPDX id
    inside: str = ""  # path in the source package (or where an extra font was copied from)


def parse_lock(text: str, lock: Path) -> tuple[PinnedFont, ...]:
    fonts = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip() and not line.startswith("#"):
            fields = line.split("\t")
            if len(fields) != 6:
                raise EnvironmentProblem(
                    f"{lock}:{number}: expected 6 tab-separated fields "
                    "(file, sha256, source, version, path-in-source, licence)"
                )
            name, digest, package, version, inside, licence = fields
            fonts.append(PinnedFont(name, digest, package, version, licence, inside))
    return tuple(fonts)


def read_lock(fonts_dir: Path) -> tuple[PinnedFont, ...]:
    """The project's pinned fonts, then the archive's own (``extra.lock``), in order."""
    lock = fonts_dir / LOCK_NAME
    try:
        fonts = parse_lock(lock.read_text(encoding="utf-8"), lock)
    except FileNotFoundError:
        raise EnvironmentProblem(f"{lock}: font lock file missing") from None
    extra = fonts_dir / EXTRA_LOCK_NAME
    if extra.is_file():
        fonts += parse_lock(extra.read_text(encoding="utf-8"), extra)
    return fonts


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_fonts(fonts_dir: Path, kept_dir: Path | None = None) -> tuple[PinnedFont, ...]:
    """Check every pinned font is present with its pinned bytes.

    With *kept_dir* (the build folder), a font whose identity
    (:mod:`pipeline.core.identity`) is still the one it had when its bytes last
    matched the lock is not hashed again (``font-digests.json``, kept under
    the lock's own digest): the pinned fonts are some 50 MB, a tenth of a
    second in every build, and they change only with ``make fonts``.
    """
    pinned = read_lock(fonts_dir)
    digests = _pins_digest(pinned)
    kept = read_kept(kept_dir / FONT_DIGESTS_NAME, digests) if kept_dir is not None else None
    known = kept.get("fonts") if kept and isinstance(kept.get("fonts"), dict) else {}
    matched: dict[str, list[int]] = {}
    wrong = []
    for font in pinned:
        path = fonts_dir / font.name
        try:
            info = path.stat()
        except OSError:
            info = None
        if info is None or not stat.S_ISREG(info.st_mode):
            wrong.append(f"{path} is missing")
            continue
        now = list(identity(info))
        if known.get(font.name) == now:
            matched[font.name] = now
        elif _sha256(path) != font.sha256:
            wrong.append(f"{path} differs from its pinned SHA-256 {font.sha256}")
        elif settled(info):
            matched[font.name] = now
    if wrong:
        raise EnvironmentProblem(
            "pinned fonts not installed: " + "; ".join(wrong) + " (run `make fonts`)"
        )
    if kept_dir is not None and matched != known:
        write_kept(kept_dir / FONT_DIGESTS_NAME, digests, {"fonts": matched})
    return pinned


FONT_DIGESTS_NAME = "font-digests.json"


def _pins_digest(pinned: Sequence[PinnedFont]) -> str:
    """The digest of the pinned fonts' names and SHA-256s: the fonts' fingerprint."""
    return hashlib.sha256("".join(f"{f.name}:{f.sha256}\n" for f in pinned).encode()).hexdigest()


#: Default-ignorable combining marks that select a form of the character
#: before them (variation selectors, Mongolian free variation selectors,
#: the combining grapheme joiner): the shaper consumes them, never draws them.
_SELECTORS = ((0xFE00, 0xFE0F), (0xE0100, 0xE01EF), (0x180B, 0x180F), (0x034F, 0x034F))


def needs_no_glyph(char: str) -> bool:
    # Whitespace and format characters (soft hyphen, bidi marks, joiners,
    # BOM, emoji tags) are handled by the shaper without a glyph, so need
    # no coverage; so are the variation selectors (emoji VS16, CJK IVS).
    if char.isspace() or unicodedata.category(char) in ("Cf", "Cc", "Zl", "Zp"):
        return True
    code = ord(char)
    return any(first <= code <= last for first, last in _SELECTORS)


class FontSet:
    """The pinned fonts of one project, loaded once per process."""

    def __init__(self, fonts_dir: Path, cache_dirs: Sequence[Path] = (), kept_dir: Path | None = None):
        self.fonts_dir = fonts_dir.resolve()
        self.cache_dirs = tuple(cache_dirs)
        self.pinned = verify_fonts(self.fonts_dir, kept_dir)
        self.fingerprint = _pins_digest(self.pinned)
        # Character maps, loaded one font at a time and only when a character
        # is not in the fonts loaded so far: the base face (first in the
        # lock: Latin, Greek, Cyrillic) first, so Latin-only text reads one
        # map however many scripts are pinned; then smallest files first, so
        # most scripts never pay for the CJK collections (~1.5 s).
        base, *others = self.pinned
        self._by_size = [base] + sorted(others, key=lambda f: (self.fonts_dir / f.name).stat().st_size)
        self._coverage: list[frozenset[int]] = []

    def _cached_coverage(self, font: PinnedFont) -> frozenset[int]:
        """A font's character map, from the first of ``cache_dirs`` that has it,
        else read from the font and stored in the first that can be written.

        Reading the CJK collections' maps takes ~1.5 s, in every process
        (each render worker); the cache file is named by the font's pinned
        SHA-256, so a different font can never be mistaken for it. A wrong
        map could only let a .notdef through to the two later guards
        (WeasyPrint's warning, R001, and the check stage's C006).
        """
        name = f"{font.sha256}.cmap"
        for folder in self.cache_dirs:
            try:
                codes = array("I")
                codes.frombytes((folder / name).read_bytes())
                return frozenset(codes)
            except (OSError, ValueError):
                pass
        covered = self._load_coverage(font)
        for folder in self.cache_dirs:
            try:
                folder.mkdir(parents=True, exist_ok=True)
                write_atomically(folder / name, array("I", sorted(covered)).tobytes())
                break
            except OSError:  # read-only: try the next place
                continue
        return covered

    def _load_coverage(self, font: PinnedFont) -> frozenset[int]:
        from fontTools.ttLib import TTCollection, TTFont  # here: a build that renders nothing reads no font

        covered: set[int] = set()
        path = self.fonts_dir / font.name
        if path.suffix.lower() in (".ttc", ".otc"):
            with TTCollection(str(path), lazy=True) as collection:
                faces = len(collection.fonts)
            # One face at a time, collected after each: a whole CJK
            # collection kept alive through fontTools' reference cycles
            # costs ~26 MB a face (~575 MiB peak); this peaks near 100 MiB.
            for number in range(faces):
                with TTFont(str(path), fontNumber=number, lazy=True) as face:
                    covered.update(face.getBestCmap() or {})
                gc.collect()
        else:
            with TTFont(str(path), lazy=True) as face:
                covered.update(face.getBestCmap() or {})
        return frozenset(covered)

    def uncovered(self, text: str) -> list[str]:
        """Characters of ``text`` that no pinned font has a glyph for, in order."""
        pending = {c for c in set(text) if not needs_no_glyph(c)}
        for index, font in enumerate(self._by_size):
            if not pending:
                break
            if index == len(self._coverage):
                self._coverage.append(self._cached_coverage(font))
            pending = {c for c in pending if ord(c) not in self._coverage[index]}
        return [c for c in dict.fromkeys(text) if c in pending]

    def covered_code_points(self) -> frozenset[int]:
        """Every code point some pinned font has a glyph for (loads every map)."""
        while len(self._coverage) < len(self._by_size):
            self._coverage.append(self._cached_coverage(self._by_size[len(self._coverage)]))
        return frozenset().union(*self._coverage)

    def fontconfig_xml(self, cache_dir: Path) -> str:
        return (
            '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n'
            "<fontconfig>\n"
            f"  <dir>{escape(str(self.fonts_dir))}</dir>\n"
            f"  <cachedir>{escape(str(cache_dir))}</cachedir>\n"
            "</fontconfig>\n"
        )


@contextmanager
def confined_fontconfig(font_set: FontSet, work_dir: Path) -> Iterator[None]:
    """Point fontconfig at the pinned fonts only, while the block runs.

    WeasyPrint's ``FontConfiguration()`` loads a fresh fontconfig
    configuration from ``FONTCONFIG_FILE``; the variable is set just for
    that moment and restored, so nothing else in the process is affected.
    """
    # Absolute: fontconfig reads a relative FONTCONFIG_FILE relative to
    # /etc/fonts, fails, and silently falls back to the host's fonts.
    work_dir = work_dir.resolve()
    work_dir.mkdir(parents=True, exist_ok=True)
    config = work_dir / "fonts.conf"
    xml = font_set.fontconfig_xml(work_dir / "fontconfig-cache")
    if not config.exists() or config.read_text(encoding="utf-8") != xml:
        config.write_text(xml, encoding="utf-8")
    with temporary_environ("FONTCONFIG_FILE", str(config)):
        yield


def configured_font_files(font_config) -> list[Path]:
    """Every font file a WeasyPrint ``FontConfiguration`` can use.

    Reads WeasyPrint 70's private ``_config`` (the fontconfig configuration
    pango holds): the only way to prove the confinement took effect.
    """
    from weasyprint.text.ffi import ffi, fontconfig

    fonts = fontconfig.FcConfigGetFonts(font_config._config, fontconfig.FcSetSystem)
    found = ffi.new("FcChar8 **")
    files = []
    for index in range(fonts.nfont if fonts != ffi.NULL else 0):
        if fontconfig.FcPatternGetString(fonts.fonts[index], b"file", 0, found) == fontconfig.FcResultMatch:
            files.append(Path(ffi.string(found[0]).decode()))
    return files


def ensure_confined(font_set: FontSet, font_config) -> None:
    files = configured_font_files(font_config)
    strays = sorted({str(f) for f in files if not f.resolve().is_relative_to(font_set.fonts_dir)})
    if not files or strays:
        raise EnvironmentProblem(
            "fontconfig is not confined to the pinned fonts in "
            f"{font_set.fonts_dir} (found {len(files)} font(s); outside: {strays[:5]}); "
            "output would depend on this machine's fonts"
        )


def coverage_cache_dirs(fonts_dir: Path, work_dir: Path) -> tuple[Path, Path]:
    """Where character maps are cached: beside the fonts (fonts/.coverage/,
    made by the first render after `make fonts`), so that a fresh build
    folder, each test's own, or `make clean` does not pay ~2-7 s to read them
    again; then the build folder's, for a read-only fonts folder."""
    return fonts_dir.resolve() / ".coverage", work_dir.resolve() / "font-coverage"
