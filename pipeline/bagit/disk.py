"""What is on disk in a bag folder, without following any link.

Every entry is listed relative to the bag root with ``/`` separators.
Symbolic links (to files or folders), devices, pipes and sockets have no
place in a bag; they are reported as unsafe and never opened or followed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

from pipeline.core.identity import Identity, identity


@dataclass(frozen=True)
class BagTree:
    """Regular files (path → size, and → identity as listed: device, inode, size,
    modification and change times in ns), folders, and entries that are not
    safe to read."""

    files: Mapping[str, int] = field(default_factory=dict)
    folders: frozenset[str] = frozenset()
    unsafe: Mapping[str, str] = field(default_factory=dict)
    unreadable: Mapping[str, str] = field(default_factory=dict)
    identities: Mapping[str, Identity] = field(default_factory=dict, compare=False)


def scan_tree(root: Path, on_file: Callable[[str, Identity], None] | None = None) -> BagTree:
    """Walk *root* (sorted, links not followed); *on_file* is told of each regular
    file as soon as it is listed (to start reading it elsewhere while the walk goes on)."""
    files: dict[str, int] = {}
    folders: set[str] = set()
    unsafe: dict[str, str] = {}
    unreadable: dict[str, str] = {}
    identities: dict[str, Identity] = {}

    def walk(folder: str | Path, prefix: str) -> None:
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
                walk(entry.path, rel + "/")  # a str: no Path made for each of 10,000 folders
            elif entry.is_file(follow_symlinks=False):
                try:
                    info = entry.stat(follow_symlinks=False)
                    files[rel] = info.st_size
                    identities[rel] = identity(info)
                    if on_file is not None:
                        on_file(rel, identities[rel])
                except OSError as exc:
                    unreadable[rel] = exc.strerror or str(exc)
            else:
                unsafe[rel] = "not a regular file or folder (device, pipe or socket)"

    walk(root, "")
    return BagTree(files, frozenset(folders), unsafe, unreadable, identities)


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
