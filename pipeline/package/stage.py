"""The package stage: put rendered statements into a new BagIt 1.0 package.

``archive/<group>-<YYYY-MM-DD>-v<NNNN>/`` holds::

    data/index.json                      what is in the package (no digests, no dates)
    data/<identifier>/<identifier>.pdf   the rendered PDF/A
    data/<identifier>/<metadata file>    metadata JSON, byte for byte as on disk
    data/<identifier>/<body file>        body, byte for byte as received
    premis-events.jsonl                  the events that led to this package (a tag file)

A new version is written only when the payload differs from the newest
package of the group, and only on a newest package that is intact (its
completeness, Payload-Oxum and tag manifests are checked first). A statement
of the newest package that is no longer in ``statements/`` stops the build
unless it was withdrawn; ``data/index.json`` lists the withdrawals. Each version after the first names its predecessor
and the SHA-256 of the predecessor's ``tagmanifest-sha256.txt``, so altering
an older package breaks the chain that ``verify`` follows.

The bag is built in ``archive/.incoming/`` and renamed into place; packages
already in the archive are never opened for writing. An exclusive lock on
``archive/.lock`` is held for the whole stage.
"""

from __future__ import annotations

import datetime
import os
import shutil
import tempfile
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Callable, Iterator, Sequence

from pipeline.archive.folder import (
    INCOMING_NAME, INDEX_PATH, PackageName, archive_lock, list_packages, valid_group,
)
from pipeline.bagit.writer import (
    DIR_MODE, PayloadItem, SourceChanged, SourceUnreadable, write_bag,
)
from pipeline.core.errors import ArchiveError, InputError, ProblemsFound
from pipeline.core.files import fsync_dir
from pipeline.core.records import PackageOutcome, Problem, Provenance, RenderedStatement, Withdrawal
from pipeline.events.check import verify_event_log
from pipeline.events.entry import EventDraft
from pipeline.events.log import EVENTS_NAME, append_events, log_head
from pipeline.events.packages import PACKAGE_EVENTS, head_fields, package_event_file, recover_package_events
from pipeline.events.pipeline_events import package_events, refusal_events
from pipeline.package.layout import index_json, index_record, json_file, layout, plan
from pipeline.package.predecessor import (
    Contents, check_carried_over, check_fit_to_chain, predecessor_contents, read_from_package, tagmanifest_sha256,
)
from pipeline.package.provenance import RENDITIONS_PATH, is_statement_path, provenance_items, renditions_record
from pipeline.package.unchanged import JsonDigests, planned_unchanged
from pipeline.package.refused import (
    RefusedStatement, carried_entries, carried_from, carried_items, refused_index,
)
from pipeline.package.sharing import changed_problem, share_unchanged



