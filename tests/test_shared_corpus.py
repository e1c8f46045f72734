"""The twenty real statements of ../shared/corpus, in our schema, validate cleanly.

Third-party data: read there, written only into tmp_path, never into the
project. Skipped, with the reason, where ../shared is absent (a user's clone).
"""

from __future__ import annotations

import hashlib
import json

import pytest

from pipeline.validate import validate_statements
from shared_corpus import (
    SCHEMA_PATH, SHARED_CORPUS, body_file, document_type, facts_files, identifier_for,
    write_shared_corpus,
)

pytestmark = [pytest.mark.ci_required, pytest.mark.skipif(
    not SHARED_CORPUS.is_dir(),
    reason=f"../shared/corpus not present: {SHARED_CORPUS} does not exist (the real-statement corpus is only "
           "on CI and developer machines; set STATEMENT_ARCHIVE_SHARED_CORPUS to point elsewhere)",
)]


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    statements = tmp_path_factory.mktemp("shared") / "statements"
    identifiers = write_shared_corpus(statements)
    return statements, identifiers


def test_all_twenty_validate_with_no_problem_at_all(written):
    statements, identifiers = written
    assert len(identifiers) == 20 == len(set(identifiers))
    valid, report = validate_statements(statements, SCHEMA_PATH)
    assert [str(p) for p in report.problems] == []
    assert sorted(s.identifier for s in valid) == sorted(identifiers)


def test_bodies_are_the_source_bytes(written):
    statements, _ = written
    valid, _ = validate_statements(statements, SCHEMA_PATH)
    by_identifier = {s.identifier: s for s in valid}
    for path in facts_files():
        facts = json.loads(path.read_text(encoding="utf-8"))
        statement = by_identifier[identifier_for(path.stem)]
        source = body_file(facts).read_bytes()
        assert hashlib.sha256(source).hexdigest() == facts["sha256"], f"{path.name}: corpus body changed"
        assert statement.body_path.read_bytes() == source
        assert statement.body_sha256 == facts["sha256"]


def test_facts_map_onto_our_fields(written):
    statements, _ = written
    records = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in statements.glob("*.json")}
    by_id = {r["identifier"]: r for r in records.values()}
    assert by_id["012-unga-general-debate-ukraine-2022"]["date_issued"] == "2022"
    assert by_id["010-ukraine-president-address-2022-05-17-uk"]["document_type"] == "address"
    assert by_id["033-netherlands-mfa-decision-archive-access-1965-1974"]["languages"] == ["nl"]
    assert by_id["033-netherlands-mfa-decision-archive-access-1965-1974"]["document_type"] == "decision"
    assert all(r["source"]["url"].startswith("https://") for r in records.values())
    assert all("commit" in r["source"]["note"] for r in records.values())


@pytest.mark.parametrize(("free_text", "ours"), [
    ("video address transcript", "address"),
    ("speech / statement to the UN General Assembly", "speech"),
    ("press briefing transcript", "press briefing"),
    ("background briefing transcript", "press briefing"),
    ("statement by the Secretary of State", "statement"),
    ("ministerial decision (besluit)", "decision"),
    ("joint statement", "joint statement"),
    ("media note", "media note"),
])
def test_document_type_mapping(free_text, ours):
    assert document_type(free_text) == ours


def test_unknown_document_type_is_refused_not_guessed():
    with pytest.raises(ValueError, match="no document_type for 'podcast episode'"):
        document_type("podcast episode")
