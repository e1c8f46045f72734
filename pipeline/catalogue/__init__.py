"""Stage: a static, offline finding aid of the archive (``catalogue/``).

Reads ``archive/`` only (each package's ``data/index.json``, manifest,
``bag-info.txt`` and statement files, and ``archive/events.jsonl``) and writes
HTML pages, a search index as a script and PDF thumbnails that work from
``file://`` with nothing but a browser. Same archive, same bytes; a page is
written only when its bytes change. Entry point: :func:`.stage.build_catalogue`.
"""
