"""The check stage's kept verdicts are keyed by everything that reaches a verdict
(pipeline/check/cache.py): another pypdf, pikepdf or qpdf means every PDF is
checked again."""

from __future__ import annotations

import importlib.metadata

import pikepdf

from pipeline.check.cache import checker_fingerprint


def test_the_checker_fingerprint_names_its_pdf_readers(monkeypatch):
    before = checker_fingerprint()
    assert checker_fingerprint() == before  # control: nothing changed, the same key

    monkeypatch.setattr(pikepdf, "__libqpdf_version__", "0.0.1")
    assert checker_fingerprint() != before
    monkeypatch.undo()
    assert checker_fingerprint() == before

    monkeypatch.setattr(pikepdf, "__version__", "0.0.1")
    assert checker_fingerprint() != before
    monkeypatch.undo()

    real = importlib.metadata.version
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "0.0.1" if name == "pypdf" else real(name))
    assert checker_fingerprint() != before


def test_the_checker_fingerprint_names_the_code_and_catalogues_it_expects_text_by(monkeypatch):
    """The check expects a body's text as pipeline/statements lays it out and its
    labels as the catalogues say them: another of either is another checker."""
    import pipeline.check.cache as cache
    import pipeline.i18n as i18n

    before = checker_fingerprint()
    real = cache.source_digest
    monkeypatch.setattr(cache, "source_digest", lambda *packages: real(*packages) + (
        b"another markup.py" if "statements" in packages else b""))
    assert checker_fingerprint() != before
    monkeypatch.undo()
    assert checker_fingerprint() == before  # control
    monkeypatch.setattr(i18n, "catalogues_digest", lambda: "another catalogue")
    assert checker_fingerprint() != before
