"""Licences under which a font may be pinned (``fonts add --licence``).

A module of its own so that the CLI's parser, built by every command, can name
them without importing fontTools and the font tables (a tenth of a second of
start-up, serial time in every run, ``verify`` included).
"""

#: SPDX ids; "public-domain" has none.
ALLOWED_LICENCES = ("OFL-1.1", "Apache-2.0", "CC0-1.0", "public-domain")
