"""Paths inside a bag: RFC 8493 percent-encoding and safety checks.

A manifest line is ``<checksum> <filepath>``. In *filepath* a line feed, a
carriage return and the percent sign itself — those three and only those —
are written as ``%0A``, ``%0D`` and ``%25`` (RFC 8493 §2.1.3), so a file
name can never break a manifest line.

Paths in a bag are always relative and use ``/``; a path that could reach
outside the bag (absolute, ``..``) is unsafe whatever the file system says.
"""

from __future__ import annotations

import re

_ENCODED = re.compile(r"%(25|0[aA]|0[dD])")
_DECODE = {"25": "%", "0a": "\n", "0d": "\r"}


def encode_path(path: str) -> str:
    """Encode *path* for a manifest line (``%`` first, so nothing is encoded twice)."""
    return path.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def decode_path(text: str) -> str:
    """Decode a manifest filepath; one pass, so ``%250A`` becomes ``%0A``.

    Other ``%`` sequences are left as they are: RFC 8493 encodes only these three.
    """
    return _ENCODED.sub(lambda m: _DECODE[m.group(1).lower()], text)


def unsafe_reason(path: str) -> str | None:
    """Why *path* is not a safe relative path inside a bag, or ``None`` if it is."""
    if not path:
        return "empty path"
    if "\0" in path:
        return "path contains a NUL character"
    if path.startswith("/") or re.match(r"^[A-Za-z]:", path) or path.startswith("\\"):
        return "absolute path"
    if path.startswith("~"):
        return "path starts with '~' (a home folder to some tools)"
    for segment in path.split("/"):
        if segment == "..":
            return "path contains a '..' segment"
        if segment in ("", "."):
            return "path contains an empty or '.' segment"
    return None


def is_payload_path(path: str) -> bool:
    """True for paths under ``data/`` (the payload), false for tag files."""
    return path.startswith("data/") and len(path) > len("data/")
