"""Parallel rendering gives the same bytes as one process and as the cache.

Real renders of the example corpus: in this process (workers=1), in a pool
of two worker processes (each keeping one Renderer for several documents),
and from a warm cache. A FontConfiguration that leaked state from one
document into the next, or a worker that rendered with other settings,
would make these bytes differ.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from pipeline.render.executors import LocalPool, RenderResult, local_executor
from pipeline.core.errors import EnvironmentProblem
from pipeline.render import RenderConfig, render_statements
from pipeline.validate import validate_statements


def pdf_bytes(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.glob("*.pdf"))}


@pytest.fixture(scope="module")
def corpus(project_dir):
    statements, report = validate_statements(project_dir / "statements", project_dir / "schemas" / "statement.schema.json")
    assert report.ok and len(statements) >= 7
    return statements


def test_same_bytes_with_one_or_two_workers_and_from_the_cache(tmp_path, project_dir, fonts_dir, corpus,
                                                               example_renditions):
    config = RenderConfig(project_dir / "templates", fonts_dir, tmp_path / "work")
    seen: list[tuple[int, str]] = []
    # One process: the run's shared render of the examples (`build --workers 1`, tests/conftest.py).
    one = pdf_bytes(example_renditions)
    assert sorted(one) == sorted(f"{s.identifier}.pdf" for s in corpus)
    # max_batch=2: several batches per worker, so each worker's Renderer is reused.
    two, report_two = render_statements(
        reversed(corpus), tmp_path / "two", config, executor=LocalPool(2, max_batch=2),
        progress=lambda index, statement, what: seen.append((index, what)),
    )
    assert report_two.ok
    assert sorted(seen) == [(i, "rendered") for i in range(1, len(corpus) + 1)]
    assert [r.statement.identifier for r in two] == [s.identifier for s in reversed(corpus)]
    assert pdf_bytes(tmp_path / "two") == one

    # Warm cache: nothing is rendered, the same files and digests come back.
    warm, report_warm = render_statements(corpus, tmp_path / "two", config, workers=2)
    assert [i["rendered"] for i in report_warm.items] == [False] * len(corpus)
    assert [r.pdf_sha256 for r in warm] == [hashlib.sha256(one[f"{s.identifier}.pdf"]).hexdigest() for s in corpus]

    # Half the cache gone: the rest is rendered by the pool, and still the same bytes.
    for stale in sorted((tmp_path / "two").glob("*.render.json"))[::2]:
        stale.unlink()
    _, report_mixed = render_statements(corpus, tmp_path / "two", config, workers=2)
    assert {i["rendered"] for i in report_mixed.items} == {True, False}
    assert pdf_bytes(tmp_path / "two") == one


def test_refused_statement_is_reported_from_a_worker_and_others_still_render(tmp_path, project_dir, fonts_dir):
    from statement_factory import write_statement

    good = write_statement(tmp_path / "in", "good", "Plain text.\n")
    bad = write_statement(tmp_path / "in", "bad", "A hieroglyph \N{EGYPTIAN HIEROGLYPH A001} no font has.\n")
    config = RenderConfig(project_dir / "templates", fonts_dir, tmp_path / "work")
    rendered, report = render_statements([bad, good], tmp_path / "out", config, workers=2)
    assert [p.code for p in report.problems] == ["R001"]
    assert [r.statement.identifier for r in rendered] == ["good"]


def test_a_result_from_another_renderer_or_damaged_on_the_way_is_refused():
    result = RenderResult("a", b"%PDF-", "0" * 64, (), "f" * 64)
    with pytest.raises(EnvironmentProblem, match="other templates"):
        result.verify("a", "e" * 64)
    with pytest.raises(EnvironmentProblem, match="damaged"):
        result.verify("a", "f" * 64)


def test_default_pool_is_sized_to_the_cores(monkeypatch):
    from pipeline.render.executors import InProcess, LocalPool

    monkeypatch.setattr("os.cpu_count", lambda: 3)
    assert local_executor(None) == LocalPool(3)
    assert local_executor(2) == LocalPool(2)  # an explicit number wins
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    assert local_executor(None) == InProcess()
    monkeypatch.setattr("os.cpu_count", lambda: None)  # unknown: one process
    assert local_executor(None) == InProcess()


def test_check_skips_only_pdfs_that_passed_the_same_checker_for_the_same_bytes(tmp_path, project_dir, fonts_dir, corpus,
                                                                                 example_renditions):
    import dataclasses

    from pipeline.check import check_changed

    config = RenderConfig(project_dir / "templates", fonts_dir, tmp_path / "work")
    # The examples' PDFs and render keys, without their check verdicts: nothing checked yet.
    shutil.copytree(example_renditions, tmp_path / "out", ignore=shutil.ignore_patterns("*.check.json"))
    rendered, reused = render_statements(corpus[:3], tmp_path / "out", config, workers=1)
    assert [i["rendered"] for i in reused.items] == [False] * 3
    first = check_changed(rendered, workers=2)
    assert first.ok and [i["checked"] for i in first.items] == ["now"] * 3
    again = check_changed(rendered, workers=1)
    assert [i["checked"] for i in again.items] == ["before"] * 3
    # the kept verdicts (equal lists kept once) are each PDF's own, as when it was checked
    assert [i["verdicts"] for i in again.items] == [i["verdicts"] for i in first.items]
    assert all(i["verdicts"] for i in again.items)
    # Other statement bytes (same PDF): checked again, and found wrong.
    edited = dataclasses.replace(rendered[0].statement, body_sha256="0" * 64)
    changed = [dataclasses.replace(rendered[0], statement=edited), *rendered[1:]]
    third = check_changed(changed, workers=1)
    assert [i["checked"] for i in third.items] == ["now", "before", "before"]
    assert "C004" in {p.code for p in third.problems}  # (and C010: the body file is not that)
    # A failed check leaves no verdict behind: it is checked (and fails) again.
    fourth = check_changed(changed, workers=1)
    assert fourth.items[0]["checked"] == "now" and "C004" in {p.code for p in fourth.problems}
