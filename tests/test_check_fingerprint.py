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
