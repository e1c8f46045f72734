"""A file's identity: what changes whenever its bytes may have.

Device, inode, size, and the modification and change times to the
nanosecond (or the file system clock's tick). Any write, rename over, copy,
chmod or link changes one of them, and no program can set the change time
back. So the same identity twice means the same bytes, with one exception: a
change within the same tick of the clock as the identity was taken keeps
both times. An identity taken at least :data:`SETTLE_NS` after the file's
last change is safe from that (:func:`settled`; git calls the others
"racily clean").
"""

from __future__ import annotations

import os
import time

Identity = tuple[int, int, int, int, int]

#: Longer than the coarsest file system clock in use (FAT's two seconds).
SETTLE_NS = 3_000_000_000


def identity(info: os.stat_result) -> Identity:
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def settled(info: os.stat_result) -> bool:
    """Whether the file last changed long enough ago (:data:`SETTLE_NS`) that a
    change made from now on must show in its identity."""
    return time.time_ns() - max(info.st_mtime_ns, info.st_ctime_ns) >= SETTLE_NS
