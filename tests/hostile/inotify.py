"""Linux inotify through ctypes: proof that a file was (or was not) opened.

The kernel queues an event for every open or read of a watched file, by any
process, through any path (a symbolic link included), so an empty queue after
a build proves the build never opened the file. Nothing here polls: events
are read without blocking once the work is done.
"""

from __future__ import annotations

import ctypes
import errno
import os
import struct
from pathlib import Path

IN_ACCESS = 0x00000001
IN_OPEN = 0x00000020
IN_ISDIR = 0x40000000
IN_NONBLOCK = os.O_NONBLOCK
IN_CLOEXEC = os.O_CLOEXEC
_HEADER = struct.Struct("iIII")  # wd, mask, cookie, len (struct inotify_event)


class Watch:
    """Watches files and folders for IN_OPEN | IN_ACCESS; ``events()`` drains the queue."""

    def __init__(self, *paths: Path):
        self._libc = ctypes.CDLL(None, use_errno=True)
        self.fd = self._libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1 failed")
        self.names: dict[int, Path] = {}
        for path in paths:
            wd = self._libc.inotify_add_watch(self.fd, os.fsencode(path), IN_OPEN | IN_ACCESS)
            if wd < 0:
                raise OSError(ctypes.get_errno(), f"inotify_add_watch failed for {path}")
            self.names[wd] = Path(path)

    def events(self) -> list[tuple[str, str]]:
        """(path, OPEN|ACCESS) for every event since the last call."""
        found: list[tuple[str, str]] = []
        while True:
            try:
                data = os.read(self.fd, 64 * 1024)
            except OSError as exc:
                if exc.errno == errno.EAGAIN:
                    return found
                raise
            offset = 0
            while offset < len(data):
                wd, mask, _cookie, length = _HEADER.unpack_from(data, offset)
                name = data[offset + _HEADER.size: offset + _HEADER.size + length].rstrip(b"\0")
                where = self.names.get(wd, Path("?")) / os.fsdecode(name) if name else self.names.get(wd, Path("?"))
                kind = "OPEN" if mask & IN_OPEN else "ACCESS"
                found.append((str(where), kind + (" (folder)" if mask & IN_ISDIR else "")))
                offset += _HEADER.size + length

    def close(self) -> None:
        os.close(self.fd)
