"""A drop folder (``file://``): how watched-folder ingest works.

Each file is written to a hidden temporary name in its final folder, flushed
to disk, then renamed into place, so a watcher never sees half a file. Its
``<name>.sha256`` (``sha256sum -c`` format) is put in place first: when the
watcher sees the file, the checksum to test it against is already there.
Properties are not stored here; the stage sends them in the metadata sidecar.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Mapping

from pipeline.submit.targets import Confirmation, Digest, Receipt, TargetError, check_name
from pipeline.core.files import make_dirs, write_atomically


class FileTarget:
    def __init__(self, root: Path):
        self.root = root.absolute()
        self.url = self.root.as_uri() + "/"

    def location(self, name: str) -> str:
        return str(self.root.joinpath(*check_name(name)))

    def put(self, name: str, data: bytes, properties: Mapping[str, str]) -> Receipt:
        path = Path(self.location(name))
        digest = hashlib.sha256(data).hexdigest()
        checksum = f"{digest}  {path.name}\n".encode("utf-8")
        try:
            make_dirs(self.root.parent, path.parent)
            write_atomically(path.with_name(path.name + ".sha256"), checksum)
            write_atomically(path, data)
        except OSError as exc:
            raise TargetError(f"cannot write {exc.filename or path}: {exc.strerror or exc}") from exc
        return Receipt(str(path), f"written {len(data)} bytes")

    def confirm(self, name: str, expected: Digest) -> Confirmation:
        path = Path(self.location(name))
        try:
            stored = path.read_bytes()
            sidecar = path.with_name(path.name + ".sha256").read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            return Confirmation(False, str(path), f"cannot read back: {getattr(exc, 'strerror', None) or exc}")
        found = hashlib.sha256(stored).hexdigest()
        if found != expected.sha256:
            return Confirmation(False, str(path), f"read back sha256 {found}, sent {expected.sha256}")
        if sidecar.split()[:1] != [expected.sha256]:
            return Confirmation(False, str(path), f"{path.name}.sha256 does not hold {expected.sha256}")
        return Confirmation(True, str(path), f"read back {len(stored)} bytes, sha256 {found}")
