"""Archiving the rest (``build --archive-rest``): what a package says about the
statements this run refused.

By default packaging is all or nothing. With the option, the statements that
passed are packaged, and each refused one is listed in ``data/index.json``
(under ``refused``: identifier, stage, problem codes and messages) and in a
PREMIS event. A refused statement that the newest package holds is never
dropped: its files are carried over from that package unchanged (checked
against its manifest like every file carried over), its index entry is the
predecessor's, and the ``refused`` list says which package it was carried from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from pipeline.bagit.writer import PayloadItem


@dataclass(frozen=True)
class RefusedStatement:
    """A statement a stage of this run refused: which stage, with which problems."""

    identifier: str
    stage: str
    problems: tuple[tuple[str, str], ...]  # (code, message)

    def as_dict(self, carried_from: str | None) -> dict[str, Any]:
        return {
            "identifier": self.identifier, "stage": self.stage,
            "problems": [{"code": code, "message": message} for code, message in self.problems],
            # the version this one carries it over from, unchanged; None: not in this package
            "carried_over_from": carried_from,
        }


def carried_items(predecessor: Path, manifest: Mapping[str, str], identifiers: Iterable[str]) -> list[PayloadItem]:
    """The predecessor's payload files of *identifiers*, to carry over byte for byte."""
    folders = tuple(f"data/{identifier}/" for identifier in identifiers)
    return [PayloadItem(path, source=predecessor / path) for path in sorted(manifest) if path.startswith(folders)]


def carried_entries(predecessor_index: bytes, identifiers: Iterable[str]) -> list[dict[str, Any]]:
    """The predecessor's index entries of *identifiers*, as they were."""
    wanted = set(identifiers)
    return [entry for entry in json.loads(predecessor_index).get("statements", ()) if entry["identifier"] in wanted]


def carried_from(predecessor_index: bytes | None, predecessor: str | None, carried: set[str]) -> dict[str, str]:
    """Which version each carried statement was last accepted in: the predecessor,
    or what the predecessor itself carried it over from (so refusing the same
    statement again writes no new version)."""
    earlier = {r["identifier"]: r["carried_over_from"]
               for r in json.loads(predecessor_index).get("refused", ())} if predecessor_index else {}
    return {i: earlier.get(i) or predecessor for i in carried if predecessor}


def refused_index(refused: Sequence[RefusedStatement], origin: Mapping[str, str]) -> list[dict[str, Any]]:
    return [r.as_dict(origin.get(r.identifier)) for r in sorted(refused, key=lambda r: r.identifier)]
