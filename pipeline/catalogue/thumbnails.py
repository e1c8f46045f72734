"""A PNG of each PDF's first page, rendered at catalogue time with PDFium.

Named by the PDF's SHA-256, so a PDF shared by several package versions has
one thumbnail and an unchanged PDF is never rendered again. The bytes depend
only on the PDF, PDFium (pinned through pypdfium2) and Pillow's PNG encoder
(zlib), whose versions are part of every page key (:data:`RENDERER`).
"""

from __future__ import annotations

import io

import PIL
import pypdfium2

#: 40 pixels per inch: twice the 165 CSS pixels the page shows (sharp on a high-density
#: screen), ~25 KiB per statement. PDFium's cost hardly depends on it (it is mostly
#: loading the page), so a smaller size would save little.
DPI = 30
RENDERER = f"pypdfium2 {pypdfium2.version.PYPDFIUM_INFO} pdfium {pypdfium2.version.PDFIUM_INFO} " \
           f"Pillow {PIL.__version__} {DPI}dpi grey zlib1"


class ThumbnailFailed(Exception):
    pass


def thumbnail_name(pdf_sha256: str) -> str:
    return f"thumbnails/{pdf_sha256}.png"


def first_page_png(pdf: bytes) -> bytes:
    """The first page in grey (text and layout show; a fraction of the bytes)."""
    try:
        document = pypdfium2.PdfDocument(pdf)
    except pypdfium2.PdfiumError as exc:
        raise ThumbnailFailed(f"PDFium cannot open it: {exc}") from None
    try:
        if len(document) == 0:
            raise ThumbnailFailed("the PDF has no pages")
        page = document[0]
        try:
            image = page.render(scale=DPI / 72, grayscale=True).to_pil()
        finally:
            page.close()
    finally:
        document.close()
    out = io.BytesIO()
    # zlib level 1: a third of level 6's time for 8% more bytes (at level 6, encoding
    # took longer than PDFium's rendering)
    image.save(out, format="PNG", optimize=False, compress_level=1)
    return out.getvalue()
