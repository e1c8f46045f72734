"""Where `make test` puts pytest's temporary folders: a RAM file system when there is room.

    python tools/test_tmp.py PROJECT_DIR   → prints a folder for --basetemp, or nothing

The tests write tens of thousands of small files and make most of them
durable (fsync), as the pipeline does. On a disk shared with other work each
fsync waits for that work's writes (a set of package tests: 57 s on disk
against 8.5 s in RAM, same CPU), and on ext4 each file created within
minutes of a large deletion (the previous run's folders) costs up to 1 ms of
kernel time. Nothing the tests observe depends on the medium: they kill
processes, not the power, so a page cache that survives is all any of them
can see; and the tests that need a file system of their own mount one.

Prints nothing (pytest keeps its default, on disk) when /dev/shm is missing,
not a tmpfs, has less than 4 GiB free (a container's 64 MB /dev/shm), or the
folder exists and is not this user's own plain folder. The name holds the
user id and a digest of the project folder, so two checkouts never share one.
"""

from __future__ import annotations

import hashlib
import os
import stat
import sys
from pathlib import Path

RAM = Path("/dev/shm")
NEEDED = 4 * 1024**3


def ram_folder(project: Path) -> Path | None:
    try:
        mounts = [line.split() for line in Path("/proc/self/mounts").read_text(encoding="utf-8").splitlines()]
        if not any(len(fields) > 2 and fields[1] == str(RAM) and fields[2] == "tmpfs" for fields in mounts):
            return None
        free = os.statvfs(RAM)
        if free.f_bavail * free.f_frsize < NEEDED or not os.access(RAM, os.W_OK):
            return None
    except OSError:
        return None
    digest = hashlib.sha256(str(project.resolve()).encode()).hexdigest()[:12]
    folder = RAM / f"statement-archive-tests-{os.getuid()}-{digest}"
    try:
        info = os.lstat(folder)
    except FileNotFoundError:
        return folder
    except OSError:
        return None
    if stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid():
        return folder
    return None  # someone else's, or a link: stay on disk


if __name__ == "__main__":
    found = ram_folder(Path(sys.argv[1] if len(sys.argv) > 1 else "."))
    if found:
        print(found)
