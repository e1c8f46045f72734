"""The whole pipeline over the twenty real statements of ../shared/corpus.

Third-party data: read there, never copied into the project. Skipped, with
the reason, where ../shared is absent (a user's clone); CI has it.
"""

from __future__ import annotations

import io
import json

import bagit
import pytest

from pipeline.cli import main
from shared_corpus import SHARED_CORPUS, write_shared_corpus

# A whole-corpus run (~1-1.5 min): CI and `make test-all` run it, plain `make test` does not.
pytestmark = [pytest.mark.long, pytest.mark.ci_required, pytest.mark.skipif(
    not SHARED_CORPUS.is_dir(), reason=f"{SHARED_CORPUS} not present: the real-statement corpus is only on CI and developer machines"
)]


def test_real_statements_build_check_package_and_verify(tmp_path):
    statements = tmp_path / "statements"
    identifiers = write_shared_corpus(statements)
    assert len(identifiers) == 20
    out, err = io.StringIO(), io.StringIO()
    code = main(["build", "--statements", str(statements), "--archive", str(tmp_path / "archive"),
                 "--build-dir", str(tmp_path / "build"), "--date", "2026-11-28", "--json", "--quiet"],
                out=out, err=err)
    report = json.loads(out.getvalue())
    assert code == 0, json.dumps([s["problems"] for s in report["stages"]], indent=1, ensure_ascii=False) + err.getvalue()
    assert report["package"]["statements"] == 20
    [package] = sorted((tmp_path / "archive").glob("statements-*"))
    bagit.Bag(str(package)).validate()
    out = io.StringIO()
    assert main(["verify", "--archive", str(tmp_path / "archive")], out=out) == 0
