"""A package as one tar file, for transfer or offline copies, and back.

Writing: members are the package folder's files under ``<package-name>/``,
sorted, regular files and folders only, owner and group zeroed, modification
time fixed to the package's Bagging-Date, so the same package always gives
the same tar bytes. A package holding anything else (a symlink, a device)
is refused: it would not verify either.

Reading: every member is checked before anything is written: no absolute
name, no ``..``, no link, device or FIFO, no name outside the single
top-level package folder, no duplicates. Extraction goes to a temporary
folder beside the destination (also with tarfile's own ``data`` filter as
a second line), and is renamed into place only when complete.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import stat
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

from pipeline.core.errors import ArchiveError, InputError
from pipeline.core.files import write_atomically_with


def _bagging_epoch(package: Path) -> int:
    for line in (package / "bag-info.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("Bagging-Date:"):
            day = dt.date.fromisoformat(line.split(":", 1)[1].strip())
            return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp())
    raise ArchiveError(f"{package}/bag-info.txt has no Bagging-Date")


def write_tar(package: Path, destination: Path) -> Path:
    """Serialise one package folder to ``destination`` (atomically)."""
    package = package.resolve()
    if not (package / "bagit.txt").is_file():
        raise InputError(f"{package} is not a package (no bagit.txt)")
    mtime = _bagging_epoch(package)
    entries = sorted(package.rglob("*"))
    for entry in entries:
        mode = entry.lstat().st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            raise ArchiveError(f"{entry} is neither a file nor a folder; a package holds only those")

    def member(path: Path) -> tarfile.TarInfo:
        info = tarfile.TarInfo(str(PurePosixPath(package.name) / path.relative_to(package).as_posix())
                               if path != package else package.name)
        info.mtime, info.uid, info.gid, info.uname, info.gname = mtime, 0, 0, "", ""
        if path.is_dir():
            info.type, info.mode = tarfile.DIRTYPE, 0o755
        else:
            info.size, info.mode = path.stat().st_size, 0o444
        return info

    def write(out) -> None:
        with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as archive:
            for path in [package, *entries]:
                info = member(path)
                if info.isdir():
                    archive.addfile(info)
                else:
                    with path.open("rb") as handle:
                        archive.addfile(info, handle)

    write_atomically_with(destination, write)
    return destination


def unsafe_member(member: tarfile.TarInfo, top: str | None) -> str | None:
    """Why a tar member may not be extracted, or None if it may."""
    name = member.name
    path = PurePosixPath(name)
    if name.startswith("/") or path.is_absolute():
        return "absolute path"
    if ".." in path.parts:
        return "'..' in the path"
    if "\\" in name or "\0" in name:
        return "backslash or NUL in the name"
    if not (member.isfile() or member.isdir()):
        return "not a regular file or folder (link, device or FIFO)"
    if top is not None and path.parts[0] != top:
        return f"outside the package folder {top!r}"
    return None


def read_tar(tar_path: Path, destination_dir: Path) -> Path:
    """Extract a serialised package into ``destination_dir/<package-name>``.

    Refuses the whole tar, writing nothing, if any member is unsafe.
    """
    try:
        archive = tarfile.open(tar_path, "r:*")
    except (tarfile.TarError, OSError) as exc:
        raise InputError(f"{tar_path}: not a readable tar file ({exc})") from None
    with archive:
        members = archive.getmembers()
        if not members:
            raise InputError(f"{tar_path}: empty")
        top = PurePosixPath(members[0].name).parts[0] if members[0].name else None
        seen: set[str] = set()
        refused = []
        for member in members:
            reason = unsafe_member(member, top)
            normalised = str(PurePosixPath(member.name))
            if reason is None and normalised in seen:
                reason = "listed twice"
            seen.add(normalised)
            if reason:
                refused.append(f"{member.name!r}: {reason}")
        if refused:
            raise InputError(f"{tar_path}: refused, nothing extracted: " + "; ".join(refused[:10]))
        target = destination_dir / top
        if target.exists():
            raise ArchiveError(f"{target} already exists; nothing extracted")
        destination_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".unpack.", dir=destination_dir))
        try:
            archive.extractall(staging, filter="data")
            os.rename(staging / top, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return target
