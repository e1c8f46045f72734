"""Labels and page furniture in the statement's language, from gettext catalogues.

The catalogues are the ``.po`` files under ``locale/<language>/LC_MESSAGES/``,
kept in the repository for translators to edit (Poedit, Weblate, or a text
editor). They are read directly with Babel at run time, with no compiled
``.mo`` files to keep in step: the same ``.po`` bytes give the same
messages, and :func:`catalogues_digest` is part of the render key, so a
changed translation renders every PDF again. Fuzzy and empty entries are
not used: the English message is shown instead, never a guess.

Two domains: ``statement`` (the title block, running header and footer,
dates) and ``colophon`` (the closing page), each optional per language.
A language without a catalogue, or a message without a translation, falls
back to English, the language of the message ids.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import unicodedata
from io import BytesIO
from pathlib import Path
from typing import Any, Callable

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from pipeline.statements.edtf import IssueDate, Precision, SingleDate, parse_issue_date

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAINS = ("statement", "colophon")
FALLBACK = "en"


def catalogue_languages() -> tuple[str, ...]:
    """Languages with catalogues, as Babel identifiers (``zh_Hant``), sorted."""
    return tuple(sorted(p.name for p in LOCALE_DIR.iterdir() if (p / "LC_MESSAGES").is_dir()))


def catalogue_language(tag: str) -> str:
    """The catalogue for a BCP 47 tag: the tag itself, its language and
    script (``zh-TW`` → ``zh_Hant``, ``zh`` → ``zh_Hans``), or its language; else English."""
    available = set(catalogue_languages())
    try:
        locale = Locale.parse(tag, sep="-")
    except (ValueError, TypeError, UnknownLocaleError):
        return FALLBACK
    script = locale.script
    if script is None:  # zh → zh_Hans_CN: the likely script, as CLDR gives it
        likely = get_global("likely_subtags").get(locale.language, "")
        parts = likely.split("_")
        script = parts[1] if len(parts) > 2 and len(parts[1]) == 4 else None
    for candidate in (str(locale), f"{locale.language}_{script}" if script else "", locale.language):
        if candidate in available:
            return candidate
    return FALLBACK


def _read_catalogue(path: Path) -> Translations | NullTranslations:
    with path.open("rb") as handle:
        catalog = read_po(handle, domain=path.stem)
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=path.stem)


@functools.lru_cache(maxsize=None)
def translations(language: str, domain: str = "statement") -> Translations | NullTranslations:
    """The messages of ``domain`` for a catalogue language (see :func:`catalogue_language`)."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po"
    return _read_catalogue(path) if path.is_file() else NullTranslations()


@functools.lru_cache(maxsize=None)
def page_translations(language: str) -> Translations | NullTranslations:
    """Every domain's messages for one language, for the templates' ``_()``:
    the statement's own, then the colophon's (a template included by the
    page wraps its strings in ``_()`` like the page does)."""
    merged: Translations | None = None
    for domain in DOMAINS:
        path = LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po"
        if path.is_file():
            catalogue = _read_catalogue(path)  # a fresh copy: merge() changes the catalogue it is called on
            merged = catalogue if merged is None else merged.merge(catalogue)
    return merged if merged is not None else NullTranslations()


def catalogues_digest() -> str:
    """SHA-256 over every catalogue's path and bytes: part of the render key."""
    digest = hashlib.sha256()
    for path in sorted(LOCALE_DIR.rglob("*.po")):
        digest.update(path.relative_to(LOCALE_DIR).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def document_type_label(document_type: str, language: str) -> str:
    return translations(language).pgettext("document type", document_type)


def access_label(access: str, language: str) -> str:
    return translations(language).pgettext("access", access)


PAGE_LABEL = "Page %(page)s of %(pages)s"


def page_label_parts(language: str) -> list[str]:
    """The footer as pieces: literal text and the names ``page`` and ``pages``
    (e.g. ``["Page ", "page", " of ", "pages"]``), for CSS ``content``."""
    message = translations(language).gettext(PAGE_LABEL)
    return [piece for piece in re.split(r"%\((pages?)\)s", message) if piece]


@functools.lru_cache(maxsize=1)
def page_label_words() -> frozenset[tuple[str, ...]]:
    """The words of the footer in every catalogue's language, numbers left
    out and sorted: ``("Page", "of")``, ``("共", "第", "页", "页")``. Words are
    runs of letters, marks and digits (NFKC), as the check stage splits text."""
    messages = {PAGE_LABEL} | {translations(lang).gettext(PAGE_LABEL) for lang in catalogue_languages()}
    return frozenset(tuple(sorted(_words(re.sub(r"%\(pages?\)s", " ", m)))) for m in messages)


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", unicodedata.normalize("NFKC", text))


_GLOSSES = {"month": "month", "season": None, "decade": "decade", "century": "century"}
_QUALIFIED = {
    "uncertain": "possibly %(date)s",
    "approximate": "approximately %(date)s",
    "uncertain-approximate": "possibly approximately %(date)s",
}


def describe_date(
    issued: IssueDate, messages: Translations | NullTranslations,
    literal: Callable[[str], Any] = str, text: Callable[[str], Any] = str, implied: str = "",
) -> Any:
    """A record's date as the record says it, in words ("2019-06 (month)",
    "approximately 2019", "undated; about 2019"), in the catalogue's language.

    ``literal`` shows a date as written (HTML: isolated left to right);
    ``text`` prepares translated words (HTML: escaped); an ``implied``
    qualifier is one the surrounding words already say.
    """
    _ = messages.gettext
    if issued.undated:
        if issued.estimate is None:
            return text(_("undated"))
        # "about" already says approximately: an estimate of 2019~ reads "undated; about 2019".
        about = describe_date(issued.estimate, messages, literal, text, implied="approximate")
        return text(_("undated; about %(date)s")) % {"date": about}
    if not issued.is_interval:
        return _describe_single(issued.start, messages, literal, text, implied)  # type: ignore[arg-type]
    if issued.start is None:
        return text(_("on or before %(end)s")) % {"end": _describe_single(issued.end, messages, literal, text, implied)}
    if issued.end is None:
        return text(_("on or after %(start)s")) % {"start": _describe_single(issued.start, messages, literal, text, implied)}
    return text(_("%(start)s to %(end)s")) % {
        "start": _describe_single(issued.start, messages, literal, text, implied),
        "end": _describe_single(issued.end, messages, literal, text, implied),
    }


def _describe_single(date: SingleDate, messages: Translations | NullTranslations,
                     literal: Callable[[str], Any], text: Callable[[str], Any], implied: str) -> Any:
    _ = messages.gettext
    shown = literal(date.unqualified)
    gloss = date.season if date.precision == "season" else _GLOSSES.get(date.precision)
    if gloss:
        shown = text(_("%(date)s (%(precision)s)")) % {"date": shown, "precision": text(_(gloss))}
    qualifier = {"approximate": "", "uncertain-approximate": "uncertain"}.get(date.qualifier, date.qualifier) \
        if implied == "approximate" else date.qualifier
    if qualifier:
        shown = text(_(_QUALIFIED[qualifier])) % {"date": shown}
    return shown


def date_facts(value: str, estimate: str | None = None) -> tuple[dt.date | None, dt.date | None, Precision, str]:
    """(earliest day, latest day, precision, English display text) of a record's date.

    For the PDF's metadata: ``None`` bounds are not known and must not be
    invented. The display text is what the page says in English
    (:func:`describe_date` gives it in other languages).
    """
    issued = parse_issue_date(value, estimate)
    return issued.lower, issued.upper, issued.precision, describe_date(issued, translations("en"))
