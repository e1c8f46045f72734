"""Jinja2 for the catalogue: autoescaped templates, labels through gettext.

Every string a reader sees goes through ``{% trans %}`` or ``_()``, so a page
can be given in a statement's language wherever a catalogue of labels for
that language exists, and in English otherwise. Catalogues are ordinary
gettext ``.mo`` files: ``<locale dir>/<language>/LC_MESSAGES/messages.mo``
(Babel's default domain and layout, as ``pybabel compile`` writes them). The
PDF's labels ("Issued by", "Date issued", …) use the same English message
ids, so pointing ``--locale-dir`` at the render stage's catalogues
translates them here too; catalogue-only labels stay English until added.
"""

from __future__ import annotations

import gettext
import hashlib
from pathlib import Path
from urllib.parse import quote

import jinja2

from pipeline.statements.langtag import is_right_to_left, is_well_formed

DOMAIN = "messages"


def environment(templates: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates),
        autoescape=True,  # every value comes from an untrusted statement
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.install_null_translations(newstyle=True)
    env.filters["href"] = href
    return env


def href(path: str) -> str:
    """A relative path as a URL: each segment percent-encoded, so no value
    can become a scheme (``javascript:``), a query or another folder."""
    return "/".join(quote(segment, safe="") for segment in path.split("/"))


class Labels:
    """Which language a page's labels are in, and their translations."""

    def __init__(self, locale_dir: Path | None):
        self.locale_dir = locale_dir
        self._cache: dict[str, tuple[str, gettext.NullTranslations]] = {}

    def digest(self) -> str:
        """Of every catalogue file, so pages are rebuilt when a translation changes."""
        h = hashlib.sha256()
        if self.locale_dir and self.locale_dir.is_dir():
            for path in sorted(self.locale_dir.rglob(f"{DOMAIN}.mo")):
                h.update(str(path.relative_to(self.locale_dir)).encode() + b"\0" + path.read_bytes())
        return h.hexdigest()

    def for_language(self, tag: str) -> tuple[str, gettext.NullTranslations]:
        """(language of the labels, translations): the statement's own where a
        catalogue exists (full tag, then its primary subtag), else English."""
        if tag not in self._cache:
            found: tuple[str, gettext.NullTranslations] = ("en", gettext.NullTranslations())
            if self.locale_dir and self.locale_dir.is_dir() and is_well_formed(tag):
                for candidate in dict.fromkeys([tag.replace("-", "_"), tag.split("-")[0]]):
                    try:
                        found = (candidate.replace("_", "-"),
                                 gettext.translation(DOMAIN, self.locale_dir, languages=[candidate]))
                        break
                    except OSError:
                        continue
            self._cache[tag] = found
        return self._cache[tag]


def render(env: jinja2.Environment, template: str, translations: gettext.NullTranslations,
           **context: object) -> bytes:
    env.install_gettext_translations(translations, newstyle=True)
    try:
        return env.get_template(template).render(**context).encode("utf-8")
    finally:
        env.install_null_translations(newstyle=True)


def direction(tag: str) -> str:
    return "rtl" if is_right_to_left(tag) else "ltr"


def language(tag: object) -> str:
    """A language tag usable in ``lang``; "und" (undetermined) for anything else."""
    return tag if isinstance(tag, str) and is_well_formed(tag) else "und"