def package_statements(
    rendered: Sequence[RenderedStatement],
    archive_dir: Path,
    *,
    bagging_date: datetime.date,
    software_agent: str,
    event_time: datetime.datetime,
    withdrawals: Sequence[Withdrawal] = (),
    schema_id: str | None = None,
    validations: Callable[[], Sequence[EventDraft]] | None = None,
    group: str = "statements",
    provenance: Provenance | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    share: bool = True,
    refused: Sequence[RefusedStatement] = (),
    memo_dir: Path | None = None,
) -> PackageOutcome:
    """Write a new package version of *rendered* into *archive_dir*, unless the
    newest package of *group* already holds exactly this payload.

    A statement that the newest package holds and *rendered* does not must be
    in *withdrawals* (P004 otherwise); the new version lists it as withdrawn.
    The newest package is checked before anything is chained to it (P006).
    With *provenance*, the package carries what made its PDFs
    (``data/_provenance/``, :mod:`pipeline.package.provenance`).
    The package carries its own events and the log records them once it is
    in place (:mod:`pipeline.events.packages`); ``bag-info.txt`` names the
    schema (*schema_id*, its ``$id`` with its version) that validated the records.
    *validations* makes the independent validators' events; it is called only
    when a package is written (a build with nothing new needs none).

    With *share*, files carried over unchanged are hard links to the newest
    package's (:mod:`pipeline.package.sharing`); the package is the same either way.

    Raises ProblemsFound (P001, P003–P006) when a file changed since rendering,
    a statement cannot be placed, a statement went missing, or the newest
    package is damaged; ArchiveError when the archive cannot be written.

    *refused* (``--archive-rest``): statements this run refused, listed in the
    index and the events; those the newest package holds are carried over
    from it unchanged (:mod:`pipeline.package.refused`).

    *memo_dir* (in the build folder) keeps the digests of the package's JSON
    files, so that a build with nothing new need not make them to say so
    (:mod:`pipeline.package.unchanged`).
    """
    if not valid_group(group):
        raise InputError(f"group {group!r} is not usable in a package name "
                         "(letters, digits, '.', '_' and single '-')")
    if not rendered:
        raise InputError("nothing to package: no rendered statements were given")

    with _locked_archive(archive_dir):
        _remove_leftovers(archive_dir / INCOMING_NAME)
        warnings = _recover_events(archive_dir)
        packages = _existing(archive_dir, group)
        newest = packages[-1] if packages else None
        before = predecessor_contents(*newest) if newest else Contents({}, ())
        carried = {r.identifier for r in refused} & before.identifiers
        withdrawn, problems = _withdrawn_now(rendered, withdrawals, before, newest, kept=carried)
        if problems:
            raise ProblemsFound("statements went missing", problems)
        withdrawn_all = (*before.withdrawn, *withdrawn)
        index = index_record(rendered, withdrawn_all)
        renditions = renditions_record(provenance, rendered) if provenance is not None else None
        memo = JsonDigests(memo_dir)
        if newest is not None and not refused:  # the common build: nothing new, said from digests
            unchanged = planned_unchanged(rendered, index, renditions, provenance, memo)
            if unchanged is not None and unchanged == before.manifest:
                return _nothing_changed(*newest, rendered, warnings)
        items, problems = layout(rendered, json_file(index))
        if problems:
            raise ProblemsFound("statements cannot be packaged", problems)
        previous_index = read_from_package(*newest, INDEX_PATH) if newest and carried else None
        origin = carried_from(previous_index, newest[0].name if newest else None, carried)
        if refused:
            items[0] = PayloadItem(INDEX_PATH, content=index_json(
                rendered, withdrawn_all,
                carried_entries(previous_index, carried) if previous_index else (),
                refused_index(refused, origin)))
            items += carried_items(newest[1], before.manifest, carried) if carried else []
        if provenance is not None:
            items += provenance_items(provenance, json_file(renditions))
        planned, problems = plan(items, rendered)
        if problems:
            raise ProblemsFound("files changed since rendering", problems)
        if not refused:  # digests of the bytes just made, for the next build's comparison
            memo.remember(index, planned[INDEX_PATH])
            if renditions is not None:
                memo.remember(renditions, planned[RENDITIONS_PATH])
            memo.save()
        if newest is not None and before.manifest == planned:
            return _nothing_changed(*newest, rendered, warnings)
        if newest is not None and bagging_date < newest[0].date:
            raise InputError(f"bagging date {bagging_date.isoformat()} is before the date of "
                             f"the newest package {newest[0].name}; check the clock")
        if newest is not None:
            check_fit_to_chain(*newest)
            check_carried_over(newest[0], newest[1], planned, before.manifest)
            if share:  # links to exactly the files just checked; hashed again in the new bag
                items = share_unchanged(items, newest[1], planned, before.manifest)
        version = newest[0].version + 1 if newest else 1
        name = PackageName(group, bagging_date, version).name
        added, changed = _changes(planned, before.manifest)
        gone = tuple(w.identifier for w in withdrawn)
        message = _message(name, len(rendered), added, changed, gone, first=newest is None)
        info = [
            ("Bag-Software-Agent", software_agent),
            ("Bagging-Date", bagging_date.isoformat()),
            ("External-Identifier", name),
            ("Bag-Group-Identifier", group),
            ("Package-Version", str(version)),
        ]
        if schema_id:
            info.append(("Statement-Schema", schema_id))
        if newest is not None:
            info += [
                ("Predecessor-Package", newest[0].name),
                ("Predecessor-Tagmanifest-SHA256", tagmanifest_sha256(*newest)),
            ]
        log_path = archive_dir / EVENTS_NAME
        drafts = package_events(name, [r.statement.identifier for r in rendered], event_time,
                                message, withdrawn)
        drafts += refusal_events(name, refused_index(refused, origin), event_time)
        # each independent validator's verdict, after our own validation
        drafts[1:1] = validations() if validations else ()
        info += head_fields(_log_head(log_path))
        target = _build(archive_dir, name, items, info, planned,
                        {PACKAGE_EVENTS: package_event_file(drafts)}, progress)
        try:
            append_events(log_path, drafts)
        except ArchiveError as exc:
            raise ArchiveError(f"{name} was written, but its events were not recorded: {exc}; "
                               f"it carries them ({name}/{PACKAGE_EVENTS}), and the next build "
                               "records them once the log can be written") from exc
    return PackageOutcome(
        name=name, path=target, version=version, created=True, message=message,
        statements=len(rendered), added=added, changed=changed, withdrawn=gone,
        problems=tuple(warnings),
    )


