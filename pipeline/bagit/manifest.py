"""Checksums and manifest files.

Every file is read once, in 1 MiB chunks, feeding all the algorithms it is
checked with. Manifests are written sorted by path, one ``<hex>  <path>``
line each, LF endings, UTF-8, paths percent-encoded (see :mod:`.paths`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from io import RawIOBase
from typing import BinaryIO, Callable, Iterable, Mapping, Sequence

from pipeline.bagit.paths import decode_path, encode_path, has_bare_percent
from pipeline.bagit.textlines import split_lines
from pipeline.bagit.versions import CURRENT, VERSIONS, BagItVersion

CHUNK_SIZE = 1 << 20

#: Algorithms we write, strongest last; every bag we make has both manifests.
WRITTEN_ALGORITHMS: tuple[str, ...] = ("sha256", "sha512")

#: Algorithms we can check, with the length of their hex digest. md5 and
#: sha1 are read for old bags only (RFC 8493 §2.4); we never write them.
HEX_LENGTHS: Mapping[str, int] = {
    "md5": 32,
    "sha1": 40,
    "sha224": 56,
    "sha256": 64,
    "sha384": 96,
    "sha512": 128,
}

_LINE = re.compile(r"([^ \t]+)[ \t]+(.*)", re.DOTALL)
_HEX = re.compile(r"[0-9a-fA-F]+")


@dataclass(frozen=True)
class FileDigest:
    """Size and hex digests (lower case) of one file's bytes."""

    size: int
    digests: Mapping[str, str]


def hash_stream(
    stream: BinaryIO | RawIOBase,
    algorithms: Iterable[str],
    sink: Callable[[memoryview], object] | None = None,
) -> FileDigest:
    """Read *stream* to the end once, hashing with every algorithm.

    *sink*, if given, receives each chunk too (to copy while hashing); the chunk
    is a view of a buffer read into again next, so the sink must use it at once
    (a file's ``write`` does).
    """
    ordered = sorted(set(algorithms))
    size, digests = hash_unbuffered(stream, ordered, sink)
    return FileDigest(size, dict(zip(ordered, digests)))


_buffers = threading.local()


def hash_unbuffered(stream: BinaryIO | RawIOBase, algorithms: Sequence[str],
                    sink: Callable[[memoryview], object] | None = None) -> tuple[int, tuple[str, ...]]:
    """Size and hex digests, in *algorithms*' order, of *stream* read to the end once
    (:func:`hash_stream` without making a :class:`FileDigest`: what a hashing
    process hands back).

    Read into one buffer kept per thread, not a new 1 MiB object made and freed
    per read, which costs a mapping and its page faults each time: a tenth of
    the time to hash a typical 50 KB PDF (measured). An unbuffered *stream*
    (``os.fdopen(fd, "rb", buffering=0)``) is read straight into it.
    """
    view = getattr(_buffers, "view", None)
    if view is None:
        view = _buffers.view = memoryview(bytearray(CHUNK_SIZE))
    hashers = [hashlib.new(alg) for alg in algorithms]
    size = 0
    while count := stream.readinto(view):
        size += count
        chunk = view[:count]
        for hasher in hashers:
            hasher.update(chunk)
        if sink is not None:
            sink(chunk)
    return size, tuple(hasher.hexdigest() for hasher in hashers)


def hash_file(path: Path, algorithms: Iterable[str]) -> FileDigest:
    """Hash one file (not following a final symlink would be the caller's job)."""
    with open(path, "rb") as stream:
        return hash_stream(stream, algorithms)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def format_manifest(entries: Mapping[str, str]) -> bytes:
    """Manifest file bytes for *entries* (path → hex digest), sorted by path."""
    lines = [f"{entries[path]}  {encode_path(path)}\n" for path in sorted(entries)]
    return "".join(lines).encode("utf-8")


@dataclass(frozen=True)
class ParsedManifest:
    """A manifest as read.

    ``entries``: decoded path → lower-case hex. ``errors``: ``(line, reason)``
    for lines that could not be used. ``duplicates``: ``(line, path)`` for a
    path already listed on an earlier line (the first entry is kept).
    ``starred``: ``(line, path)`` for md5sum's binary-mode ``*`` before the
    path (stripped). ``bare_percent``: ``(line, path)`` for a ``%`` that is not
    an RFC 8493 escape (kept literally; see :mod:`.paths`): an error in 1.0,
    allowed before.
    """

    entries: Mapping[str, str]
    errors: tuple[tuple[int, str], ...]
    duplicates: tuple[tuple[int, str], ...] = ()
    starred: tuple[tuple[int, str], ...] = ()
    bare_percent: tuple[tuple[int, str], ...] = ()
    base64: tuple[int, ...] = ()


