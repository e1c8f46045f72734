"""The package stage: put rendered statements into a new BagIt 1.0 package.

``archive/<group>-<YYYY-MM-DD>-v<NNNN>/`` holds::

    data/index.json                      what is in the package (no digests, no dates)
    data/<identifier>/<identifier>.pdf   the rendered PDF/A
    data/<identifier>/<metadata file>    metadata JSON, byte for byte as on disk
    data/<identifier>/<body file>        body, byte for byte as received

A new version is written only when the payload differs from the newest
package of the group. Each version after the first names its predecessor
and the SHA-256 of the predecessor's ``tagmanifest-sha256.txt``, so altering
an older package breaks the chain that ``verify`` follows.

The bag is built in ``archive/.incoming/`` and renamed into place; packages
already in the archive are never opened for writing. An exclusive lock on
``archive/.lock`` is held for the whole stage.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import tempfile
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Iterator, Sequence

from pipeline.archive.folder import (
    INCOMING_NAME, PackageName, archive_lock, list_packages, valid_group,
)
from pipeline.bagit.manifest import parse_manifest, sha256_bytes
from pipeline.bagit.paths import unsafe_reason
from pipeline.bagit.writer import (
    DIR_MODE, PayloadItem, SourceChanged, SourceUnreadable,
    plan_payload, write_bag,
)
from pipeline.core.files import fsync_dir
from pipeline.core.errors import ArchiveError, InputError, ProblemsFound
from pipeline.core.records import PackageOutcome, Problem, RenderedStatement

INDEX_PATH = "data/index.json"
INDEX_FIELDS = ("identifier", "title", "date_issued", "document_type", "languages")


def package_statements(
    rendered: Sequence[RenderedStatement],
    archive_dir: Path,
    *,
    bagging_date: datetime.date,
    software_agent: str,
    group: str = "statements",
) -> PackageOutcome:
    """Write a new package version of *rendered* into *archive_dir*, unless the
    newest package of *group* already holds exactly this payload.

    Raises ProblemsFound (P001, P003) when a file changed since rendering or a
    statement cannot be placed; ArchiveError when the archive cannot be written.
    """
    if not valid_group(group):
        raise InputError(f"group {group!r} is not usable in a package name "
                         "(letters, digits, '.', '_' and single '-')")
    if not rendered:
        raise InputError("nothing to package: no rendered statements were given")
    items, problems = _layout(rendered)
    if problems:
        raise ProblemsFound("statements cannot be packaged", problems)

    with _locked_archive(archive_dir):
        _remove_leftovers(archive_dir / INCOMING_NAME)
        planned, problems = _plan(items, rendered)
        if problems:
            raise ProblemsFound("files changed since rendering", problems)
        packages = _existing(archive_dir, group)
        newest = packages[-1] if packages else None
        if newest is not None and _payload_manifest(*newest) == planned:
            name, path = newest
            return PackageOutcome(
                name=name.name, path=path, version=name.version, created=False,
                message=f"nothing changed since {name.name}; no new package written",
                statements=len(rendered),
            )
        if newest is not None and bagging_date < newest[0].date:
            raise InputError(f"bagging date {bagging_date.isoformat()} is before the date of "
                             f"the newest package {newest[0].name}; check the clock")
        version = newest[0].version + 1 if newest else 1
        name = PackageName(group, bagging_date, version).name
        info = [
            ("Bag-Software-Agent", software_agent),
            ("Bagging-Date", bagging_date.isoformat()),
            ("External-Identifier", name),
            ("Bag-Group-Identifier", group),
            ("Package-Version", str(version)),
        ]
        if newest is not None:
            info += [
                ("Predecessor-Package", newest[0].name),
                ("Predecessor-Tagmanifest-SHA256", _tagmanifest_sha256(*newest)),
            ]
        target = _build(archive_dir, name, items, info, planned)
    return PackageOutcome(
        name=name, path=target, version=version, created=True,
        message=f"wrote {name} with {len(rendered)} statements", statements=len(rendered),
    )


def index_json(rendered: Sequence[RenderedStatement]) -> bytes:
    """``data/index.json``: statements by identifier, with their payload files."""
    entries = []
    for item in sorted(rendered, key=lambda r: r.statement.identifier):
        statement = item.statement
        entry = {key: statement.metadata.get(key) for key in INDEX_FIELDS}
        entry["identifier"] = statement.identifier
        entry["files"] = {kind: path for kind, path in _files_of(item)}
        entries.append(entry)
    text = json.dumps({"statements": entries}, sort_keys=True, indent=2, ensure_ascii=False)
    return (text + "\n").encode("utf-8")


def _files_of(item: RenderedStatement) -> list[tuple[str, str]]:
    identifier = item.statement.identifier
    folder = f"data/{identifier}"
    files = [
        ("body", f"{folder}/{item.statement.body_path.name}"),
        ("metadata", f"{folder}/{item.statement.metadata_path.name}"),
        ("pdf", f"{folder}/{identifier}.pdf"),
    ]
    if item.statement.capture_path is not None:  # an imported statement's evidence, byte for byte
        files.insert(0, ("capture", f"{folder}/{item.statement.capture_path.name}"))
    return files


def _sources_of(item: RenderedStatement) -> dict[str, tuple[Path, str]]:
    """kind → (source file, expected sha256 or '' if unknown)."""
    s = item.statement
    sources = {
        "body": (s.body_path, s.body_sha256),
        "metadata": (s.metadata_path, s.metadata_sha256),
        "pdf": (item.pdf_path, item.pdf_sha256),
    }
    if s.capture_path is not None:
        sources["capture"] = (s.capture_path, s.capture_sha256)
    return sources


def _layout(rendered: Sequence[RenderedStatement]) -> tuple[list[PayloadItem], list[Problem]]:
    """Payload items for all statements; P003 for names that cannot be used."""
    problems: list[Problem] = []
    items = [PayloadItem(INDEX_PATH, content=index_json(rendered))]
    seen: dict[str, str] = {INDEX_PATH: "the package index"}
    for item in sorted(rendered, key=lambda r: r.statement.identifier):
        identifier = item.statement.identifier
        sources = _sources_of(item)
        if reason := _unusable_segment(identifier):
            problems.append(Problem("P003", str(item.statement.metadata_path), "/identifier",
                                    f"identifier {identifier!r} cannot be a folder name: {reason}"))
            continue
        for kind, path in _files_of(item):
            source = sources[kind][0]
            if reason := _unusable_segment(path.rsplit("/", 1)[1]):
                problems.append(Problem("P003", str(source), "", f"file name unusable: {reason}"))
            elif path in seen or path == f"data/{identifier}":
                problems.append(Problem(
                    "P003", str(source), "",
                    f"would be stored as {path}, which is already taken by {seen.get(path, path)}; "
                    "rename the file or give the statement another identifier"))
            else:
                seen[path] = str(source)
                items.append(PayloadItem(path, source=source))
    return items, problems


def _unusable_segment(name: str) -> str | None:
    if "/" in name or "\\" in name:
        return "contains a slash"
    return unsafe_reason(name)


def _plan(items: list[PayloadItem], rendered: Sequence[RenderedStatement],
          ) -> tuple[dict[str, str], list[Problem]]:
    """Each payload path's SHA-256, known before anything is written.

    Reuses the digests taken when the statement was validated and the PDF
    rendered or loaded (each computed from the bytes themselves) and reads
    only files whose digest is unknown. That is safe because the copy pass
    hashes every byte it copies and refuses files whose SHA-256 differs
    (SourceChanged → P001), so each file is read once, and a build with
    nothing changed reads no payload file at all.
    """
    known: dict[str, str] = {}
    for statement in rendered:
        sources = _sources_of(statement)
        for kind, path in _files_of(statement):
            known[path] = sources[kind][1].lower()
    planned: dict[str, str] = {}
    problems: list[Problem] = []
    for item in items:
        if item.content is None and known.get(item.bag_path):
            planned[item.bag_path] = known[item.bag_path]
            continue
        try:
            (digest,) = plan_payload([item]).values()
        except SourceUnreadable as exc:
            problems.append(Problem("P001", str(item.source), "",
                                    f"missing or cannot be read ({exc.error.strerror or exc.error}); "
                                    "run render again"))
            continue
        planned[item.bag_path] = digest.digests["sha256"]
    return planned, problems


def _existing(archive_dir: Path, group: str) -> list[tuple[PackageName, Path]]:
    try:
        return list_packages(archive_dir, group)
    except OSError as exc:
        raise ArchiveError(f"{archive_dir} cannot be read: {exc.strerror or exc}") from exc


def _payload_manifest(name: PackageName, path: Path) -> dict[str, str]:
    parsed = parse_manifest(_read_from_package(name, path, "manifest-sha256.txt"), "sha256")
    if parsed.errors:
        raise ArchiveError(f"{name.name}/manifest-sha256.txt is malformed; the newest package "
                           "is damaged: run verify, and restore it from a copy before "
                           "packaging again")
    return dict(parsed.entries)


def _tagmanifest_sha256(name: PackageName, path: Path) -> str:
    return sha256_bytes(_read_from_package(name, path, "tagmanifest-sha256.txt"))


def _read_from_package(name: PackageName, path: Path, file: str) -> bytes:
    try:
        return (path / file).read_bytes()
    except OSError as exc:
        raise ArchiveError(
            f"{name.name}/{file} cannot be read ({exc.strerror or exc}); the newest package "
            "is damaged: run verify, and restore it from a copy before packaging again"
        ) from exc


@contextmanager
def _locked_archive(archive_dir: Path) -> Iterator[None]:
    """Create *archive_dir* if need be and hold its exclusive lock."""
    with ExitStack() as stack:
        try:
            archive_dir.mkdir(parents=True, exist_ok=True)
            stack.enter_context(archive_lock(archive_dir))
        except OSError as exc:
            raise _not_writable(archive_dir, exc) from exc
        yield


def _not_writable(archive_dir: Path, exc: OSError) -> ArchiveError:
    where = f" ({exc.filename})" if exc.filename else ""
    return ArchiveError(f"{archive_dir} is not writable: {exc.strerror or exc}{where}")


def _build(archive_dir: Path, name: str, items: list[PayloadItem],
           info: list[tuple[str, str]], planned: dict[str, str]) -> Path:
    """Write the bag in .incoming/, then rename it to archive/<name>."""
    target = archive_dir / name
    if os.path.lexists(target):
        raise ArchiveError(f"{target} already exists; packages are never overwritten "
                           "(check the archive with verify)")
    incoming = archive_dir / INCOMING_NAME
    building: Path | None = None
    try:
        incoming.mkdir(exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=f"{name}.", dir=incoming))
        os.chmod(building, DIR_MODE)
        write_bag(building, items, info, expected_sha256=planned)
        fsync_dir(incoming)
        os.rename(building, target)
        building = None
        fsync_dir(archive_dir)
        fsync_dir(incoming)
    except SourceChanged as exc:
        raise ProblemsFound("files changed since rendering", [
            Problem("P001", str(item.source), "", "changed since rendering; run render again")
            for item in exc.items]) from exc
    except SourceUnreadable as exc:
        raise ProblemsFound("a file could not be read while packaging", [Problem(
            "P001", str(exc.item.source), "",
            f"cannot be read ({exc.error.strerror or exc.error}); run render again")]) from exc
    except OSError as exc:
        raise _not_writable(archive_dir, exc) from exc
    finally:
        if building is not None:
            shutil.rmtree(building, ignore_errors=True)
        _remove_if_empty(incoming)
    return target


def _remove_leftovers(incoming: Path) -> None:
    """Delete half-built bags of builders that died (killed, power cut).

    Called with the archive's exclusive lock held: a live builder would hold
    it, so whatever is in .incoming/ now belongs to no running process.
    """
    if not incoming.is_dir() or incoming.is_symlink():
        return
    for entry in incoming.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    _remove_if_empty(incoming)


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass  # not empty (someone else's leftovers, reported by verify) or never made
