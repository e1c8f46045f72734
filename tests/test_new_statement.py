"""`statement-archive new`: a skeleton from the schema, and validation that guides field by field."""

from __future__ import annotations

import io
import json

import pytest

from pipeline.cli import main
from pipeline.validate import validate_statements
from pipeline.validate.skeleton import NOT_BY_HAND, placeholders, skeleton


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    return main([str(a) for a in argv], out=out, err=err), out.getvalue(), err.getvalue()


@pytest.fixture
def schema(project_dir):
    return project_dir / "schemas" / "statement.schema.json"


def test_the_skeleton_has_every_field_of_the_schema_with_its_guidance(schema):
    spec = json.loads(schema.read_text(encoding="utf-8"))
    record = skeleton(spec, "x-1")
    assert set(record) == set(spec["properties"]) - NOT_BY_HAND and "capture" in NOT_BY_HAND
    assert record["identifier"] == "x-1"
    assert record["title"].startswith("TODO (required): The statement's title")
    assert record["speaker"].startswith("TODO (optional")
    assert "'social media post'" in record["document_type"] and "'press conference'" in record["document_type"]
    assert record["rights"]["access"].endswith("One of: 'public', 'restricted', 'closed'.")
    assert "needed if you keep this optional field" in record["subjects"][0]


def test_new_then_validate_guides_field_by_field_until_the_record_is_valid(tmp_path, schema):
    folder = tmp_path / "statements"
    folder.mkdir()
    code, out, err = run("new", "nl-2026-001", "--statements", folder, "--schema", schema, "--body", "md")
    assert code == 0, err
    metadata, body = folder / "nl-2026-001.json", folder / "nl-2026-001.md"
    assert body.read_bytes() == b""
    _, report = validate_statements(folder, schema)
    unfilled = {p.pointer for p in report.problems if p.code == "V030"}
    assert unfilled == {pointer for pointer, _ in placeholders(json.loads(metadata.read_bytes()))}
    assert {"/title", "/issuer", "/date_issued", "/rights/access", "/languages/0"} <= unfilled
    # The schema's own complaints about a placeholder (pattern, list) are not repeated.
    assert not [p for p in report.problems if p.code in ("V002", "V005", "V006") and p.pointer in unfilled]
    # Positive control: filled in, optional fields deleted, text written: valid.
    record = json.loads(metadata.read_bytes())
    record.update(title="Remarks on 5G", issuer="Ministry of Examples", document_type="remarks",
                  date_issued="2026-11", languages=["en"], source={"note": "Typed from the press office's copy"},
                  rights={"statement": "Public domain", "access": "public"})
    for optional in ("alternative_titles", "speaker", "date_estimated", "subjects", "description", "relations"):
        record.pop(optional)
    metadata.write_text(json.dumps(record), encoding="utf-8")
    body.write_text("The text of the remarks.\n", encoding="utf-8")
    statements, report = validate_statements(folder, schema)
    assert report.problems == () and [s.identifier for s in statements] == ["nl-2026-001"]


def test_new_never_overwrites_and_refuses_unusable_identifiers(tmp_path, schema):
    folder = tmp_path / "statements"
    folder.mkdir()
    (folder / "taken.txt").write_text("kept\n")
    for identifier, expected in (("taken", "is taken"), ("Bad Name", "cannot be an identifier"),
                                 ("withdrawals", "withdrawals file")):
        code, _, err = run("new", identifier, "--statements", folder, "--schema", schema)
        assert code == 1 and expected in err, err
    assert sorted(p.name for p in folder.iterdir()) == ["taken.txt"]
    assert (folder / "taken.txt").read_text() == "kept\n"
