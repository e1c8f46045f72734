"""Writing files so that a crash leaves either the old state or the new one.

The one place that fsyncs a folder, writes a file aside and renames it into
place, makes folders durably, and takes a lock; every stage that writes uses
these, so there is one answer to "what survives a power cut?".

* A new file's bytes are fsynced through its own descriptor; its *name* (a
  create or a rename) is durable only once the folder holding it is fsynced.
* Locks are ``flock`` on a file opened by the caller's path: released when
  the descriptor closes, so a killed process never leaves one held.
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Callable, Iterator


def fsync_dir(path: Path) -> None:
    """Make a folder's entries (new files, renames) durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(path: Path, data: bytes, *, mode: int = 0o644, durable: bool = True) -> None:
    """Write *data* to *path* all or nothing: aside, fsync, rename, fsync the folder.

    Readers see the old file or the new one, never a part; a crash leaves at
    most a ``.NAME.PID.partial`` file, which the next writer replaces.
    ``durable=False`` skips both fsyncs, for a caller that makes a whole batch
    durable at once (``os.sync()``) and can redo the batch after a crash.
    """
    write_atomically_with(path, lambda handle: handle.write(data), mode=mode, durable=durable)


def write_atomically_with(path: Path, write: Callable[[BinaryIO], object], *, mode: int = 0o644,
                          durable: bool = True) -> None:
    """:func:`write_atomically` for content streamed by *write* into a handle."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    replaced = False
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, mode)
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)  # the umask must not decide what readers may do
            write(handle)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(partial, path)
        replaced = True
        if durable:
            fsync_dir(path.parent)
    finally:
        if not replaced and partial.exists():
            partial.unlink()


def make_dirs(root: Path, folder: Path, *, mode: int = 0o755, durable: bool = True) -> None:
    """Create *folder* and any missing parents up to *root* (which must exist),
    making each new level durable in its parent (``durable=False`` for a
    caller that fsyncs the whole tree once it is complete). Another writer
    creating a level meanwhile is fine."""
    missing = []
    current = folder
    while current != root and not current.is_dir():
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        try:
            os.mkdir(path, mode)
        except FileExistsError:
            pass
        if durable:
            fsync_dir(path.parent)


class LockHeld(Exception):
    """A non-blocking lock is held by another process."""


@contextmanager
def file_lock(path: Path, *, shared: bool = False, create: bool = True,
              wait: bool = True) -> Iterator[bool]:
    """Hold an ``flock`` on *path* for the ``with`` block.

    Exclusive by default; ``shared`` for readers. With ``create=False`` a
    missing lock file means nobody ever wrote, so there is nothing to wait for:
    the block runs unlocked and the context yields False. With ``wait=False``
    a held lock raises :class:`LockHeld` at once.
    """
    try:
        fd = os.open(path, (os.O_RDWR | os.O_CREAT if create else os.O_RDONLY) | os.O_CLOEXEC, 0o644)
    except FileNotFoundError:
        if create:
            raise
        yield False
        return
    try:
        operation = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        try:
            fcntl.flock(fd, operation if wait else operation | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockHeld(str(path)) from None
        yield True
    finally:
        os.close(fd)  # closing releases the lock
