"""What is on disk in a bag folder, without following any link.

Every entry is listed relative to the bag root with ``/`` separators.
Symbolic links (to files or folders), devices, pipes and sockets have no
place in a bag; they are reported as unsafe and never opened or followed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping


@dataclass(frozen=True)
class BagTree:
    """Regular files (path → size, and → (device, inode)), folders, and entries
    that are not safe to read."""

    files: Mapping[str, int] = field(default_factory=dict)
    folders: frozenset[str] = frozenset()
    unsafe: Mapping[str, str] = field(default_factory=dict)
    unreadable: Mapping[str, str] = field(default_factory=dict)
    inodes: Mapping[str, tuple[int, int]] = field(default_factory=dict, compare=False)


def scan_tree(root: Path) -> BagTree:
    """Walk *root* (sorted, links not followed)."""
    files: dict[str, int] = {}
    folders: set[str] = set()
    unsafe: dict[str, str] = {}
    unreadable: dict[str, str] = {}
    inodes: dict[str, tuple[int, int]] = {}

    def walk(folder: Path, prefix: str) -> None:
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            unreadable[prefix.rstrip("/") or "."] = exc.strerror or str(exc)
            return
        for entry in entries:
            rel = prefix + entry.name
            if not _is_utf8(entry.name):
                unsafe[rel] = "file name is not valid UTF-8"
            elif entry.is_symlink():
                unsafe[rel] = "symbolic link (a bag must not contain links)"
            elif entry.is_dir(follow_symlinks=False):
                folders.add(rel)
                walk(Path(entry.path), rel + "/")
            elif entry.is_file(follow_symlinks=False):
                try:
                    info = entry.stat(follow_symlinks=False)
                    files[rel], inodes[rel] = info.st_size, (info.st_dev, info.st_ino)
                except OSError as exc:
                    unreadable[rel] = exc.strerror or str(exc)
            else:
                unsafe[rel] = "not a regular file or folder (device, pipe or socket)"

    walk(root, "")
    return BagTree(files, frozenset(folders), unsafe, unreadable, inodes)


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
