"""Reading what officers actually have into capture records.

Each reader yields :class:`Capture` (one candidate statement, with the exact
bytes to archive as its evidence) or :class:`Skipped` (a record that is not a
candidate: a redirect, an image, a request record), never touching the
network. A WARC record is archived as *its own bytes in the WARC file*: in a
``.warc.gz`` each record is a gzip member of its own, so that slice is itself
a valid one-record WARC, byte-identical to part of the input, and the offset
and length say where it came from.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import re
import zipfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Iterator

from pipeline.bagit.paths import unsafe_reason

HTML_TYPES = ("text/html", "application/xhtml+xml")
HTML_SUFFIXES = (".html", ".htm", ".xhtml", ".shtml")
TEXT_SUFFIXES = (".txt", ".text", ".md")
_URL_LINE = re.compile(r"https?://\S+")
_SAVED_FROM = re.compile(rb"<!--\s*saved from url=\(\d+\)(\S+?)\s*-->", re.I)


@dataclass(frozen=True)
class Capture:
    """One candidate statement: the evidence to archive and what is known of it.

    ``evidence`` is archived byte for byte as ``<id>.capture<suffix>``;
    ``content`` is what the text is extracted from (the same bytes for a
    page or text file; the HTTP payload for a WARC record).
    """

    origin: str  # the input file, as given (for messages)
    kind: str  # "html", "text", "warc"
    evidence: bytes
    suffix: str  # ".html", ".txt", ".warc.gz", ".warc"
    media_type: str
    content: bytes
    content_type: str = ""  # HTTP Content-Type, when recorded
    content_language: str = ""
    source_url: str = ""
    captured: str = ""  # ISO date-time as recorded (WARC-Date, file time)
    captured_from: str = ""  # which record said so
    fragment: bool = False
    provenance: dict[str, Any] = field(default_factory=dict)
    # A saved page's "_files" folder ("Web page, complete"): evidence archived
    # with the capture byte for byte, never read by the extraction or the renderer.
    resources: SavedResources | None = None

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.evidence).hexdigest()


@dataclass(frozen=True)
class SavedResources:
    """The files of a saved page's resources folder, as listed (read when archived)."""

    folder: str  # the folder as saved (``page_files``)
    files: tuple[tuple[str, str, int], ...]  # (path inside, POSIX; the file on disk; bytes)
    not_archived: tuple[tuple[str, str], ...] = ()  # (path inside, why): links and special files


@dataclass(frozen=True)
class Skipped:
    origin: str
    reason: str
    refused: bool = False  # an error page in a WARC is refused, an image only skipped


class CaptureUnreadable(Exception):
    """The input cannot be read as any kind of capture; the message says why."""

    code = "I002"


class ResourcesRefused(CaptureUnreadable):
    """A saved page's resources folder that cannot be archived with it (too big, unusable names)."""

    code = "I011"


# A browser's "Web page, complete" folder holds the page's images, styles and
# scripts: tens of files, a few MiB. Far beyond that is not a page's folder.
MAX_RESOURCE_FILES = 2000
MAX_RESOURCE_BYTES = 200 * 2**20


def read_captures(path: Path, *, urls: frozenset[str] | None = None) -> Iterator[Capture | Skipped]:
    """Every candidate in one input file (a page, a text, a WARC, a WACZ)."""
    name = path.name.lower()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CaptureUnreadable(f"cannot be read: {exc.strerror}") from None
    if name.endswith(".wacz"):
        yield from _wacz(path, data, urls)
    elif name.endswith((".warc", ".warc.gz")):
        yield from _warc(str(path), data, urls, {})
    elif name.endswith(HTML_SUFFIXES):
        yield _html_file(path, data)
    elif name.endswith(TEXT_SUFFIXES):
        yield Capture(str(path), "text", data, ".txt", "text/plain", data,
                      captured=_file_time(path), captured_from="file modification time")
    else:
        raise CaptureUnreadable("is not a capture this command reads: give a saved page (.html), "
                                "a text capture (.txt), a WARC (.warc, .warc.gz) or a WACZ (.wacz)")


def is_url_list(path: Path) -> bool:
    """A .txt whose every non-blank line is one web address (a list of pages captured to WARC)."""
    if not path.name.lower().endswith(".txt"):
        return False
    try:
        lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, UnicodeDecodeError):
        return False
    return bool(lines) and all(_URL_LINE.fullmatch(line) for line in lines)


def read_url_list(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _file_time(path: Path) -> str:
    stamp = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc).replace(microsecond=0)
    return stamp.isoformat().replace("+00:00", "Z")


def _html_file(path: Path, data: bytes) -> Capture:
    head = data[:4096].lower()
    fragment = not any(tag in head for tag in (b"<html", b"<body", b"<head", b"<!doctype"))
    folder = path.with_name(path.stem + "_files")
    resources = _saved_resources(folder) if folder.is_dir() and not folder.is_symlink() else None
    match = _SAVED_FROM.search(data[:8192])
    return Capture(
        str(path), "html", data, ".html", "text/html", data,
        source_url=match.group(1).decode("ascii", "replace") if match else "",
        captured=_file_time(path), captured_from="file modification time", fragment=fragment,
        resources=resources,
    )


