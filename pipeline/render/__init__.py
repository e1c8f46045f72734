"""The render stage: statements → PDF/A files.

Split like WeasyPrint itself, one concern per module: ``document`` builds
the HTML from the templates, ``fonts`` pins and confines the fonts,
``sandbox`` is the URL fetcher, ``xmp`` writes the metadata, ``pdf`` drives
WeasyPrint, ``renderer`` holds one set-up for many documents, ``store``
writes PDFs atomically with their render key, ``executors`` runs renderers
in a pool or on Dask, and ``stage`` decides what to render.
"""

from pipeline.render.pdf import DEFAULT_VARIANT, VARIANTS
from pipeline.render.renderer import RenderConfig, Renderer, RenderRefused, render_fingerprint, rendition_facts
from pipeline.render.stage import find_rendered, render_statements
from pipeline.render.store import load_rendered

__all__ = [
    "DEFAULT_VARIANT", "VARIANTS", "RenderConfig", "RenderRefused", "Renderer", "find_rendered",
    "load_rendered", "render_fingerprint", "render_statements", "rendition_facts",
]
