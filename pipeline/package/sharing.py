"""Versions share what did not change: unchanged payload files become hard links.

A payload file of the new version whose path and SHA-256 are those of the
predecessor's manifest is written as a hard link to the predecessor's file
(:mod:`pipeline.bagit.links`), once the package stage has checked that file
against that manifest (``_check_carried_over``). Everything else is copied,
and so is every file where the file system makes no links. The new version's
tree — names, bytes, modes, manifests — is the same either way; only the
number of physical copies differs. One physical copy means redundancy comes
from replicas of the archive (``rsync -aH`` keeps the links), not from versions.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Mapping, Sequence

from pipeline.bagit.writer import PayloadItem
from pipeline.core.records import Problem


def share_unchanged(items: Sequence[PayloadItem], predecessor: Path, planned: Mapping[str, str],
                    before: Mapping[str, str]) -> list[PayloadItem]:
    """*items*, each one the predecessor holds with the same SHA-256 marked to be
    linked to the predecessor's file (and copied as before where that fails)."""
    return [dataclasses.replace(item, shared_from=predecessor.joinpath(*item.bag_path.split("/")))
            if before.get(item.bag_path) is not None and before.get(item.bag_path) == planned.get(item.bag_path)
            else item for item in items]


def changed_problem(item: PayloadItem) -> Problem:
    """P006 when the file shared with the predecessor changed after it was checked
    (it is the predecessor that was altered); P001 for a source changed since rendering."""
    if item.shared_from is not None:
        return Problem("P006", str(item.shared_from), "",
                       "altered while the new version was being written (it matched its manifest "
                       "moments before); nothing was written: run verify, restore it from a copy, "
                       "then build again")
    return Problem("P001", str(item.source), "", "changed since rendering; run render again")