def parse_manifest(data: bytes, algorithm: str, *, legacy: bool = False,
                   version: BagItVersion | None = None, encoding: str = "utf-8") -> ParsedManifest:
    """Parse manifest bytes strictly: every line must be ``<hex> <path>``.

    Lines may end in LF, CR or CRLF. *legacy* (BagIt 0.97) decodes only
    ``%0D`` and ``%0A`` in paths and does not report a bare ``%``. *version*
    (see :mod:`.versions`), when given, decides instead: which escapes are
    decoded, whether a bare ``%`` is an error (1.0), whether a BOM is, and
    whether base64 checksums are read (0.93). ``base64`` lists their lines.
    """
    version = version or (VERSIONS["0.97"] if legacy else CURRENT)
    escapes = version.path_escapes
    errors: list[tuple[int, str]] = []
    duplicates: list[tuple[int, str]] = []
    starred: list[tuple[int, str]] = []
    bare: list[tuple[int, str]] = []
    entries: dict[str, str] = {}
    base64_lines: list[int] = []
    try:
        text = split_lines(data, encoding)
    except UnicodeDecodeError as exc:
        return ParsedManifest({}, ((0, f"not {encoding} text (bad byte at offset {exc.start})"),))
    if text.has_bom and version.bom_forbidden:
        errors.append((1, "file starts with a byte-order mark (not allowed in BagIt)"))
    lines = text.lines
    expected_length = HEX_LENGTHS.get(algorithm)
    for number, line in enumerate(lines, start=1):
        match = _LINE.fullmatch(line)
        if not match or not match.group(2):
            errors.append((number, f"expected '<checksum> <path>', found {line!r}"))
            continue
        digest, encoded = match.group(1), match.group(2)
        if encoded.startswith("*") and len(encoded) > 1:
            # md5sum -b writes '<hex> *<path>'. A payload path starts with
            # 'data/', so the '*' cannot be part of it; a tag file whose name
            # really starts with '*' is not supported (it would be ambiguous).
            encoded = encoded[1:]
            starred.append((number, decode_path(encoded, escapes=escapes)))
        path = decode_path(encoded, escapes=escapes)
        if version.base64_checksums and (hex_digest := _from_base64(digest, expected_length)):
            digest = hex_digest
            base64_lines.append(number)
        if not _HEX.fullmatch(digest) or (
            expected_length is not None and len(digest) != expected_length
        ):
            errors.append((number, f"{digest!r} is not a {algorithm} checksum"))
            continue
        if has_bare_percent(encoded):
            bare.append((number, path))
        if path in entries:
            duplicates.append((number, path))
            continue
        entries[path] = digest.lower()
    return ParsedManifest(entries, tuple(errors), tuple(duplicates), tuple(starred), tuple(bare),
                          tuple(base64_lines))


def _from_base64(digest: str, hex_length: int | None) -> str | None:
    """The hex form of a base64 checksum of the right length (BagIt 0.93), else None."""
    if hex_length is None or _HEX.fullmatch(digest) and len(digest) == hex_length:
        return None
    try:
        raw = base64.b64decode(digest, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw.hex() if len(raw) * 2 == hex_length else None


def manifest_algorithm(file_name: str, prefix: str) -> str | None:
    """``sha256`` for ``manifest-sha256.txt`` (with prefix ``manifest-``)."""
    if file_name.startswith(prefix) and file_name.endswith(".txt"):
        alg = file_name[len(prefix):-len(".txt")]
        return alg or None
    return None


# -- the canonical form ------------------------------------------------------
# Is a manifest byte for byte what our writer would have written?
# 
# RFC 8493 lets a manifest vary in ways that do not change its meaning:
# upper-case hex, tabs or several spaces between checksum and path, CR or
# CRLF line endings, any order. Nothing covers a tag manifest's own bytes, so
# such an edit to one would go unseen. Our packages are only ever written by
# :mod:`.writer`, in one form, so for them any other form means the file was
# edited after it was written.

def noncanonical_reason(data: bytes, algorithm: str) -> str | None:
    """Why *data* is not the canonical manifest for its entries, or ``None``."""
    parsed = parse_manifest(data, algorithm)
    if parsed.errors or parsed.duplicates or parsed.bare_percent:
        return None  # already reported as errors (a '*' is only a warning: go on)
    expected = format_manifest(parsed.entries)
    if data == expected:
        return None
    got, want = data.split(b"\n"), expected.split(b"\n")
    line = next((i for i, (a, b) in enumerate(zip(got, want), start=1) if a != b),
                min(len(got), len(want)))
    return (f"line {line} differs from the form this archive writes (sorted "
            "'<lower-case hex>  <path>' lines, LF endings): edited after it was written")
