"""The validate stage's kept verdicts (pipeline/validate/verdicts.py): a record
whose exact bytes passed under the same schema and code is not put through the
schema again, and nothing else changes: every other record, every changed
record, every record under another schema is checked, and the report is the
same with and without the cache."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from pipeline.validate import validate_statements
from pipeline.validate.verdicts import CACHE_NAME
from test_validate import SCHEMA, found, write


@pytest.fixture()
def schema_calls(monkeypatch) -> list[str]:
    """Each record the JSON Schema validator is run on (by identifier)."""
    calls: list[str] = []
    real = Draft202012Validator.iter_errors

    def counting(self, instance, *args, **kwargs):
        if isinstance(instance, dict) and "identifier" in instance:  # not the schema itself (check_schema)
            calls.append(instance["identifier"])
        return real(self, instance, *args, **kwargs)

    monkeypatch.setattr(Draft202012Validator, "iter_errors", counting)
    return calls


def report_of(result) -> tuple:
    statements, report = result
    return [s.identifier for s in statements], report.problems, report.items


def test_an_unchanged_record_is_not_checked_against_the_schema_again(tmp_path: Path, schema_calls) -> None:
    folder, cache = tmp_path / "statements", tmp_path / "build" / "validate"
    write(folder, "s1")
    write(folder, "s2", title="Another statement")
    uncached = report_of(validate_statements(folder, SCHEMA))
    assert sorted(schema_calls) == ["s1", "s2"]  # positive control: without a cache both are checked
    first = report_of(validate_statements(folder, SCHEMA, verdict_cache=cache))
    assert sorted(schema_calls) == ["s1", "s1", "s2", "s2"]
    kept = json.loads((cache / CACHE_NAME).read_text(encoding="utf-8"))
    assert sorted(kept["passed"]) == sorted(hashlib.sha256((folder / f"{s}.json").read_bytes()).hexdigest()
                                            for s in ("s1", "s2"))
    schema_calls.clear()
    again = report_of(validate_statements(folder, SCHEMA, verdict_cache=cache))
    assert schema_calls == []
    assert again == first == uncached  # the same statements, problems and items either way


def test_a_changed_record_is_checked_and_its_error_reported(tmp_path: Path, schema_calls) -> None:
    folder, cache = tmp_path / "statements", tmp_path / "build" / "validate"
    write(folder, "s1")
    write(folder, "s2")
    assert validate_statements(folder, SCHEMA, verdict_cache=cache)[1].ok
    write(folder, "s2", date_issued="yesterday")  # the bytes differ: no kept verdict applies
    schema_calls.clear()
    statements, report = validate_statements(folder, SCHEMA, verdict_cache=cache)
    assert schema_calls == ["s2"]
    assert [s.identifier for s in statements] == ["s1"]
    assert found(report) == {("V002", "statements/s2.json", "/date_issued")}
    # only passes are kept, and only this run's: s2's old pass is gone
    kept = json.loads((cache / CACHE_NAME).read_text(encoding="utf-8"))
    assert kept["passed"] == [hashlib.sha256((folder / "s1.json").read_bytes()).hexdigest()]
    schema_calls.clear()
    again = validate_statements(folder, SCHEMA, verdict_cache=cache)[1]  # the error stays an error
    assert found(again) == {("V002", "statements/s2.json", "/date_issued")} and schema_calls == ["s2"]


def test_another_schema_checks_every_record_again(tmp_path: Path, schema_calls) -> None:
    folder, cache = tmp_path / "statements", tmp_path / "build" / "validate"
    write(folder, "s1")
    assert validate_statements(folder, SCHEMA, verdict_cache=cache)[1].ok
    stricter = json.loads(SCHEMA.read_text(encoding="utf-8"))
    stricter["required"] = [*stricter["required"], "description"]
    stricter["$id"] = stricter["$id"].rsplit(":", 1)[0] + ":99.0.0"
    schema = tmp_path / "stricter.schema.json"
    schema.write_text(json.dumps(stricter), encoding="utf-8")
    schema_calls.clear()
    _, report = validate_statements(folder, schema, verdict_cache=cache)
    assert schema_calls == ["s1"]
    assert any(p.file == "statements/s1.json" and "description" in p.message for p in report.errors)
    # and the shipped schema again: its old verdict was replaced, so s1 is checked once more
    schema_calls.clear()
    assert validate_statements(folder, SCHEMA, verdict_cache=cache)[1].ok
    assert schema_calls == ["s1"]


@pytest.mark.parametrize("damage", [b"", b"{not json", b'{"fingerprint": 1, "passed": "x"}', b"[]"])
def test_a_damaged_cache_means_everything_is_checked(tmp_path: Path, schema_calls, damage: bytes) -> None:
    folder, cache = tmp_path / "statements", tmp_path / "build" / "validate"
    write(folder, "s1")
    assert validate_statements(folder, SCHEMA, verdict_cache=cache)[1].ok
    (cache / CACHE_NAME).write_bytes(damage)
    schema_calls.clear()
    assert validate_statements(folder, SCHEMA, verdict_cache=cache)[1].ok
    assert schema_calls == ["s1"]
    schema_calls.clear()  # and the cache is whole again
    assert validate_statements(folder, SCHEMA, verdict_cache=cache)[1].ok
    assert schema_calls == []


def test_what_depends_on_more_than_the_bytes_is_checked_every_time(tmp_path: Path) -> None:
    """The same metadata bytes under another file name (V011), or without a body (V008)."""
    folder, cache = tmp_path / "statements", tmp_path / "build" / "validate"
    write(folder, "s1")
    assert validate_statements(folder, SCHEMA, verdict_cache=cache)[1].ok
    (folder / "s1.json").rename(folder / "other.json")
    (folder / "s1.txt").rename(folder / "other.txt")
    _, report = validate_statements(folder, SCHEMA, verdict_cache=cache)
    assert ("V011", "statements/other.json", "/identifier") in found(report)
    (folder / "other.json").rename(folder / "s1.json")
    (folder / "other.txt").unlink()
    _, report = validate_statements(folder, SCHEMA, verdict_cache=cache)
    assert ("V008", "statements/s1.json", "") in found(report)


@pytest.fixture()
def body_checks(monkeypatch) -> list[str]:
    """Each body whose own checks run (by file as shown in problems)."""
    from pipeline.validate import stage

    calls: list[str] = []
    real = stage._body_problems

    def counting(data: bytes, file: str):
        calls.append(file)
        return real(data, file)

    monkeypatch.setattr(stage, "_body_problems", counting)
    return calls


def test_an_unchanged_body_is_not_checked_again_and_a_changed_one_is(tmp_path: Path, body_checks) -> None:
    folder, cache = tmp_path / "statements", tmp_path / "build" / "validate"
    write(folder, "s1")
    write(folder, "s2", body=b"Other text.\n")
    first = report_of(validate_statements(folder, SCHEMA, verdict_cache=cache))
    assert sorted(body_checks) == ["statements/s1.txt", "statements/s2.txt"]  # control: checked once
    kept = json.loads((cache / CACHE_NAME).read_text(encoding="utf-8"))
    assert sorted(kept["passed_bodies"]) == sorted(hashlib.sha256(b).hexdigest()
                                                   for b in (b"Some text.\n", b"Other text.\n"))
    body_checks.clear()
    assert report_of(validate_statements(folder, SCHEMA, verdict_cache=cache)) == first
    assert body_checks == []
    (folder / "s2.txt").write_bytes(b"Other\x07text.\n")  # a control character: V015
    _, report = validate_statements(folder, SCHEMA, verdict_cache=cache)
    assert body_checks == ["statements/s2.txt"]
    assert found(report) == {("V015", "statements/s2.txt", "")}
    body_checks.clear()  # the error stays an error: only passes are kept
    assert found(validate_statements(folder, SCHEMA, verdict_cache=cache)[1]) == {("V015", "statements/s2.txt", "")}
    assert body_checks == ["statements/s2.txt"]


def test_bytes_that_passed_as_a_body_are_still_checked_as_a_record(tmp_path: Path, schema_calls) -> None:
    """Passes are kept by kind: a body's pass says nothing about the same bytes as metadata."""
    folder, cache = tmp_path / "statements", tmp_path / "build" / "validate"
    write(folder, "s1", body=b'{"identifier": "s2"}')  # a body that happens to be JSON
    assert validate_statements(folder, SCHEMA, verdict_cache=cache)[1].ok
    write(folder, "s2", raw=b'{"identifier": "s2"}')  # the same bytes as a record: not valid
    schema_calls.clear()
    _, report = validate_statements(folder, SCHEMA, verdict_cache=cache)
    assert schema_calls == ["s2"]
    assert any(p.file == "statements/s2.json" and p.severity == "error" for p in report.problems)
    assert not any(p.file.startswith("statements/s1") for p in report.problems)  # control: s1 still passes
