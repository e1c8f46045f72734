"""The check stage: read every rendered PDF back and prove it (identification,
XMP against the record, embedded files, fonts, language, the body's text, the
colophon) and by independent validators (:mod:`.validators`: page-validation,
Siegfried), checking only what has not provably passed before."""

from pipeline.check.runner import check_changed
from pipeline.check.stage import check_pdfs

__all__ = ["check_changed", "check_pdfs"]
