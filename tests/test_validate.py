"""The validate stage: every problem of every record, by code and JSON pointer.

Each bad case writes real files into tmp_path/statements and compares the
(code, file, pointer) triples found, never the wording of messages.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.core.codes import CODES
from pipeline.core.errors import InputError
from pipeline.statements.langtag import is_well_formed
from pipeline.validate import validate_statements

PROJECT = Path(__file__).resolve().parents[1]
SCHEMA = PROJECT / "schemas" / "statement.schema.json"
SHIPPED = PROJECT / "statements"
SEED = PROJECT.parent / "shared" / "seed" / "embassy-nl-2019-huawei-5g-remarks.txt"

GOOD: dict[str, Any] = {
    "title": "A statement",
    "issuer": "Ministry of Foreign Affairs of the Republic of Examplia",
    "document_type": "statement",
    "date_issued": "2024-03-15",
    "languages": ["en"],
    "source": {"note": "written for the tests"},
    "rights": {"statement": "Public domain (test data)", "access": "public"},
}
DROP = object()  # a field value meaning "leave this field out"


def write(folder: Path, identifier: str = "s1", body: bytes | None = b"Some text.\n", suffix: str = ".txt",
          stem: str | None = None, raw: bytes | None = None, **fields: Any) -> None:
    """One statement as an officer would save it; ``raw`` replaces the metadata bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    metadata = {"identifier": identifier, **GOOD, **fields}
    metadata = {k: v for k, v in metadata.items() if v is not DROP}
    stem = identifier if stem is None else stem
    (folder / f"{stem}.json").write_bytes(raw if raw is not None else json.dumps(metadata).encode("utf-8"))
    if body is not None:
        (folder / f"{stem}{suffix}").write_bytes(body)


def found(report) -> set[tuple[str, str, str]]:
    return {(p.code, p.file, p.pointer) for p in report.problems}


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    return tmp_path / "statements"


def check(folder: Path):
    statements, report = validate_statements(folder, SCHEMA)
    assert all(p.code in CODES or p.code == "V016" for p in report.problems)
    assert all(len(p.message) < 400 and p.message for p in report.problems)
    return statements, report


# --- the shipped example statements ---------------------------------------------

def test_shipped_statements_all_validate_cleanly():
    statements, report = check(SHIPPED)
    assert [str(p) for p in report.problems] == []
    assert report.ok and len(statements) >= 7
    for s in statements:
        assert s.metadata_sha256 == hashlib.sha256(s.metadata_path.read_bytes()).hexdigest()
        assert s.body_sha256 == hashlib.sha256(s.body_path.read_bytes()).hexdigest()
        assert s.identifier == s.metadata_path.stem == s.body_path.stem
    assert [i["identifier"] for i in report.items] == sorted(s.identifier for s in statements)


def test_shipped_statements_carry_the_quirks_and_scripts_they_promise():
    bodies = {p.name: p.read_bytes() for p in SHIPPED.iterdir()
              if p.suffix in (".txt", ".md", ".html") and p.stem != "README"}
    everything = b"".join(bodies.values()).decode("utf-8", "replace")
    assert any(b.startswith(b"\xef\xbb\xbf") for b in bodies.values())
    assert any(0 < b.count(b"\r") == b.count(b"\n\r") for b in bodies.values())  # LF CR line endings
    assert re.search(r"\w\f\w", everything)
    assert "â€”" in everything and "\u00a0" in everything
    for script, pattern in {"Cyrillic": "[\u0400-\u04ff]", "Greek": "[\u0370-\u03ff]", "Chinese": "[\u4e00-\u9fff]",
                            "Arabic": "[\u0600-\u06ff]", "Hebrew": "[\u0590-\u05ff]"}.items():
        assert re.search(pattern, everything), script
    assert "\u200e" not in everything and "\u200f" not in everything
    assert max(len(b.split()) for b in bodies.values()) >= 2500
    html = [b.decode() for n, b in bodies.items() if n.endswith(".html")]
    assert any(h.count("<tr>") >= 9 and ("<ul>" in h or "<ol>" in h) for h in html)  # header + 8 rows
    assert any(n.endswith(".md") for n in bodies)


