"""Listing and reading the statements folder without trusting what is in it.

The folder is untrusted input. A symbolic link could make the pipeline read
(and archive) a file from anywhere on the machine, and its target can change
between validation and packaging; a pipe or device named ``x.txt`` could
block a read for ever; a 20 MB body would be rendered for minutes. So:

* entries are classified by ``lstat``: links are never followed, linked
  folders are never descended;
* a file is opened with ``O_NOFOLLOW | O_NONBLOCK`` (a link swapped in after
  listing is still refused, a pipe never blocks) and must be a regular file
  by ``fstat`` of the open descriptor;
* at most ``limit + 1`` bytes are read, whatever the file claims its size is.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class FolderListing:
    """``candidates``: every entry that may be a statement file (regular, link, pipe…),
    sorted; ``linked_folders``: links to folders, which are reported and not descended."""

    candidates: list[Path] = field(default_factory=list)
    linked_folders: list[Path] = field(default_factory=list)


class Unreadable(Exception):
    """A statement file that must not or cannot be read; ``code`` says why."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def list_folder(folder: Path) -> FolderListing:
    """Every entry of *folder* and its sub-folders (officers file by year:
    ``statements/2019/…``), sorted. Hidden entries are skipped; linked folders
    are reported, never descended; real sub-folders are walked."""
    listing = FolderListing()
    pending = [folder]
    while pending:
        current = pending.pop()
        # os.scandir: the entry's type comes with the listing (d_type), which is
        # what lstat would say, without a system call per file on most file systems.
        with os.scandir(current) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = current / entry.name
            try:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(path)
                    continue
                linked = entry.is_symlink()
            except FileNotFoundError:  # removed while we looked
                continue
            if linked and path.is_dir():  # is_dir() stats the target; it opens nothing
                listing.linked_folders.append(path)
                continue
            listing.candidates.append(path)
    # Sorted as Paths sort (part by part), by a key compared in C.
    listing.candidates.sort(key=_parts)
    listing.linked_folders.sort(key=_parts)
    return listing


def _parts(path: Path) -> tuple[str, ...]:
    return path.parts


def link_description(path: Path, folder: Path) -> str:
    """Where a link points, said without opening anything."""
    target = os.readlink(path)
    resolved = Path(os.path.realpath(path))
    where = "inside" if resolved.is_relative_to(folder) else "outside"
    return f"a symbolic link to {printable(target)[:120]} ({where} the statements folder)"


def read_file(path: Path, limit: int, folder: Path) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; :class:`Unreadable` otherwise."""
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError as exc:
        # O_NOFOLLOW refuses a link however it got there (listed as one, or swapped in since)
        if os.path.islink(path):
            raise Unreadable("V018", f"is {link_description(path, folder)}; links are not followed: "
                                     "put the file itself in the statements folder") from None
        raise Unreadable("V021", f"cannot be read: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Unreadable("V021", "is not a regular file (a pipe, socket or device); save the statement as a file")
        if info.st_size > limit:
            raise Unreadable("V017", _too_large(info.st_size, limit))
        data = _read_to_end(fd, info.st_size, limit)
    finally:
        os.close(fd)
    if len(data) > limit:  # grew after fstat
        raise Unreadable("V017", _too_large(len(data), limit))
    return data


_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


def _read_to_end(fd: int, size: int, limit: int) -> bytes:
    """At most ``limit + 1`` bytes, asking first for the size fstat gave. (A buffered
    ``read(limit + 1)`` allocates the whole limit for every file, a mebibyte or more
    for a few kilobytes: most of what reading 20,000 statement files cost, and the
    allocator kept a page or more of each such buffer for every file a build holds.)"""
    parts, total = [], 0
    ask = min(size, limit) + 1
    while chunk := os.read(fd, ask):
        parts.append(chunk)
        total += len(chunk)
        if total > limit:
            break
        ask = min(limit + 1 - total, 1 << 16)  # usually the end of the file: b""
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _too_large(size: int, limit: int) -> str:
    return (f"is {size:,} bytes; the limit is {limit:,} bytes ({limit / 2**20:g} MiB): "
            "check that this is the statement's text and not a capture of a whole site or a binary file")


def printable(text: str) -> str:
    """``text`` with anything a terminal would act on (or cannot print) escaped.

    File names and keys come from the officer's disk and may hold control
    characters, bytes that are not UTF-8 (surrogate escapes) or lone surrogates.
    """
    if text.isprintable():
        return text
    out = []
    for char in text:
        if char.isprintable():
            out.append(char)
        elif 0xDC80 <= ord(char) <= 0xDCFF:  # a byte os.fsdecode could not decode
            out.append(f"\\x{ord(char) - 0xDC00:02x}")
        else:
            out.append(f"\\u{ord(char):04x}" if ord(char) <= 0xFFFF else f"\\U{ord(char):08x}")
    return "".join(out)


class ChangedSinceValidation(Exception):
    """A statement file is no longer the file validation read."""


def read_unchanged(path: Path, expected_sha256: str) -> bytes:
    """The file's bytes, read as validation read them, if they are still the same.

    Later stages re-read statement files; a file swapped for a link, or edited
    between validation and now, must not slip into a PDF or a package.
    """
    try:
        data = read_file(path, _REREAD_LIMIT, path.parent)
    except Unreadable as exc:
        raise ChangedSinceValidation(f"{path}: {exc}; validate again") from None
    if expected_sha256 and hashlib.sha256(data).hexdigest() != expected_sha256:
        raise ChangedSinceValidation(f"{path}: changed since it was validated; validate again")
    return data


# Validation already enforced the real limits; this only bounds a re-read.
_REREAD_LIMIT = 1 << 30
