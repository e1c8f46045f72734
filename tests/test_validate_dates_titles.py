"""Schema 1.1: EDTF dates, undated statements, alternative titles, new document types, the version."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pipeline.core.codes import CODES
from pipeline.core.errors import InputError
from pipeline.validate import schema_version, validate_statements
from test_validate import GOOD, SCHEMA, SHIPPED, found, write
from shared_corpus import SHARED_CORPUS, write_shared_corpus


def check(folder: Path):
    return validate_statements(folder, SCHEMA)


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    return tmp_path / "statements"


@pytest.mark.parametrize("value", [
    "2019", "2019-06", "2019-06-06", "2019?", "2019~", "2019%", "2019-06/2019-08", "../2020", "2019/..",
    "/2020", "2019/", "201X", "2019-XX", "2019-21", "undated",
])
def test_edtf_level_1_and_undated_accepted(folder, value):
    write(folder, date_issued=value)
    statements, report = check(folder)
    assert report.ok, report.problems
    assert len(statements) == 1


@pytest.mark.parametrize("value, code", [
    ("2019-02-30", "V005"), ("2019-13", "V005"), ("2020/2019", "V005"), ("0000", "V005"),
    ("2019-6", "V002"), ("19", "V002"), ("2019/06/06", "V002"), ("June 2019", "V002"),
    ("2019-06-06T10:00Z", "V002"), ("Undated", "V002"), ("", "V002"),
])
def test_bad_dates_name_file_and_field(folder, value, code):
    write(folder, date_issued=value)
    _, report = check(folder)
    assert found(report) == {(code, "statements/s1.json", "/date_issued")}


def test_estimate_only_with_undated(folder):
    write(folder, "ok", date_issued="undated", date_estimated="2019~")
    write(folder, "dated", date_issued="2019", date_estimated="2019")
    write(folder, "bad-estimate", date_issued="undated", date_estimated="2019-02-30")
    _, report = check(folder)
    assert found(report) == {
        ("V022", "statements/dated.json", "/date_estimated"),
        ("V005", "statements/bad-estimate.json", "/date_estimated"),
    }


def test_new_document_types(folder):
    for index, kind in enumerate(("social media post", "press conference", "press briefing")):
        write(folder, f"s{index}", document_type=kind)
    write(folder, "bad", document_type="tweet")
    statements, report = check(folder)
    assert {s.identifier for s in statements} == {"s0", "s1", "s2"}
    assert found(report) == {("V002", "statements/bad.json", "/document_type")}


def test_alternative_titles(folder):
    write(folder, "ok", languages=["ar"], alternative_titles=[
        {"title": "Statement on the floods", "language": "en", "official": False},
        {"title": "關於水災的聲明", "language": "zh-Hant"},
    ])
    write(folder, "same-as-first", languages=["ar"], alternative_titles=[{"title": "بيان", "language": "ar"}])
    write(folder, "twice", alternative_titles=[{"title": "Un", "language": "fr"}, {"title": "Deux", "language": "FR"}])
    write(folder, "bad-tag", alternative_titles=[{"title": "Un", "language": "fr_FR"}])
    write(folder, "no-language", alternative_titles=[{"title": "Un"}])
    write(folder, "bad-official", alternative_titles=[{"title": "Un", "language": "fr", "official": "yes"}])
    write(folder, "unknown-field", alternative_titles=[{"title": "Un", "language": "fr", "offical": True}])
    statements, report = check(folder)
    assert [s.identifier for s in statements] == ["ok"]
    assert found(report) == {
        ("V023", "statements/same-as-first.json", "/alternative_titles/0/language"),
        ("V023", "statements/twice.json", "/alternative_titles/1/language"),
        ("V006", "statements/bad-tag.json", "/alternative_titles/0/language"),
        ("V004", "statements/no-language.json", "/alternative_titles/0/language"),
        ("V002", "statements/bad-official.json", "/alternative_titles/0/official"),
        ("V003", "statements/unknown-field.json", "/alternative_titles/0/offical"),
    }


def test_new_codes_are_in_the_table():
    assert CODES["V022"][0] == CODES["V023"][0] == "error"


def test_schema_version_is_in_its_id_and_in_every_item(folder):
    assert schema_version(SCHEMA) == "urn:statement-archive:schema:statement:1.3.0"
    write(folder)
    _, report = check(folder)
    assert [item["schema"] for item in report.items] == ["urn:statement-archive:schema:statement:1.3.0"]


def test_a_schema_without_a_version_is_refused(tmp_path, folder):
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    schema["$id"] = "urn:statement-archive:schema:statement"
    unversioned = tmp_path / "schema.json"
    unversioned.write_text(json.dumps(schema), encoding="utf-8")
    write(folder)
    with pytest.raises(InputError, match=r"its \$id must end with its version"):
        validate_statements(folder, unversioned)


def test_records_valid_under_1_0_stay_valid(tmp_path):
    """The shipped examples and the shared corpus (written for schema 1) validate unchanged."""
    copy = tmp_path / "shipped"
    shutil.copytree(SHIPPED, copy)
    folders = [copy]
    if SHARED_CORPUS.is_dir():  # beside the checkout (CI has it); without it the shipped examples only
        write_shared_corpus(tmp_path / "shared")
        folders.append(tmp_path / "shared")
    for folder in folders:
        statements, report = check(folder)
        assert report.ok, report.problems
        assert statements