def _nothing_changed(name: PackageName, path: Path, rendered: Sequence[RenderedStatement],
                     warnings: Sequence[Problem]) -> PackageOutcome:
    return PackageOutcome(
        name=name.name, path=path, version=name.version, created=False,
        message=f"nothing changed since {name.name}; no new package written",
        statements=len(rendered), problems=tuple(warnings),
    )


def _message(name: str, count: int, added: Sequence[str], changed: Sequence[str],
             withdrawn: Sequence[str], *, first: bool) -> str:
    parts = [f"wrote {name} with {count} statement{'s' if count != 1 else ''}"]
    if first:
        return parts[0]
    details = [f"{what} {', '.join(ids)}" for what, ids in
               (("added", added), ("changed", changed), ("withdrew", withdrawn)) if ids]
    return parts[0] + (": " + "; ".join(details) if details else ": index or provenance only")


def _withdrawn_now(rendered: Sequence[RenderedStatement], withdrawals: Sequence[Withdrawal],
                   before: Contents, newest: tuple[PackageName, Path] | None, kept: set[str] = frozenset(),
                   ) -> tuple[tuple[Withdrawal, ...], list[Problem]]:
    """The withdrawals that take effect in this version; P004 for a statement
    missing without one, P005 for a withdrawal of what the newest package lacks.
    *kept*: refused statements carried over from the newest package."""
    present = {r.statement.identifier for r in rendered} | kept
    already = {w.identifier for w in before.withdrawn}
    by_id = {w.identifier: w for w in withdrawals}
    problems: list[Problem] = []
    where = rendered[0].statement.metadata_path.parent if rendered else Path("statements")
    for identifier in sorted(before.identifiers - present):
        if identifier not in by_id:
            problems.append(Problem(
                "P004", str(where / f"{identifier}.json"), "",
                f"{identifier} is in {newest[0].name if newest else 'the newest package'} but not in "
                f"{where.name}/: restore its files, or withdraw it on purpose: "
                f"statement-archive withdraw {identifier} --reason \"…\""))
    for identifier in sorted(set(by_id) - before.identifiers - already - present):
        problems.append(Problem(
            "P005", str(where / "withdrawals.json"), "",
            f"{identifier} is withdrawn, but the newest package does not hold it: check the identifier"))
    effective = tuple(by_id[i] for i in sorted(before.identifiers - present) if i in by_id)
    return effective, problems


def _changes(planned: dict[str, str], before: dict[str, str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    def by_statement(manifest: dict[str, str]) -> dict[str, dict[str, str]]:
        grouped: dict[str, dict[str, str]] = {}
        for path, digest in manifest.items():
            if is_statement_path(path):
                grouped.setdefault(path.split("/")[1], {})[path] = digest
        return grouped

    new, old = by_statement(planned), by_statement(before)
    added = tuple(sorted(set(new) - set(old)))
    changed = tuple(sorted(i for i in set(new) & set(old) if new[i] != old[i]))
    return added, changed


def _recover_events(archive_dir: Path) -> list[Problem]:
    """Events an interrupted build lost, put back from the packages that carry them."""
    try:
        return recover_package_events(archive_dir)
    except ArchiveError as exc:
        raise ArchiveError(f"the event log does not hold what the packages say it held: {exc}") from exc


def _log_head(log_path: Path) -> tuple[int, str]:
    problems = [p for p in verify_event_log(log_path) if p.severity == "error"]
    if problems:
        raise ArchiveError(f"the event log is damaged ({problems[0]}); nothing was written: "
                           "repair or restore it first (statement-archive events --check)")
    return log_head(log_path)


def _existing(archive_dir: Path, group: str) -> list[tuple[PackageName, Path]]:
    try:
        return list_packages(archive_dir, group)
    except OSError as exc:
        raise ArchiveError(f"{archive_dir} cannot be read: {exc.strerror or exc}") from exc


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


def _build(archive_dir: Path, name: str, items: list[PayloadItem], info: list[tuple[str, str]],
           planned: dict[str, str], tag_files: dict[str, bytes],
           progress: Callable[[str, int, int], None] | None = None) -> Path:
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
        write_bag(building, items, info, expected_sha256=planned, tag_files=tag_files, progress=progress)
        fsync_dir(incoming)
        os.rename(building, target)
        building = None
        fsync_dir(archive_dir)
        fsync_dir(incoming)
    except SourceChanged as exc:
        raise ProblemsFound("files changed since rendering",
                            [changed_problem(item) for item in exc.items]) from exc
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
