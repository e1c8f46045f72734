"""PDF/A-1b output of the example corpus passes PDFBox Preflight.

Preflight (Debian's libpdfbox2-java) is an independent validator: it shares
no code with WeasyPrint, pypdf or this project.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from pipeline.cli import main

JARS = ["preflight", "pdfbox2", "fontbox2", "xmpbox", "commons-logging", "javax.activation", "jaxb-api"]
CLASSPATH = ":".join(f"/usr/share/java/{name}.jar" for name in JARS)


def preflight(pdf: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["java", "-cp", CLASSPATH, "org.apache.pdfbox.preflight.Validator_A1b", str(pdf)],
        capture_output=True, text=True, timeout=120,
    )


@pytest.fixture(scope="module")
def preflight_available():
    missing = [jar for jar in CLASSPATH.split(":") if not Path(jar).is_file()]
    if shutil.which("java") is None or missing:
        pytest.fail(
            "PDFBox Preflight is needed for this test: sudo apt-get install default-jre-headless "
            f"libpdfbox2-java libactivation-java libjaxb-api-java (missing: {missing or ['java']})"
        )


def preflight_failures(pdfs) -> dict[str, str]:
    """Each PDF Preflight does not call a valid PDF/A-1b file, with the end of what it said."""
    failures = {}
    for pdf in pdfs:
        result = preflight(pdf)
        if result.returncode != 0 or "is a valid PDF/A-1b file" not in result.stdout:
            failures[pdf.name] = (result.stdout + result.stderr)[-800:]
    return failures


def test_example_corpus_as_pdfa_1b_passes_preflight(preflight_available, corpus_copy, tmp_path):
    build_dir = tmp_path / "build"
    code = main(["render", "--statements", str(corpus_copy), "--build-dir", str(build_dir), "--variant", "1b", "--quiet"])
    assert code == 0
    pdfs = sorted((build_dir / "pdf").glob("*.pdf"))
    assert len(pdfs) == len(list(corpus_copy.glob("*.json")))
    assert preflight_failures(pdfs) == {}


def test_preflight_rejects_a_broken_pdfa(preflight_available, corpus_copy, tmp_path):
    """The validator can fail: a 1b PDF with its XMP identification removed is rejected."""
    build_dir = tmp_path / "build"
    assert main(["render", "--statements", str(corpus_copy), "--build-dir", str(build_dir), "--variant", "1b", "--quiet"]) == 0
    pdf = sorted((build_dir / "pdf").glob("*.pdf"))[0]
    broken = tmp_path / "broken.pdf"
    # Same length, so the cross-reference table stays valid: only the identification breaks.
    broken.write_bytes(pdf.read_bytes().replace(b"<pdfaid:part>1</pdfaid:part>", b"<pdfaid:part>7</pdfaid:part>"))
    result = preflight(broken)
    assert "is not a valid PDF/A-1b file" in result.stdout


@pytest.mark.long  # a whole-corpus run (~1-2 min); the example corpus above stays in plain `make test`
def test_shared_corpus_as_pdfa_1b_passes_preflight(preflight_available, tmp_path):
    """The twenty real statements of ../shared/corpus, in PDF/A-1b: the files on
    which page-validation disagrees (C013) must be ones Preflight accepts."""
    from shared_corpus import SHARED_CORPUS, write_shared_corpus

    if not SHARED_CORPUS.is_dir():
        pytest.skip(f"{SHARED_CORPUS} not present: the real-statement corpus is only on CI and developer machines")
    statements = tmp_path / "statements"
    write_shared_corpus(statements)
    build_dir = tmp_path / "build"
    options = ["--statements", str(statements), "--build-dir", str(build_dir), "--variant", "1b", "--quiet"]
    assert main(["render", *options]) == 0
    out = io.StringIO()
    assert main(["check", *options, "--json"], out=out) == 0, out.getvalue()[-3000:]
    pdfs = sorted((build_dir / "pdf").glob("*.pdf"))
    assert len(pdfs) == len(list(statements.glob("*.json")))
    assert preflight_failures(pdfs) == {}
    disagreements = [p for stage in json.loads(out.getvalue())["stages"] for p in stage["problems"]
                     if p["code"] == "C013"]
    assert all(p["severity"] == "warning" for p in disagreements)