@pytest.mark.ci_required
def test_seed_is_kept_byte_for_byte():
    """The seed is an imported statement now: its capture is the seed, unchanged."""
    if not SEED.exists():
        pytest.skip(f"{SEED} not present (../shared is only on CI and developer machines)")
    assert (SHIPPED / "embassy-nl-2019-huawei-5g-remarks.capture.txt").read_bytes() == SEED.read_bytes()


def test_every_shipped_body_has_metadata_and_the_readme_is_ignored(tmp_path):
    copy = tmp_path / "statements"
    shutil.copytree(SHIPPED, copy)
    assert (copy / "README.md").exists()
    _, report = check(copy)
    assert report.problems == ()


# --- one kind of problem at a time ---------------------------------------------

F = "statements/s1.json"
B = "statements/s1.txt"

CASES: dict[str, tuple[dict[str, Any], set[tuple[str, str, str]]]] = {
    "V001_invalid_json": (dict(raw=b'{"identifier": "s1",\n  "title": }'), {("V001", F, "")}),
    "V001_duplicate_key": (dict(raw=b'{"identifier": "s1", "identifier": "s1"}'), {("V001", F, "")}),
    "V001_not_utf8": (dict(raw=b'{"identifier": "caf\xe9"}'), {("V001", F, "")}),
    "V002_title_not_string": (dict(title=42), {("V002", F, "/title")}),
    "V002_issuer_null": (dict(issuer=None), {("V002", F, "/issuer")}),
    "V002_title_blank": (dict(title="   "), {("V002", F, "/title")}),
    "V002_languages_not_array": (dict(languages="en"), {("V002", F, "/languages")}),
    "V002_languages_empty": (dict(languages=[]), {("V002", F, "/languages")}),
    "V002_languages_repeated": (dict(languages=["en", "en"]), {("V002", F, "/languages")}),
    "V002_document_type_enum": (dict(document_type="Press Release"), {("V002", F, "/document_type")}),
    "V002_access_enum": (dict(rights={"statement": "x", "access": "secret"}), {("V002", F, "/rights/access")}),
    "V002_url_without_scheme": (dict(source={"url": "nl.china-embassy.gov.cn"}), {("V002", F, "/source/url")}),
    "V002_url_with_space": (dict(source={"url": "https://example.org/a b"}), {("V002", F, "/source/url")}),
    "V002_date_form": (dict(date_issued="06/06/2019"), {("V002", F, "/date_issued")}),
    "V002_relation_type": (dict(relations=[{"type": "cites", "target": "x"}]), {("V002", F, "/relations/0/type")}),
    "V002_subjects_repeated": (dict(subjects=["a", "a"]), {("V002", F, "/subjects")}),
    "V003_unknown_field": (dict(titel="A statement", title=DROP), {("V003", F, "/titel"), ("V004", F, "/title")}),
    "V003_unknown_nested": (dict(source={"note": "n", "ulr": "https://x.org"}), {("V003", F, "/source/ulr")}),
    "V003_pointer_escaped": (dict(**{"a/b~c": 1}), {("V003", F, "/a~1b~0c")}),
    "V004_missing_title": (dict(title=DROP), {("V004", F, "/title")}),
    "V004_missing_everything": (dict(raw=b"{}"), {("V004", F, f"/{n}") for n in (
        "identifier", "title", "issuer", "document_type", "date_issued", "languages", "source", "rights")}),
    "V004_missing_access": (dict(rights={"statement": "x"}), {("V004", F, "/rights/access")}),
    "V004_source_needs_url_or_note": (dict(source={"publisher": "p"}), {("V004", F, "/source")}),
    "V005_february_30": (dict(date_issued="2019-02-30"), {("V005", F, "/date_issued")}),
    "V005_february_29_not_leap": (dict(date_issued="2019-02-29"), {("V005", F, "/date_issued")}),
    "V005_month_13": (dict(date_issued="2019-13"), {("V005", F, "/date_issued")}),
    "V005_day_00": (dict(date_issued="2019-06-00"), {("V005", F, "/date_issued")}),
    "V005_retrieved": (dict(source={"note": "n", "retrieved": "2019-02-30"}), {("V005", F, "/source/retrieved")}),
    "V006_underscore": (dict(languages=["en_US"]), {("V006", F, "/languages/0")}),
    "V006_language_name": (dict(languages=["en", "english"]), {("V006", F, "/languages/1")}),
    "V006_lone_x": (dict(languages=["x"]), {("V006", F, "/languages/0")}),
    "V006_trailing_hyphen": (dict(languages=["en-"]), {("V006", F, "/languages/0")}),
    "V006_two_bad": (dict(languages=["en_GB", "fr", "deutsch"]),
                     {("V006", F, "/languages/0"), ("V006", F, "/languages/2")}),
    "V008_missing_body": (dict(body=None), {("V008", F, "")}),
    "V008_body_suffix_unknown": (dict(suffix=".docx"), {("V008", F, "")}),
    "V009_invalid_utf8": (dict(body=b"caf\xe9 au lait\n"), {("V009", B, "")}),
    "V009_utf16_with_bom": (dict(body="\ufeffStatement".encode("utf-16-le")), {("V009", B, "")}),
    "V009_utf16_without_bom_non_ascii": (dict(body="Café".encode("utf-16-le")), {("V009", B, "")}),
    "V011_identifier_not_file_name": (dict(stem="s1", identifier="s2"), {("V011", F, "/identifier")}),
    "V012_dot_dot_slash": (dict(stem="s1", identifier="../x"), {("V012", F, "/identifier"), ("V011", F, "/identifier")}),
    "V012_upper_case_con": (dict(identifier="CON"), {("V012", "statements/CON.json", "/identifier")}),
    "V012_reserved_con": (dict(identifier="con"), {("V012", "statements/con.json", "/identifier")}),
    "V012_reserved_com1_with_suffix": (dict(identifier="com1.2019"), {("V012", "statements/com1.2019.json", "/identifier")}),
    "V012_double_dot": (dict(identifier="a..b"), {("V012", "statements/a..b.json", "/identifier")}),
    "V012_too_long": (dict(identifier="a" * 101), {("V012", f"statements/{'a' * 101}.json", "/identifier")}),
    "V012_space": (dict(stem="s1", identifier="s 1"), {("V012", F, "/identifier"), ("V011", F, "/identifier")}),
    "V013_empty_body": (dict(body=b""), {("V013", B, "")}),
    "V013_whitespace_body": (dict(body=b" \n\t\r\n\xc2\xa0\n"), {("V013", B, "")}),
    "V013_bom_only": (dict(body=b"\xef\xbb\xbf\n"), {("V013", B, "")}),
    "V015_nul": (dict(body=b"Text\x00more\n"), {("V015", B, "")}),
    "V015_escape_and_c1": (dict(body="Text\x1b[0m and \x85\n".encode()), {("V015", B, "")}),
    "V009_utf16_without_bom_ascii": (dict(body="A statement.\n".encode("utf-16-le")), {("V009", B, "")}),
    "V009_utf16_big_endian_without_bom": (dict(body="Déclaration.\n".encode("utf-16-be")), {("V009", B, "")}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_statement(folder, case):
    kwargs, expected = CASES[case]
    write(folder, **kwargs)
    statements, report = check(folder)
    assert found(report) == expected
    assert statements == [] and not report.ok and report.items == ()


def test_good_statement_for_contrast(folder):
    write(folder, subjects=["a", "b"], speaker="A. Speaker", description="d",
          source={"url": "https://example.org/x?y=1#z", "retrieved": "2020-02-29", "publisher": "p", "note": "n"},
          rights={"statement": "s", "licence": "CC0-1.0", "access": "closed"},
          relations=[{"type": "translation-of", "target": "s0", "note": "n"},
                     {"type": "references", "target": "https://example.org/other"}],
          languages=["en", "zh-Hans", "sr-Latn-RS", "x-private", "i-klingon"], date_issued="2020-02-29",
          **{"$schema": "../schemas/statement.schema.json"})
    statements, report = check(folder)
    assert report.problems == () and [s.identifier for s in statements] == ["s1"]
    assert statements[0].media_type == "text/plain"


@pytest.mark.parametrize("date", ["2019", "2019-06", "2019-06-06", "2020-02-29"])
def test_archival_date_precision(folder, date):
    write(folder, date_issued=date)
    assert check(folder)[1].problems == ()


@pytest.mark.parametrize(("suffix", "media_type"), [(".txt", "text/plain"), (".md", "text/markdown"),
                                                     (".html", "text/html")])
def test_body_media_types(folder, suffix, media_type):
    write(folder, suffix=suffix, body=b"\xef\xbb\xbfText\n\r\x0cmore\xc2\xa0text\n")  # BOM, LF CR, FF, NBSP: fine
    [statement], report = check(folder)
    assert report.problems == () and statement.media_type == media_type


# --- messages say what to do ----------------------------------------------------

def message(folder: Path, code: str) -> str:
    [problem] = [p for p in check(folder)[1].problems if p.code == code]
    return problem.message


def test_unknown_field_suggests_the_closest_known_name(folder):
    write(folder, titel="A statement", title=DROP)
    assert "did you mean `title`?" in message(folder, "V003")


def test_invalid_json_names_line_and_column(folder):
    write(folder, raw=b'{\n  "identifier": "s1",\n  "title": \n}')
    assert re.search(r"line 4, column 1\b", message(folder, "V001"))


def test_invalid_utf8_names_the_byte_offset(folder):
    write(folder, body=b"caf\xe9\n")
    assert "byte 3" in message(folder, "V009")


def test_control_character_names_offset_and_code_point(folder):
    write(folder, body=b"\xef\xbb\xbfText\x00more\n")
    text = message(folder, "V015")
    assert "U+0000" in text and "character 4" in text and "byte 7" in text


def test_utf16_without_bom_is_recognised(folder):
    write(folder, body="A statement.\n".encode("utf-16-le"))
    assert "UTF-16" in message(folder, "V009")


def test_long_values_are_truncated(folder):
    write(folder, document_type="x" * 5000, **{"y" * 5000: 1})
    _, report = check(folder)
    assert {p.code for p in report.problems} == {"V002", "V003"}
    # 5,000 characters shown as 60; the rest is the list of 16 allowed document types.
    assert all(len(p.message) < 400 for p in report.problems)


def test_duplicate_identifier_names_both_files(folder):
    write(folder, identifier="b", stem="a")
    write(folder, identifier="b")
    statements, report = check(folder)
    assert found(report) == {("V011", "statements/a.json", "/identifier"), ("V007", "statements/b.json", "/identifier")}
    [duplicate] = [p for p in report.problems if p.code == "V007"]
    assert "statements/a.json" in duplicate.message
    assert statements == []


def test_two_bodies_names_both(folder):
    write(folder, suffix=".txt")
    (folder / "s1.md").write_bytes(b"# Text\n")
    _, report = check(folder)
    assert found(report) == {("V010", F, "")}
    assert "s1.md" in report.problems[0].message and "s1.txt" in report.problems[0].message


# --- the folder as a whole -----------------------------------------------------

def test_every_error_of_every_record_in_one_run(folder):
    write(folder, identifier="a-good")
    write(folder, identifier="b-bad", titel="x", date_issued="2019-02-30", languages=["en_US"], body=b"\x00")
    write(folder, identifier="c-bad", raw=b"[1, 2")
    write(folder, identifier="d-bad", stem="d-bad", rights={"statement": "x"}, source={}, body=b"\xff")
    write(folder, identifier="e-bad", body=None)
    statements, report = check(folder)
    assert found(report) == {
        ("V003", "statements/b-bad.json", "/titel"),
        ("V005", "statements/b-bad.json", "/date_issued"),
        ("V006", "statements/b-bad.json", "/languages/0"),
        ("V015", "statements/b-bad.txt", ""),
        ("V001", "statements/c-bad.json", ""),
        ("V004", "statements/d-bad.json", "/rights/access"),
        ("V004", "statements/d-bad.json", "/source"),
        ("V009", "statements/d-bad.txt", ""),
        ("V008", "statements/e-bad.json", ""),
    }
    assert [s.identifier for s in statements] == ["a-good"]
    assert not report.ok and [i["identifier"] for i in report.items] == ["a-good"]


def test_body_without_metadata_is_a_warning_only(folder):
    write(folder)
    (folder / "orphan.html").write_bytes(b"<p>x</p>")
    (folder / "notes.docx").write_bytes(b"not archived")
    (folder / "README.md").write_text("# Statements\n")  # documented as ignored: no warning
    statements, report = check(folder)
    assert found(report) == {("V016", "statements/orphan.html", ""), ("V028", "statements/notes.docx", "")}
    assert report.ok and {p.severity for p in report.problems} == {"warning"} and len(statements) == 1


def test_empty_folder_has_no_statements(folder):
    folder.mkdir()
    (folder / "README.md").write_text("# Statements\n")
    _, report = check(folder)
    assert found(report) == {("V014", "statements", "")}


def test_report_is_the_same_every_run(folder):
    write(folder, identifier="z", titel="x")
    write(folder, identifier="a", languages=["english"])
    first = check(folder)[1].as_dict()
    assert check(folder)[1].as_dict() == first
    assert [p["file"] for p in first["problems"]] == ["statements/a.json", "statements/z.json"]


def test_nothing_is_logged(folder, caplog):
    write(folder, titel="x")
    with caplog.at_level(logging.DEBUG):
        check(folder)
    assert caplog.records == []


def test_unusable_schema_or_folder_is_an_input_error(tmp_path, folder):
    write(folder)
    with pytest.raises(InputError, match="no such folder of statements"):
        validate_statements(tmp_path / "nowhere", SCHEMA)
    bad_schema = tmp_path / "bad.schema.json"
    bad_schema.write_text('{"type": 5}')
    with pytest.raises(InputError, match="cannot use this schema"):
        validate_statements(folder, bad_schema)


def test_schema_describes_every_property():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))

    def walk(node: dict[str, Any], where: str) -> None:
        if node.get("type") == "object":
            assert node.get("additionalProperties") is False, where
        for name, child in node.get("properties", {}).items():
            assert child.get("description"), f"{where}/{name}"
            walk(child, f"{where}/{name}")
        if isinstance(node.get("items"), dict):
            walk(node["items"], f"{where}/items")

    walk(schema, "")


