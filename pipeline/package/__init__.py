"""The package stage: bundle checked PDFs with their metadata and bodies into a
new dated, versioned BagIt package, chained to its predecessor, built aside
and renamed into place; only when something changed."""

from pipeline.package.stage import INDEX_PATH, package_statements

__all__ = ["INDEX_PATH", "package_statements"]
