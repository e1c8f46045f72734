"""Making writes survive a crash: the one place that fsyncs a folder.

A new file's bytes are fsynced through its own descriptor; its *name* (a
create or a rename) is durable only once the folder holding it is fsynced.
"""

from __future__ import annotations

import os
from pathlib import Path


def fsync_dir(path: Path) -> None:
    """Make a folder's entries (new files, renames) durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