# --- language tags (RFC 5646 well-formedness) ------------------------------------

@pytest.mark.parametrize("tag", [
    "en", "EN", "uk", "zh-Hans", "zh-Hans-CN", "sr-Latn-RS", "de-CH-1901", "sl-rozaj-biske", "es-419",
    "zh-yue-HK", "en-a-bbb-x-ccc", "x-whatever", "qaa-Qaaa-QM-x-southern", "en-GB-oed", "i-klingon", "kut",
])
def test_well_formed_tags(tag):
    assert is_well_formed(tag)


@pytest.mark.parametrize("tag", [
    "en_US", "english", "x", "en-", "-en", "e", "en--US", "en-US-", "a-DE", "ar-a-aaa-b-bbb-a-",
    "en-x", "de-419-DE", "1en", "en US", "ελ", "en-abcdefghi",
])
def test_malformed_tags(tag):
    assert not is_well_formed(tag)


@given(
    st.from_regex(r"[a-z]{2,3}", fullmatch=True),
    st.none() | st.from_regex(r"[A-Z][a-z]{3}", fullmatch=True),
    st.none() | st.from_regex(r"[A-Z]{2}|[0-9]{3}", fullmatch=True),
)
def test_language_script_region_is_well_formed(language, script, region):
    assert is_well_formed("-".join(p for p in (language, script, region) if p))


