"""Paths inside a bag: RFC 8493 percent-encoding and safety checks.

A manifest line is ``<checksum> <filepath>``. In *filepath* a line feed, a
carriage return and the percent sign itself — those three and only those —
are written as ``%0A``, ``%0D`` and ``%25`` (RFC 8493 §2.1.3), so a file
name can never break a manifest line. An un-encoded CR or LF therefore
cannot occur inside a path: it ends the line, and what follows is read as a
(malformed) line of its own.

Our policy for a ``%`` that is followed by anything else (``100%.txt``,
``%41``): BagIt 1.0 says a ``%`` MUST be encoded, so such a path breaks the
RFC and is reported as an error, but it is read literally (nothing else is
decoded), so the file it names is still found and checked. BagIt 0.97 had no
rule for ``%``, and its main writer (bagit-python) leaves ``%`` as it is and
encodes only CR and LF; for 0.97 bags we decode ``%0D`` and ``%0A`` only.

Paths in a bag are always relative and use ``/``; a path that could reach
outside the bag (absolute, ``..``) is unsafe whatever the file system says.
"""

from __future__ import annotations

from typing import Iterable

import unicodedata

import re

_ENCODED = re.compile(r"%(25|0[aA]|0[dD])")
_LEGACY_ENCODED = re.compile(r"%(0[aA]|0[dD])")
_BARE_PERCENT = re.compile(r"%(?!25|0[aA]|0[dD])")
_DECODE = {"25": "%", "0a": "\n", "0d": "\r"}
_DRIVE = re.compile(r"[A-Za-z]:")


def encode_path(path: str) -> str:
    """Encode *path* for a manifest line (``%`` first, so nothing is encoded twice)."""
    return path.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def decode_path(text: str, *, legacy: bool = False, escapes: frozenset[str] | None = None) -> str:
    """Decode a manifest filepath; one pass, so ``%250A`` becomes ``%0A``.

    Other ``%`` sequences are left as they are: RFC 8493 encodes only these
    three. With *legacy* (BagIt 0.97) only ``%0D`` and ``%0A`` are decoded;
    *escapes* (from :mod:`.versions`) names the ones a version decodes, if any.
    """
    if "%" not in text:
        return text  # nothing to decode (most paths; 20,000 in a package of 10,000 statements)
    if escapes is not None:
        if not escapes:
            return text  # before 0.97 no escape was defined: '%' is literal
        pattern = _ENCODED if "25" in escapes else _LEGACY_ENCODED
    else:
        pattern = _LEGACY_ENCODED if legacy else _ENCODED
    return pattern.sub(lambda m: _DECODE[m.group(1).lower()], text)


def has_bare_percent(text: str) -> bool:
    """True if the encoded *text* has a ``%`` that does not start %25, %0A or %0D."""
    return "%" in text and bool(_BARE_PERCENT.search(text))


def unsafe_reason(path: str) -> str | None:
    """Why *path* is not a safe relative path inside a bag, or ``None`` if it is."""
    if not path:
        return "empty path"
    if "\0" in path:
        return "path contains a NUL character"
    if path.startswith("/") or _DRIVE.match(path) or path.startswith("\\"):
        return "absolute path"
    if path.startswith("~"):
        return "path starts with '~' (a home folder to some tools)"
    for segment in path.split("/"):
        if segment == "..":
            return "path contains a '..' segment"
        if segment in ("", "."):
            return "path contains an empty or '.' segment"
    # On Windows '\' separates folders too, so 'data\..\x' would climb out there.
    if "\\" in path and any(segment == ".." for segment in re.split(r"[/\\]", path)):
        return "path contains a '..' segment (with '\\' as the separator)"
    return None


def is_payload_path(path: str) -> bool:
    """True for paths under ``data/`` (the payload), false for tag files."""
    return path.startswith("data/") and len(path) > len("data/")


# -- portability ------------------------------------------------------------
# Payload paths that cannot all survive a copy to another file system.
# 
# Two names that differ only by case (``Report.pdf``, ``report.pdf``) are one
# file on Windows and on macOS by default; two that differ only by Unicode
# normalisation (``é`` as one code point, NFC, or as ``e`` plus a combining
# accent, NFD) are one file on macOS, which may also rename one into the
# other. Either way, copying such a bag loses a file. The bag is still valid
# where it is, so these are warnings (RFC 8493 §6 asks implementations to
# take care with such names).

def portability_hazards(paths: Iterable[str]) -> list[tuple[tuple[str, ...], str]]:
    """Groups of distinct paths that would collide, each with the reason, sorted."""
    by_form: dict[str, set[str]] = {}
    for path in set(paths):
        by_form.setdefault(unicodedata.normalize("NFC", path), set()).add(path)
    hazards = [(tuple(sorted(group)), "differ only by Unicode normalisation (NFC/NFD)")
               for group in by_form.values() if len(group) > 1]
    by_case: dict[str, set[str]] = {}
    for form in by_form:
        by_case.setdefault(unicodedata.normalize("NFC", form.casefold()), set()).add(form)
    for forms in by_case.values():
        if len(forms) > 1:
            members = tuple(sorted(p for form in forms for p in by_form[form]))
            hazards.append((members, "differ only by upper/lower case"))
    return sorted(hazards)
