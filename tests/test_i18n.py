"""Message catalogues: complete, placeholders intact, chosen by language tag, part of the render key."""

from __future__ import annotations

import re
import shutil

import pytest
from babel.messages.pofile import read_po

from pipeline import i18n
from pipeline.i18n import (
    LOCALE_DIR, catalogue_language, catalogue_languages, describe_date, page_label_parts, translations,
)
from pipeline.check.pdftext import _is_page_label
from pipeline.statements.edtf import parse_issue_date

REQUIRED = ("ar", "de", "es", "fr", "he", "nl", "ru", "uk", "zh_Hans", "zh_Hant")
PLACEHOLDER = re.compile(r"%\([a-z]+\)s")


def _catalogue(path):
    with path.open("rb") as handle:
        return read_po(handle)


def test_every_required_language_has_a_complete_catalogue():
    template = _catalogue(LOCALE_DIR / "statement.pot")
    ids = {(m.context, m.id) for m in template if m.id}
    assert len(ids) > 40
    assert set(REQUIRED) <= set(catalogue_languages())
    for language in REQUIRED:
        catalogue = _catalogue(LOCALE_DIR / language / "LC_MESSAGES" / "statement.po")
        messages = {(m.context, m.id): m for m in catalogue if m.id}
        assert set(messages) == ids, language
        for key, message in messages.items():
            assert message.string and not message.fuzzy, (language, key)
            assert sorted(PLACEHOLDER.findall(message.string)) == sorted(PLACEHOLDER.findall(key[1])), (language, key)


@pytest.mark.parametrize("tag, language", [
    ("en", "en"), ("fr", "fr"), ("fr-CA", "fr"), ("de-AT", "de"), ("nl", "nl"), ("es-419", "es"),
    ("ru", "ru"), ("uk", "uk"), ("ar", "ar"), ("ar-SA", "ar"), ("he", "he"),
    ("zh", "zh_Hans"), ("zh-Hans", "zh_Hans"), ("zh-CN", "zh_Hans"), ("zh-Hant", "zh_Hant"), ("zh-TW", "zh_Hant"),
    ("zh-HK", "zh_Hant"), ("pt", "en"), ("x-private", "en"), ("sr-Latn", "en"),
])
def test_catalogue_chosen_by_language_tag(tag, language):
    assert catalogue_language(tag) == language


def test_labels_and_footer_translated_and_english_fallback():
    assert translations("de").gettext("Issued by") == "Herausgegeben von"
    assert translations("zh_Hant").pgettext("document type", "press conference") == "記者會"
    assert translations("en").gettext("Issued by") == "Issued by"  # no catalogue: the message id
    assert page_label_parts("ar") == ["الصفحة ", "page", " من ", "pages"]
    assert page_label_parts("en") == ["Page ", "page", " of ", "pages"]


def test_dates_described_as_the_record_says_them():
    en, fr, ar = translations("en"), translations("fr"), translations("ar")
    cases = {
        ("2019", None): "2019", ("2019-06", None): "2019-06 (month)", ("2019~", None): "approximately 2019",
        ("2019?", None): "possibly 2019", ("2019-06/2019-08", None): "2019-06 (month) to 2019-08 (month)",
        ("../2020", None): "on or before 2020", ("undated", None): "undated",
        ("undated", "2019"): "undated; about 2019", ("undated", "2019~"): "undated; about 2019",
        ("2019-21", None): "2019-21 (spring)", ("201X", None): "201X (decade)",
    }
    for (value, estimate), expected in cases.items():
        assert describe_date(parse_issue_date(value, estimate), en) == expected
    assert describe_date(parse_issue_date("undated", "2019"), fr) == "non daté ; vers 2019"
    assert describe_date(parse_issue_date("2019-06"), ar) == "2019-06 (شهر)"


def test_page_label_recognised_in_every_language_and_nothing_else():
    for language in catalogue_languages():
        parts = page_label_parts(language)
        line = "".join({"page": "3", "pages": "12"}.get(p, p) for p in parts)
        assert _is_page_label(line), (language, line)
        # right-to-left footers come out of pdftotext in visual order
        assert _is_page_label(" ".join(reversed(line.split()))), (language, line)
    for body_line in ("Page 3 of the report", "Article 3 of 12 says", "3 of 12", "Seite 3"):
        assert not _is_page_label(body_line)


def test_a_changed_translation_changes_the_render_key(tmp_path, monkeypatch, project_dir, fonts_dir):
    from pipeline.render import RenderConfig, render_fingerprint
    from pipeline.render.fonts import FontSet

    config = RenderConfig(project_dir / "templates", fonts_dir, tmp_path / "build")
    fonts = FontSet(fonts_dir)
    before = render_fingerprint(config, fonts)
    copy = tmp_path / "locale"
    shutil.copytree(LOCALE_DIR, copy)
    monkeypatch.setattr(i18n, "LOCALE_DIR", copy)
    translations.cache_clear()
    try:
        assert render_fingerprint(config, fonts) == before  # same bytes, same key
        po = copy / "de" / "LC_MESSAGES" / "statement.po"
        po.write_text(po.read_text(encoding="utf-8").replace('"Herausgegeben von"', '"Hrsg."'), encoding="utf-8")
        assert render_fingerprint(config, fonts) != before
        assert translations("de").gettext("Issued by") == "Hrsg."
    finally:
        translations.cache_clear()


def test_a_fuzzy_translation_is_not_used(tmp_path, monkeypatch):
    copy = tmp_path / "locale"
    shutil.copytree(LOCALE_DIR, copy)
    po = copy / "nl" / "LC_MESSAGES" / "statement.po"
    po.write_text(po.read_text(encoding="utf-8").replace('msgid "Speaker"', '#, fuzzy\nmsgid "Speaker"'), encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", copy)
    translations.cache_clear()
    try:
        assert translations("nl").gettext("Speaker") == "Speaker"
        assert translations("nl").gettext("Issued by") == "Uitgegeven door"  # control: the rest still used
    finally:
        translations.cache_clear()


def test_colophon_catalogue_joins_the_page_messages(tmp_path, monkeypatch):
    """A colophon.po beside statement.po is read too; without one the page is unchanged."""
    from pipeline.i18n import page_translations

    copy = tmp_path / "locale"
    shutil.copytree(LOCALE_DIR, copy)
    (copy / "fr" / "LC_MESSAGES" / "colophon.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Archival rendition of %(identifier)s"\nmsgstr "Version d\'archivage de %(identifier)s"\n',
        encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", copy)
    page_translations.cache_clear()
    try:
        french, dutch = page_translations("fr"), page_translations("nl")
        assert french.gettext("Archival rendition of %(identifier)s") == "Version d'archivage de %(identifier)s"
        assert french.gettext("Issued by") == "Émis par"
        assert dutch.gettext("Archival rendition of %(identifier)s") == "Archival rendition of %(identifier)s"
        assert dutch.gettext("Issued by") == "Uitgegeven door"
    finally:
        page_translations.cache_clear()
