"""Verdicts of the check stage, kept so unchanged PDFs are not checked again.

``<identifier>.check.json`` beside a rendered PDF records that the check
stage passed these exact PDF bytes, for these exact metadata and body bytes
and variant, with this exact checker (the pipeline's source, pypdf, pikepdf
and its qpdf, the validators, pdftotext): the only case in which checking
again could not find anything new, so the only case it is skipped. Only
passes are recorded.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

from pipeline.core.records import RenderedStatement
from pipeline.core.files import write_atomically
from pipeline.core.sources import source_digest


def checker_fingerprint() -> str:
    """Digest of what decides a check verdict: the checking code, the statement
    and catalogue code and data it expects text by, and its tools (pypdf;
    pikepdf and the qpdf it is linked with; the validators; pdftotext)."""
    from importlib.metadata import version

    import pikepdf

    from pipeline.check.validators import validator_versions
    from pipeline.i18n import catalogues_digest

    readers = f"pypdf {version('pypdf')}; pikepdf {pikepdf.__version__} (qpdf {pikepdf.__libqpdf_version__})"
    digest = hashlib.sha256(f"{readers}; {validator_versions()}\n".encode())
    # The check's own code, and what it reads statements and labels with: the
    # body's layout, dates, scripts and the catalogues decide the text it expects.
    digest.update(source_digest("check", "statements", "i18n"))
    digest.update(catalogues_digest().encode())
    try:
        pdftotext = subprocess.run(["pdftotext", "-v"], capture_output=True, timeout=30)
        digest.update(pdftotext.stdout + pdftotext.stderr)
    except (OSError, subprocess.SubprocessError):
        digest.update(b"no pdftotext")  # the check itself will report it missing
    return digest.hexdigest()


def _verdict(item: RenderedStatement, checker: str) -> dict[str, str]:
    s = item.statement
    return {"pdf_sha256": item.pdf_sha256, "metadata_sha256": s.metadata_sha256,
            "body_sha256": s.body_sha256, "media_type": s.media_type, "variant": item.variant,
            "checker": checker}


def _verdict_path(item: RenderedStatement) -> Path:
    return item.pdf_path.with_name(f"{item.statement.identifier}.check.json")


def record_passed_check(item: RenderedStatement, checker: str, verdicts: list | None = None) -> None:
    """*verdicts*: the independent validators' (kept so a skipped check can still report them)."""
    record = {**_verdict(item, checker), "verdicts": verdicts or []}
    write_atomically(_verdict_path(item), (json.dumps(record, sort_keys=True) + "\n").encode())


def earlier_pass(item: RenderedStatement, checker: str) -> list | None:
    """The validators' verdicts kept with an earlier pass of these exact bytes by
    this checker (see the module docstring); None if there is none.

    ``item.pdf_sha256`` is trusted here because :func:`store_pdf` takes it
    from the bytes themselves, and :func:`load_rendered` from the bytes, or
    from what store_pdf wrote when the file is provably the one it stored.
    """
    if not (item.statement.metadata_sha256 and item.statement.body_sha256):
        return None
    try:
        stored = json.loads(_verdict_path(item).read_text(encoding="utf-8"))
        expected = _verdict(item, checker)
        if {key: stored.get(key) for key in expected} != expected:
            return None
        verdicts = stored.get("verdicts", [])
        return verdicts if isinstance(verdicts, list) else None
    except (OSError, ValueError, AttributeError):
        return None
