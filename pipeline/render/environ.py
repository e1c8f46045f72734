"""Set an environment variable for the length of a block, then restore it.

The C libraries under WeasyPrint read some settings only from the
environment (fontconfig: FONTCONFIG_FILE; fontTools: SOURCE_DATE_EPOCH), so
the renderer sets them just around the calls that read them.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def temporary_environ(name: str, value: str) -> Iterator[None]:
    previous = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if previous is None:
            del os.environ[name]
        else:
            os.environ[name] = previous
