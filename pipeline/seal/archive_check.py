"""The seals of a whole archive, as ``verify`` checks them beside the packages.

Every seal in ``archive/seals/`` is checked (:func:`pipeline.seal.verify_seal.verify_seal`);
a seal whose newest timestamp's TSA certificate expires within a year gets a
warning to renew it (A013); leftovers of an interrupted seal run (A012) and
seals of no package in the archive (A011) are warnings; with *require*, an
unsealed package is an error (A001).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from pipeline.core.records import Problem
from pipeline.seal.layout import INCOMING, SEALS_DIR

if TYPE_CHECKING:  # verify_seal needs pyHanko, an extra: imported only when there is a seal
    from pipeline.seal.verify_seal import SealCheck

RENEW_WARNING = dt.timedelta(days=365)


def check_archive_seals(archive_dir: Path, names: Sequence[str], anchors: Callable[[], list],
                        now: dt.datetime, *, require: bool = False,
                        ) -> tuple[dict[str, list[Problem]], list[Problem], list["SealCheck"]]:
    """(problems per package name, problems of the seals folder, each seal's check).
    *anchors* gives the trust anchors; it is called only if there is a seal to check."""
    per_package: dict[str, list[Problem]] = {n: [] for n in names}
    extra: list[Problem] = []
    checks: list["SealCheck"] = []
    root = archive_dir / SEALS_DIR
    entries = sorted(os.listdir(root)) if root.is_dir() and not root.is_symlink() else []
    sealed = [e for e in entries if e in per_package]
    for entry in entries:
        if entry == INCOMING:
            extra += [Problem("A012", f"{SEALS_DIR}/{INCOMING}/{left}", "", "left over from an "
                              "interrupted seal run; the next seal or reseal removes it", "warning")
                      for left in sorted(os.listdir(root / entry))]
        elif entry not in per_package:
            extra.append(Problem("A011", f"{SEALS_DIR}/{entry}", "", "not the seal of a package "
                                 "in this archive; ignored", "warning"))
    if sealed:
        from pipeline.seal.verify_seal import verify_seal

        trusted = anchors()
    for name in sealed:
        check = verify_seal(archive_dir, name, trusted, now)
        checks.append(check)
        per_package[name] += check.problems
        expiry = check.newest_expiry()
        if check.ok and expiry is not None and expiry < now + RENEW_WARNING:
            per_package[name].append(Problem(
                "A013", f"{SEALS_DIR}/{name}", "", f"the newest timestamp's TSA certificate "
                f"expires {expiry:%Y-%m-%d}: run `statement-archive reseal --before "
                f"{(expiry + dt.timedelta(days=1)):%Y-%m-%d}`", "warning"))
    if require:
        for name in names:
            if name not in sealed:
                per_package[name].append(Problem("A001", name, "", "not sealed, and --require-seal "
                                                 "was given: run `statement-archive seal`"))
    return per_package, extra, checks

