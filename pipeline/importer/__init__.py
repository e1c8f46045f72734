"""The import stage: web captures in, draft statements out.

A capture (a saved HTML page, a plain-text capture, a WARC or WACZ record)
is kept byte for byte as the statement's evidence; the statement's own text
is extracted from it (trafilatura for HTML, line logic for text) and
recorded as a derivation (tool, version, kept and dropped ranges); the
metadata is drafted with where each field came from. Nothing is fetched.
(The package is ``importer`` because ``import`` is a Python keyword.)
"""