def _saved_resources(folder: Path) -> SavedResources:
    """Every file under *folder*, without following a link or opening anything."""
    files: list[tuple[str, str, int]] = []
    skipped: list[tuple[str, str]] = []
    total = 0
    pending = [folder]
    while pending:
        current = pending.pop()
        for entry in sorted(os.scandir(current), key=lambda e: e.name):
            inside = Path(entry.path).relative_to(folder).as_posix()
            if entry.is_symlink():
                skipped.append((inside, f"a link (to {os.readlink(entry.path)!r}): never followed"))
            elif entry.is_dir(follow_symlinks=False):
                pending.append(Path(entry.path))
            elif not entry.is_file(follow_symlinks=False):
                skipped.append((inside, "not a regular file"))
            else:
                if reason := unsafe_reason(inside):
                    raise ResourcesRefused(f"{folder.name}/{inside}: cannot be archived ({reason}); "
                                           "rename it, or move the folder aside to import the page alone")
                size = entry.stat(follow_symlinks=False).st_size
                files.append((inside, entry.path, size))
                total += size
        if len(files) > MAX_RESOURCE_FILES or total > MAX_RESOURCE_BYTES:
            raise ResourcesRefused(
                f"its resources folder {folder.name} holds more than {MAX_RESOURCE_FILES:,} files or "
                f"{MAX_RESOURCE_BYTES // 2**20} MiB (a saved page's folder holds its images and styles): "
                "check that it is the page's own folder, or move it aside to import the page alone")
    return SavedResources(folder.name, tuple(sorted(files)), tuple(sorted(skipped)))


def _warc(origin: str, data: bytes, urls: frozenset[str] | None, container: dict[str, Any]
          ) -> Iterator[Capture | Skipped]:
    compressed = data[:2] == b"\x1f\x8b"
    stream = _records(data, arc2warc=True)
    try:
        for record in stream:
            if record.rec_type not in ("response", "resource", "revisit"):
                continue  # requests, warcinfo, metadata: context, not candidates
            uri = record.rec_headers.get_header("WARC-Target-URI") or ""
            where = f"{origin} record {record.rec_headers.get_header('WARC-Record-ID') or '?'} ({uri})"
            if urls is not None and uri not in urls:
                stream.read_to_end(record)
                continue
            if record.rec_type == "revisit":
                stream.read_to_end(record)
                yield Skipped(where, "a revisit record (a duplicate of an earlier capture, no payload)")
                continue
            status = int(record.http_headers.get_statuscode() or 0) if record.http_headers else 200
            content_type = (record.http_headers.get_header("Content-Type") if record.http_headers
                            else record.rec_headers.get_header("Content-Type")) or ""
            payload = record.content_stream().read()
            stream.read_to_end(record)
            offset, length = stream.get_record_offset(), stream.get_record_length()
            if 300 <= status < 400:
                target = record.http_headers.get_header("Location") or "?"
                yield Skipped(where, f"a redirect (HTTP {status}) to {target}: the page it leads to is "
                                     "imported from its own record if captured")
                continue
            if status >= 400:
                yield Skipped(where, f"an error page (HTTP {status}), not a statement", refused=True)
                continue
            if content_type.split(";")[0].strip().lower() not in HTML_TYPES:
                yield Skipped(where, f"not HTML ({content_type or 'no type'}): kept in the WARC as data, "
                                     "not a statement")
                continue
            evidence = data[offset:offset + length]
            if not _single_record(evidence):
                evidence, offset, length = data, 0, len(data)  # not record-per-member: keep the whole file
            yield Capture(
                where, "warc", evidence, ".warc.gz" if compressed else ".warc", "application/warc", payload,
                content_type=content_type,
                content_language=(record.http_headers.get_header("Content-Language") or "") if record.http_headers else "",
                source_url=uri, captured=record.rec_headers.get_header("WARC-Date") or "",
                captured_from="WARC-Date",
                provenance={**container, "warc": container.get("warc", Path(origin).name),
                            "warc_sha256": hashlib.sha256(data).hexdigest(), "offset": offset,
                            "length": length, "record_id": record.rec_headers.get_header("WARC-Record-ID")},
            )
    except Exception as exc:  # warcio raises bare exceptions on damaged WARCs
        if isinstance(exc, (GeneratorExit, KeyboardInterrupt)):
            raise
        raise CaptureUnreadable(f"is not a readable WARC ({str(exc)[:120]})") from None


def _records(data: bytes, **options: Any) -> Iterator[Any]:
    # Imported by the process that reads WARCs, not by each worker process
    # that only drafts (warcio brings fsspec and asyncio: a tenth of a second).
    from warcio.archiveiterator import ArchiveIterator

    return ArchiveIterator(io.BytesIO(data), **options)


def _single_record(evidence: bytes) -> bool:
    try:
        return sum(1 for _ in _records(evidence)) == 1
    except Exception:  # noqa: BLE001 - any failure means "not a whole record"
        return False


def _wacz(path: Path, data: bytes, urls: frozenset[str] | None) -> Iterator[Capture | Skipped]:
    """A WACZ (zip): its datapackage.json lists each WARC with its SHA-256; each is checked first."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        package = json.loads(archive.read("datapackage.json"))
        resources = {r["path"]: r for r in package.get("resources", [])}
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError) as exc:
        raise CaptureUnreadable(f"is not a readable WACZ (a zip with datapackage.json): {exc}") from None
    warcs = sorted(n for n in archive.namelist() if n.startswith("archive/") and n.endswith((".warc", ".warc.gz")))
    if not warcs:
        raise CaptureUnreadable("is a WACZ without WARC files under archive/")
    for member in warcs:
        inner = archive.read(member)
        declared = str(resources.get(member, {}).get("hash", ""))
        actual = "sha256:" + hashlib.sha256(inner).hexdigest()
        if declared != actual:
            yield Skipped(f"{path}!{member}", f"datapackage.json gives {declared or 'no hash'} for it, but its "
                                              f"bytes are {actual}: the WACZ was altered or damaged",
                          refused=True)
            continue
        container = {"container": path.name, "container_sha256": hashlib.sha256(data).hexdigest(),
                     "warc": member}
        yield from _warc(f"{path}!{member}", inner, urls, container)
