"""What a render depends on besides the statement, and its fingerprint,
known without loading WeasyPrint.

``RenderConfig`` says what to render with; ``render_fingerprint`` is the
digest of everything besides the statement that decides a PDF's bytes (the
software, the text stack, the pinned fonts, the templates, the catalogues,
the options), the same in this process and in every worker's ``Renderer``,
which computes it again after loading WeasyPrint and whose every result is
compared with it (``pipeline.render.executors``).

A build with nothing new needs this fingerprint and nothing else from the
renderer. Importing WeasyPrint costs about 0.8 s (its ``ffi`` module parses
its C declarations and searches for its libraries), so the versions are
read here as the dynamic linker finds them: WeasyPrint's version from its
distribution's metadata, Pango's by calling ``pango_version()`` in the
``libpango-1.0.so.0`` that WeasyPrint's own name search arrives at on Linux,
HarfBuzz's subsetter and vector libraries by loading them by the names
WeasyPrint loads them by. Elsewhere, or if WeasyPrint is loaded anyway,
WeasyPrint's own ``ffi`` answers for Pango and those two. HarfBuzz's and
fontconfig's versions, which WeasyPrint's ``ffi`` does not declare, are asked
of the same libraries (by the names WeasyPrint loads them by; once loaded, a
library's name gives the library already in the process).
``tests/test_render_fingerprint.py`` holds both ways equal.
"""

from __future__ import annotations

import ctypes
import hashlib
import sys
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from pipeline import SOFTWARE_AGENT
from pipeline.core.records import RenditionFacts, fingerprint_lines
from pipeline.i18n import catalogues_digest
from pipeline.render.fonts import FontSet
from pipeline.render.rendition import RenditionDate
from pipeline.render.variants import DEFAULT_VARIANT, VARIANTS


@dataclass(frozen=True)
class RenderConfig:
    templates_dir: Path
    fonts_dir: Path
    work_dir: Path  # build/: fontconfig file and cache live here
    variant: str = DEFAULT_VARIANT
    uncompressed: bool = False
    #: the run's rendition date (pipeline/render/rendition.py), None if not recorded
    rendition_date: str | None = None

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ValueError(f"unknown PDF/A variant {self.variant!r}; choose one of {', '.join(VARIANTS)}")
        if self.rendition_date is not None:
            RenditionDate(self.rendition_date)  # raises ValueError if malformed


def _templates_digest(templates_dir: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in templates_dir.rglob("*") if p.is_file()):
        digest.update(path.relative_to(templates_dir).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


#: The names WeasyPrint 70 loads each library by (weasyprint/text/ffi.py), in its order.
_HARFBUZZ = ("libharfbuzz-0", "harfbuzz", "harfbuzz-0.0", "libharfbuzz.so.0", "libharfbuzz.0.dylib",
             "libharfbuzz-0.dll")
_FONTCONFIG = ("libfontconfig-1", "fontconfig-1", "fontconfig", "libfontconfig.so.1", "libfontconfig.1.dylib",
               "libfontconfig-1.dll")
_HARFBUZZ_SUBSET = "libharfbuzz-subset.so.0"
_HARFBUZZ_VECTOR = "libharfbuzz-vector.so.0"


def _load(*names: str) -> ctypes.CDLL | None:
    for name in names:
        try:
            return ctypes.CDLL(name)
        except OSError:
            continue
    return None


def _shaping_versions() -> str:
    """HarfBuzz's version (it shapes the text, so it decides glyphs and positions) and
    fontconfig's (it matches the pinned fonts to the styles asked for)."""
    harfbuzz, fontconfig = _load(*_HARFBUZZ), _load(*_FONTCONFIG)
    if harfbuzz is None or fontconfig is None:
        return "harfbuzz ?; fontconfig ?"  # WeasyPrint cannot load either: it says so when it loads
    harfbuzz.hb_version_string.restype = ctypes.c_char_p
    fontconfig.FcGetVersion.restype = ctypes.c_int
    return f"harfbuzz {harfbuzz.hb_version_string().decode('ascii')}; fontconfig {fontconfig.FcGetVersion()}"


def _stack_line(pango_version: int, subsetter: bool, vector: bool) -> str:
    return (f"pango {pango_version}; {_shaping_versions()}; hb-subset {'yes' if subsetter else 'no'}; "
            f"hb-vector {'yes' if vector else 'no'}")


def text_stack_by_weasyprint() -> str:
    """The text stack as WeasyPrint's own ``ffi`` loaded it (imports WeasyPrint)."""
    from weasyprint.text.ffi import harfbuzz_subset, harfbuzz_vector, pango

    return _stack_line(pango.pango_version(), harfbuzz_subset is not None, harfbuzz_vector is not None)


def text_stack_by_linker() -> str | None:
    """The same line from the libraries WeasyPrint loads on Linux, or None where
    that cannot be said without WeasyPrint (not Linux, no libpango by that name)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        pango = ctypes.CDLL("libpango-1.0.so.0")
    except OSError:
        return None  # WeasyPrint will say what is missing when it loads
    pango.pango_version.restype = ctypes.c_int
    return _stack_line(pango.pango_version(), _load(_HARFBUZZ_SUBSET) is not None,
                       _load(_HARFBUZZ_VECTOR) is not None)


def text_stack() -> str:
    """The C libraries that lay out, shape and subset text, which also decide the bytes.

    Pango's, HarfBuzz's and fontconfig's versions; whether HarfBuzz's subsetter
    is loaded (without it WeasyPrint subsets with fontTools: other bytes) and
    its vector library (with it, colour glyphs are drawn as SVG: other bytes).
    A Dask worker on another machine with another HarfBuzz therefore has
    another fingerprint, and its results are refused (pipeline.render.executors).
    """
    if "weasyprint.text.ffi" not in sys.modules and (line := text_stack_by_linker()) is not None:
        return line
    return text_stack_by_weasyprint()


def render_fingerprint(config: RenderConfig, font_set: FontSet | None = None) -> str:
    """Digest of everything besides the statement that affects a PDF's bytes.

    Cheap on purpose (no FontConfiguration, no WeasyPrint): an unchanged build
    needs only this, and a worker's Renderer must arrive at the same value.
    """
    return rendition_facts(config, font_set).fingerprint


def rendition_facts(config: RenderConfig, font_set: FontSet | None = None) -> RenditionFacts:
    """The inputs of the renderer fingerprint, one by one, and the fingerprint:
    what a package records so that its render keys can be recomputed."""
    font_set = font_set or FontSet(config.fonts_dir, kept_dir=config.work_dir)
    # The variant is not here: it is part of each PDF's RenderKey.
    fields = dict(
        software_agent=SOFTWARE_AGENT, weasyprint=f"WeasyPrint {version('weasyprint')}", text_stack=text_stack(),
        fonts_fingerprint=font_set.fingerprint, templates_digest=_templates_digest(config.templates_dir),
        catalogues_digest=catalogues_digest(), uncompressed=config.uncompressed,
        rendition_date=config.rendition_date,
    )
    lines = fingerprint_lines(**fields)
    return RenditionFacts(
        **fields, fonts=tuple((f.name, f.sha256, f.licence) for f in font_set.pinned),
        fingerprint=hashlib.sha256("\n".join(lines).encode()).hexdigest(),
    )


def extractor_versions() -> str:
    """The installed extractors, part of the render key of statements with a capture only."""
    return f"trafilatura {version('trafilatura')}; line logic {SOFTWARE_AGENT}"
