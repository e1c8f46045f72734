"""Archival packaging of official statements.

Stages, each one module: ``validate`` → ``render`` → ``check_pdf`` → ``package``;
``verify`` checks packages at any later time. ``cli`` is the thin command line.
"""

__version__ = "0.1.0"
SOFTWARE_AGENT = f"statement-archive/{__version__}"