@given(st.text(min_size=1, max_size=12))
def test_tags_with_other_characters_are_refused(tag):
    if re.search(r"[^A-Za-z0-9-]", tag):
        assert not is_well_formed(tag)


def test_a_statement_keeps_the_bytes_it_was_validated_from(tmp_path):
    """Later stages read the record from the bytes validation accepted (kept as
    bytes, not parsed: issue 15's memory), so those are the bytes of its digest."""
    from statement_factory import write_statement

    write_statement(tmp_path / "statements", "kept-1", "Body.\n", title="Kept “as read”")
    (statement,), report = validate_statements(tmp_path / "statements", SCHEMA)
    assert report.ok
    on_disk = statement.metadata_path.read_bytes()
    assert statement.metadata_bytes == on_disk
    assert hashlib.sha256(statement.metadata_bytes).hexdigest() == statement.metadata_sha256
    assert statement.metadata == json.loads(on_disk) and statement.metadata["title"] == "Kept “as read”"
    assert statement.metadata is not statement.metadata  # a fresh value each time: no caller can change another's


def test_a_file_that_grows_after_it_is_measured_is_read_on_to_the_limit(tmp_path, monkeypatch):
    """read_file sizes its buffer by fstat, then reads on: a file longer than fstat
    said (it grew in between) is read whole, or refused (V017) past the limit,
    as one read of the limit would have done."""
    import os

    from pipeline.statements import files

    path = tmp_path / "grew.txt"
    path.write_bytes(b"x" * 100)
    assert files.read_file(path, 1000, tmp_path) == b"x" * 100  # control: measured right
    real_fstat = os.fstat
    monkeypatch.setattr(files.os, "fstat",
                        lambda fd: os.stat_result((*real_fstat(fd)[:6], 10, *real_fstat(fd)[7:10])))
    assert files.read_file(path, 1000, tmp_path) == b"x" * 100
    assert files.read_file(path, 100, tmp_path) == b"x" * 100  # exactly the limit
    with pytest.raises(files.Unreadable) as refused:
        files.read_file(path, 99, tmp_path)
    assert refused.value.code == "V017"


