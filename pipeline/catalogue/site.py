"""The output folder: written only where bytes change, and only if it is ours.

The folder carries a marker file; a folder that exists, is not empty and has
no marker is refused, so ``--out`` pointed at the wrong place deletes
nothing. Files the build did not produce are removed at the end, so a
catalogue rebuilt into an old folder equals one built into an empty folder.

Files are written aside and renamed (a reader never sees half a page) but not
fsynced: the catalogue is derived from ``archive/`` and can be rebuilt at any
time, and 10,000 fsyncs would cost more than the whole build.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from pipeline.core.errors import InputError

MARKER_NAME = ".statement-archive-catalogue"
STATE_NAME = ".catalogue-state.json"
_MARKER = b"This folder is written by `statement-archive catalogue`; it is rebuilt from archive/.\n"


class SiteWriter:
    def __init__(self, out: Path, archive_dir: Path):
        self.out = out
        if out.resolve().is_relative_to(archive_dir.resolve()):
            raise InputError(f"{out}: the catalogue cannot be written inside the archive folder "
                             f"{archive_dir}; choose another --out (default: catalogue)")
        if out.is_dir() and any(out.iterdir()) and not (out / MARKER_NAME).is_file():
            raise InputError(f"{out}: folder exists, is not empty and is not a catalogue "
                             f"(no {MARKER_NAME}); choose an empty or new folder for --out")
        out.mkdir(parents=True, exist_ok=True)
        self.produced: set[str] = set()
        self.written: list[str] = []
        self.removed: list[str] = []
        previous = self._read_state()
        self.previous_keys: dict[str, str] = previous
        self.keys: dict[str, str] = {}
        self.sizes: dict[str, int] = {}
        self.put(MARKER_NAME, _MARKER)

    def _read_state(self) -> dict[str, str]:
        try:
            state = json.loads((self.out / STATE_NAME).read_text(encoding="utf-8"))
            return {str(k): str(v) for k, v in state.get("pages", {}).items()}  # key:size
        except (OSError, ValueError, AttributeError):
            return {}

    def unchanged(self, relative: str, key: str) -> bool:
        """True (and the file kept) if *relative* was last made from inputs with this *key*
        and still has the size it was written with."""
        self.keys[relative] = key
        try:
            size = (self.out / relative).stat().st_size
        except FileNotFoundError:
            return False
        if self.previous_keys.get(relative) == f"{key}:{size}":
            self.produced.add(relative)
            self.sizes[relative] = size
            return True
        return False

    def keep(self, relative: str) -> bool:
        """True (and the file kept as it is) if it exists."""
        try:
            self.record(relative, (self.out / relative).stat().st_size, None, False)
            return True
        except FileNotFoundError:
            return False

    def has(self, relative: str) -> bool:
        return (self.out / relative).is_file()

    def put(self, relative: str, data: bytes, key: str | None = None) -> None:
        """Make *relative* hold *data*, writing only if its bytes differ."""
        self.record(relative, len(data), key, write_if_changed(self.out / relative, data))

    def record(self, relative: str, size: int, key: str | None, written: bool) -> None:
        """Note a file made (by :meth:`put` or by a worker process)."""
        self.produced.add(relative)
        if key is not None:
            self.keys[relative] = key
        self.sizes[relative] = size
        if written:
            self.written.append(relative)

    def finish(self) -> None:
        """Write the state; remove what this build did not produce."""
        # With each page's size: a page edited or truncated by hand is made again
        # (a cheap stat, where hashing every page would cost most of a no-op run).
        pages = {k: f"{v}:{self.sizes[k]}" for k, v in sorted(self.keys.items()) if k in self.produced}
        state = json.dumps({"pages": pages}, indent=0, sort_keys=True) + "\n"
        self.put(STATE_NAME, state.encode("utf-8"))
        for folder, _, files in sorted(os.walk(self.out, topdown=False)):
            prefix = os.path.relpath(folder, self.out).replace(os.sep, "/") + "/"
            for name in sorted(files):
                relative = name if prefix == "./" else prefix + name
                if relative not in self.produced:
                    os.unlink(os.path.join(folder, name))
                    self.removed.append(relative)
            if folder != str(self.out) and not os.listdir(folder):
                os.rmdir(folder)


def write_if_changed(path: Path, data: bytes) -> bool:
    """Make *path* hold *data*; False (and the file untouched) if it already does."""
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)
    return True
