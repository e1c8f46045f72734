"""Rules for statements imported from a web capture (see ``statement-archive import``).

A draft is refused until an officer has reviewed it; the capture named in
the metadata must be the file beside it, with the SHA-256 recorded at
import, and so must each file of a saved page's resources folder
(``<id>.capture_files/``: nothing missing, changed, added or linked); a
reviewed body must still be the text the reviewer approved.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from pipeline.core.records import Problem
from pipeline.statements.files import Unreadable, printable

# A capture is a page (or one WARC record); larger is a whole site.
MAX_CAPTURE_BYTES = 20 * 2**20
MAX_RESOURCE_BYTES = 200 * 2**20  # one file of a saved page's folder (import refuses more in all)


@dataclass(frozen=True)
class CaptureFinding:
    problems: list[Problem]
    path: Path | None = None
    media_type: str = ""
    sha256: str = ""
    resources: tuple[tuple[Path, str, str], ...] = ()


def check_capture(metadata: Any, metadata_path: Path, body: bytes, file: str,
                  read: Callable[[Path, int], bytes]) -> CaptureFinding:
    if not isinstance(metadata, dict) or not isinstance(metadata.get("capture"), dict):
        if isinstance(metadata, dict) and "review" in metadata:
            return CaptureFinding([Problem("V032", file, "/capture",
                                           "`review` is only for statements imported from a capture; "
                                           "this one names no capture")])
        return CaptureFinding([])
    capture, review = metadata["capture"], metadata.get("review")
    problems: list[Problem] = []
    if not isinstance(review, dict) or review.get("status") != "reviewed":
        problems.append(Problem("V031", file, "/review/status",
                                "this statement is an imported draft: check its text against the capture "
                                f"and its metadata, then run `statement-archive review {metadata.get('identifier', '?')}`"))
    elif isinstance(review.get("body_sha256"), str) and review["body_sha256"] != hashlib.sha256(body).hexdigest():
        problems.append(Problem("V034", file, "/review/body_sha256",
                                "the body is not the text the reviewer approved (it changed after review): "
                                "review it again"))
    name, identifier = capture.get("file"), metadata.get("identifier")
    if not isinstance(name, str) or not isinstance(identifier, str) or not name.startswith(f"{identifier}.capture."):
        return CaptureFinding(problems + [Problem("V032", file, "/capture/file",
                                                  f"the capture must be named {identifier}.capture.<ext> "
                                                  "beside the metadata")])
    path = metadata_path.with_name(name)
    try:
        data = read(path, MAX_CAPTURE_BYTES)
    except Unreadable as exc:
        return CaptureFinding(problems + [Problem("V032" if exc.code == "V021" else exc.code, file, "/capture/file",
                                                  f"{printable(name)} {exc}")])
    digest = hashlib.sha256(data).hexdigest()
    if digest != capture.get("sha256"):
        problems.append(Problem("V033", file, "/capture/sha256",
                                f"{printable(name)} has SHA-256 {digest}, not the {capture.get('sha256')} recorded "
                                "at import: the capture was changed or replaced; restore the original"))
    resources: tuple[tuple[Path, str, str], ...] = ()
    if "resources" in capture:
        resources = _check_resources(capture["resources"], metadata_path, identifier, file, read, problems)
    return CaptureFinding(problems, path, str(capture.get("media_type", "")), digest, resources)


def _check_resources(resources: Any, metadata_path: Path, identifier: str, file: str,
                     read: Callable[[Path, int], bytes], problems: list[Problem]) -> tuple[tuple[Path, str, str], ...]:
    """Each file recorded at import, unchanged; nothing added, nothing linked."""
    pointer = "/capture/resources"
    name = f"{identifier}.capture_files"
    folder = metadata_path.with_name(name)
    if not isinstance(resources, dict) or resources.get("folder") != name or not isinstance(resources.get("files"), list):
        problems.append(Problem("V032", file, pointer, f"the saved page's resources must be the folder {name} "
                                                       "beside the metadata, with the files recorded at import"))
        return ()
    if folder.is_symlink() or not folder.is_dir():
        problems.append(Problem("V032", file, f"{pointer}/folder", f"{name} is missing (or a link): restore the "
                                                                   "folder written at import"))
        return ()
    on_disk, odd = _walk(folder)
    for inside in odd:
        problems.append(Problem("V033", file, pointer, f"{name}/{printable(inside)} is a link or special file, "
                                                       "not one recorded at import: remove it"))
    found: list[tuple[Path, str, str]] = []
    recorded = set()
    for index, entry in enumerate(resources["files"]):
        inside = entry.get("path") if isinstance(entry, dict) else None
        if not isinstance(inside, str) or inside not in on_disk:
            problems.append(Problem("V032", file, f"{pointer}/files/{index}",
                                    f"{name}/{printable(str(inside))} is missing: restore it from the saved page"))
            continue
        recorded.add(inside)
        try:
            digest = hashlib.sha256(read(folder / inside, MAX_RESOURCE_BYTES)).hexdigest()
        except Unreadable as exc:
            problems.append(Problem("V032", file, f"{pointer}/files/{index}", f"{name}/{printable(inside)} {exc}"))
            continue
        if digest != entry.get("sha256"):
            problems.append(Problem("V033", file, f"{pointer}/files/{index}/sha256",
                                    f"{name}/{printable(inside)} has SHA-256 {digest}, not the {entry.get('sha256')} "
                                    "recorded at import: it was changed or replaced; restore the original"))
            continue
        found.append((folder / inside, digest, f"{name}/{inside}"))
    for inside in sorted(on_disk - recorded):
        problems.append(Problem("V033", file, pointer, f"{name}/{printable(inside)} was not there at import "
                                                       "(it is in no record): remove it"))
    return tuple(found)


def _walk(folder: Path) -> tuple[set[str], list[str]]:
    """Regular files under *folder* (paths inside it), and any links or special files; no link followed."""
    files, odd = set(), []
    pending = [folder]
    while pending:
        current = pending.pop()
        for entry in os.scandir(current):
            inside = Path(entry.path).relative_to(folder).as_posix()
            if entry.is_symlink():
                odd.append(inside)
            elif entry.is_dir(follow_symlinks=False):
                pending.append(Path(entry.path))
            elif entry.is_file(follow_symlinks=False):
                files.add(inside)
            else:
                odd.append(inside)
    return files, sorted(odd)
