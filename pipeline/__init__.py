"""Archival packaging of official statements.

Stages, each one package: ``validate`` → ``render`` → ``check`` → ``package``;
``verify`` checks packages at any later time, ``submit`` sends them on,
``export`` moves them as tar files. They share ``core`` and the layers
``statements``, ``bagit``, ``archive`` and ``events``, and never import each
other (``tests/test_layout.py``). ``cli`` is the thin command line.
"""

__version__ = "0.1.0"
SOFTWARE_AGENT = f"statement-archive/{__version__}"
