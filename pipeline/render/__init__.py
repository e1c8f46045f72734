"""The render stage: statements → PDF/A files.

Split like WeasyPrint itself, one concern per module: ``document`` builds
the HTML from the templates, ``fonts`` pins and confines the fonts,
``sandbox`` is the URL fetcher, ``xmp`` writes the metadata, ``pdf`` drives
WeasyPrint, ``renderer`` holds one set-up for many documents,
``fingerprint`` says what a render depends on without loading WeasyPrint, ``store``
writes PDFs atomically with their render key, ``executors`` runs renderers
in a pool or on Dask, and ``stage`` decides what to render.
"""

from __future__ import annotations

import importlib

# Loaded on first use (PEP 562): importing pipeline.render.variants, as the
# CLI's --help does, must not import WeasyPrint.
_WHERE = {
    "DEFAULT_VARIANT": "variants", "VARIANTS": "variants",
    "RenderConfig": "fingerprint", "RenderRefused": "renderer", "Renderer": "renderer",
    "render_fingerprint": "fingerprint", "rendition_facts": "fingerprint",
    "find_rendered": "stage", "render_statements": "stage",
    "load_rendered": "store",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"pipeline.render.{_WHERE[name]}"), name)