def test_the_summary_later_stages_read_is_the_record_s_own_fields(tmp_path):
    """Validation hands on the fields the package reads of every statement, parsed
    once (Statement.summary); they are the record's, and a Statement made without
    them (as reproduce and the tests make them) parses them from its bytes."""
    from dataclasses import replace

    from statement_factory import write_statement

    from pipeline.core.records import SUMMARY_FIELDS, Statement

    write_statement(tmp_path / "statements", "sum-1", "Body.\n", title="Résumé", languages=["fr", "en"])
    write_statement(tmp_path / "statements", "sum-2", "Body.\n", title="Second")
    statements, report = validate_statements(tmp_path / "statements", SCHEMA)
    assert report.ok and len(statements) == 2
    for statement in statements:
        record = json.loads(statement.metadata_path.read_bytes())
        assert statement.summary == {key: record.get(key) for key in SUMMARY_FIELDS}
        assert statement.summary["title"] == {"sum-1": "Résumé", "sum-2": "Second"}[statement.identifier]
    first = statements[0]
    assert first.summary["languages"] == ["fr", "en"] and first.summary["rendition_date"] is None
    made = Statement(first.identifier, first.metadata_path, first.body_path, first.media_type, first.metadata_bytes)
    assert made.summary == first.summary  # control: the same summary, parsed here
    other = replace(first, metadata_bytes=statements[1].metadata_bytes, summary=None)
    assert other.summary["title"] == "Second"  # made from the bytes it is given


_SEGMENT = st.text(alphabet=st.sampled_from("ab.é_-x"), min_size=1, max_size=6).filter(lambda s: s != ".")


@given(st.lists(_SEGMENT, min_size=1, max_size=4))
def test_a_file_s_stem_and_suffix_are_split_as_pathlib_splits_them(segments):
    """Validate groups files by their path without the suffix, as text
    (stage._split_suffix): it must split exactly as PurePath does, or a body
    would be paired with another record's metadata, or with none."""
    from pathlib import PurePosixPath

    from pipeline.validate.stage import _split_suffix

    relative = "/".join(segments)
    path = PurePosixPath(relative)
    assert str(path) == relative  # the paths validate sees are already normal
    stem, suffix = _split_suffix(relative)
    assert suffix == path.suffix
    assert stem == (str(path.with_suffix("")) if path.suffix else relative)


def test_suffix_splitting_examples():
    from pipeline.validate.stage import _split_suffix

    assert _split_suffix("2019/a.b.json") == ("2019/a.b", ".json")
    assert _split_suffix("x.d/readme") == ("x.d/readme", "")  # a dot in a folder is no suffix
    assert _split_suffix(".hidden") == (".hidden", "") and _split_suffix("trailing.") == ("trailing.", "")
