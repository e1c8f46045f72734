"""The check stage: read every rendered PDF back and prove it (identification,
XMP against the record, embedded files, fonts, language, the body's text, the
colophon) and by independent validators (:mod:`.validators`: page-validation,
Siegfried), checking only what has not provably passed before."""

from pipeline.check.runner import check_changed

__all__ = ["check_changed", "check_pdfs"]


def __getattr__(name: str):
    # Loaded on first use (PEP 562): a build whose PDFs all passed before
    # loads no PDF reader (pypdf, pikepdf) to say so.
    if name == "check_pdfs":
        from pipeline.check.stage import check_pdfs

        return check_pdfs
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
