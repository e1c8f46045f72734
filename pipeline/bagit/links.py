"""Share a payload file with an earlier bag: a hard link instead of a copy.

A version that carries a file over unchanged can hold it as a second name of
the predecessor's file (same inode) rather than as a second copy. Each bag
stays complete on its own: a hard link is a name of the file like any other,
so deleting the other bag removes a name, never the bytes. A bag written
with links is the same tree (names, bytes, modes) as one written by copying.

Only a regular file already read-only (mode 0o444, as the writer makes them)
is linked, so the new bag's file gets exactly the mode a copy would get.
Where a link cannot be made — another file system (EXDEV), a file system
without links or one that refuses them (EPERM, ENOTSUP), too many links
(EMLINK) — :func:`link_file` says so and the writer copies instead.

The linked file is hashed once it is in the new bag (one read; a copy reads
and writes). The digests the new manifests carry therefore come from the
bytes the new bag holds, not from the predecessor's manifest: a file altered
between the package stage's check and the link shows up as changed.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

#: Errors that mean "no link here": copy instead. Anything else is a real failure.
NO_LINK_ERRORS = frozenset({errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP,
                            errno.EOPNOTSUPP, errno.EACCES, errno.ENOSYS})


def link_file(existing: Path, target: Path, mode: int) -> bool:
    """Make *target* a hard link to *existing*; False (nothing made) where links
    are not possible or *existing* is not a regular file of exactly *mode*."""
    try:
        info = os.lstat(existing)
    except OSError:
        return False  # gone: the copy from the source says what is wrong, if anything
    if not stat.S_ISREG(info.st_mode) or stat.S_IMODE(info.st_mode) != mode:
        return False
    try:
        os.link(existing, target, follow_symlinks=False)
    except OSError as exc:
        if exc.errno in NO_LINK_ERRORS:
            return False
        raise
    return True
