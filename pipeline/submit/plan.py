"""What to submit: the statements of the newest package, as it verifies now.

Only a package that passes :func:`pipeline.verify.verify_bag` at the moment of
submission is used, never the build folder: what the records system receives
is exactly what the archive holds. If the newest package fails, nothing is
submitted (an older package is not a substitute: it is not what the officer
approved last).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from pipeline.archive.folder import INDEX_PATH, list_packages
from pipeline.bagit.manifest import parse_manifest
from pipeline.core.errors import ArchiveError
from pipeline.archive.package_check import verify_bag

SHOWN_PROBLEMS = 5


@dataclass(frozen=True)
class SubmissionItem:
    """One statement of a package: its PDF, its metadata file, and where they go."""

    package: str
    package_version: int
    identifier: str
    package_path: Path
    pdf_path: str            # inside the package, e.g. data/x/x.pdf
    pdf_sha256: str          # from the package manifest
    metadata_path: str
    metadata_sha256: str
    metadata: Mapping[str, Any] = field(compare=False, hash=False)

    @property
    def remote_folder(self) -> str:
        # the version is in the name, so a new version never replaces an old one
        return f"{self.identifier}/v{self.package_version:04d}"

    @property
    def pdf_name(self) -> str:
        return f"{self.remote_folder}/{self.identifier}.pdf"

    @property
    def sidecar_name(self) -> str:
        return f"{self.remote_folder}/{self.identifier}.metadata.json"


@dataclass(frozen=True)
class SelectedPackage:
    name: str
    path: Path
    version: int
    items: tuple[SubmissionItem, ...]


def newest_verified_package(archive_dir: Path, group: str = "statements") -> SelectedPackage:
    """The newest package of *group*, verified now; ArchiveError naming it and why if not."""
    if not archive_dir.is_dir():
        raise ArchiveError(f"{archive_dir} is not a folder: there is no archive to submit from")
    try:
        packages = list_packages(archive_dir, group)
    except OSError as exc:
        raise ArchiveError(f"{archive_dir} cannot be read: {exc.strerror or exc}") from exc
    if not packages:
        raise ArchiveError(f"no {group} package in {archive_dir}: run `make` to build one first")
    name, path = packages[-1]
    result = verify_bag(path)
    if not result.ok:
        errors = [p for p in result.problems if p.severity == "error"]
        shown = "; ".join(str(p) for p in errors[:SHOWN_PROBLEMS])
        more = f" (and {len(errors) - SHOWN_PROBLEMS} more)" if len(errors) > SHOWN_PROBLEMS else ""
        raise ArchiveError(f"the newest package {name.name} fails verification, so nothing was "
                           f"submitted: {shown}{more}. Run `statement-archive verify` and restore "
                           "the package from a copy")
    return SelectedPackage(name.name, path, name.version, _items(name.name, name.version, path))


def _items(package: str, version: int, path: Path) -> tuple[SubmissionItem, ...]:
    try:
        index = json.loads((path / INDEX_PATH).read_bytes())
        manifest = parse_manifest((path / "manifest-sha256.txt").read_bytes(), "sha256").entries
    except (OSError, ValueError) as exc:
        raise ArchiveError(f"{package}/{INDEX_PATH} cannot be read ({exc}); the package "
                           "verified but is not one this pipeline wrote") from exc
    items = []
    for entry in index.get("statements", []):
        identifier, files = entry.get("identifier"), entry.get("files") or {}
        pdf, metadata = files.get("pdf"), files.get("metadata")
        if not (isinstance(identifier, str) and pdf in manifest and metadata in manifest):
            raise ArchiveError(f"{package}/{INDEX_PATH}: entry {identifier!r} does not name a PDF "
                               "and a metadata file of the package")
        try:
            record = json.loads((path / metadata).read_bytes())
        except (OSError, ValueError) as exc:
            raise ArchiveError(f"{package}/{metadata} cannot be read as JSON: {exc}") from exc
        items.append(SubmissionItem(package, version, identifier, path, pdf, manifest[pdf],
                                    metadata, manifest[metadata], record))
    return tuple(sorted(items, key=lambda i: i.identifier))
