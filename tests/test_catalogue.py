"""The catalogue stage without a browser: determinism, incremental writes,
the output folder's guard rails, withdrawals, and archive/ left untouched."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pytest

from pipeline.cli import main
from statement_factory import write_statement


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _stamps(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in sorted(folder.rglob("*")) if p.is_file()}


def _catalogue(archive: Path, out: Path, *more: str) -> tuple[int, dict]:
    stdout = io.StringIO()
    code = main(["catalogue", "--archive", str(archive), "--out", str(out), "--quiet", "--json", *more],
                out=stdout, err=io.StringIO())
    return code, json.loads(stdout.getvalue())


@pytest.fixture(scope="module")
def archive(tmp_path_factory, fonts_dir):
    root = tmp_path_factory.mktemp("catalogue")
    statements = root / "statements"
    write_statement(statements, "alpha", "First paragraph.\n\nSecond paragraph.\n", title="Alpha statement")
    write_statement(statements, "beta", "<p>Beta body</p>", suffix=".html", title="Beta statement",
                    languages=["ar"], date_issued="2021-02-03")
    args = ["--archive", str(root / "archive"), "--statements", str(statements),
            "--build-dir", str(root / "build"), "--quiet"]
    (root / "archive").mkdir()
    assert main(["build", *args, "--date", "2026-02-01"]) == 0
    return root, args


def test_same_archive_gives_the_same_bytes_and_a_rerun_writes_nothing(archive, tmp_path):
    root, _ = archive
    before = _stamps(root / "archive")
    code, first = _catalogue(root / "archive", tmp_path / "one")
    assert code == 0 and first["catalogue"]["written"] > 10
    code, _ = _catalogue(root / "archive", tmp_path / "two", "--workers", "2")  # a pool of processes
    assert code == 0 and _tree(tmp_path / "one") == _tree(tmp_path / "two")  # every byte, thumbnails too
    stamps = _stamps(tmp_path / "one")
    code, again = _catalogue(root / "archive", tmp_path / "one")
    assert code == 0 and again["catalogue"]["written"] == 0 and again["catalogue"]["removed"] == 0
    assert _stamps(tmp_path / "one") == stamps
    assert _stamps(root / "archive") == before, "the catalogue changed archive/"
    (tmp_path / "one" / "statements" / "stray.html").write_text("left over")
    (tmp_path / "one" / "index.html").write_text("damaged")
    code, repaired = _catalogue(root / "archive", tmp_path / "one")
    assert repaired["catalogue"]["removed"] == 1
    assert _tree(tmp_path / "one") == _tree(tmp_path / "two")


def _links(page: Path) -> list[str]:
    return [link for link in re.findall(r'(?:href|src)="([^"#]*)[^"]*"', page.read_text(encoding="utf-8")) if link]


def test_a_new_version_rewrites_only_what_it_changes(archive, tmp_path):
    root, args = archive
    work = tmp_path / "work"
    shutil.copytree(root, work, symlinks=True)
    args = [a.replace(str(root), str(work)) for a in args]
    out = work / "catalogue"
    assert _catalogue(work / "archive", out)[0] == 0
    stamps, before = _stamps(out), _tree(out)
    body = work / "statements" / "alpha.txt"
    body.write_text("First paragraph.\n\nSecond paragraph, corrected.\n")
    assert main(["build", *args, "--date", "2026-02-02"]) == 0  # a real build: it logs events naming beta too
    code, report = _catalogue(work / "archive", out)
    assert code == 0
    after, tree = _stamps(out), _tree(out)
    touched = {p for p in after if after[p] != stamps.get(p)}
    changed = {p for p in tree if tree[p] != before.get(p)}
    (new_thumbnail,) = {p for p in tree if p.startswith("thumbnails/")} - set(before)
    expected = {"statements/alpha.html", new_thumbnail, "index.html", "search-index.js",
                "packages/statements-2026-02-02-v0002.html", ".catalogue-cache.json", ".catalogue-state.json"}
    assert touched == expected and changed == expected  # beta's page, its thumbnail, the lists: untouched
    assert report["catalogue"]["written"] == len(expected)
    alpha = (out / "statements" / "alpha.html").read_text()
    assert "Changed in statements-2026-02-02-v0002" in alpha
    assert "<del>paragraph.</del><ins>paragraph, corrected.</ins>" in alpha
    assert "statements-2026-02-02-v0002/data/alpha/" in alpha
    beta = (out / "statements" / "beta.html").read_text()
    assert "statements-2026-02-01-v0001/data/beta/" in beta and "v0002" not in beta
    assert "Every later package holds the same files unchanged" in beta
    package = (out / "packages" / "statements-2026-02-02-v0002.html").read_text()
    assert "statements-2026-02-02-v0002/data/beta/" in package  # the newest copy, one click from beta's page
    assert "Events of this build for statements it holds unchanged" in package
    for page in [out / "statements" / "beta.html", out / "statements" / "alpha.html",
                 out / "packages" / "statements-2026-02-02-v0002.html"]:
        for link in _links(page):
            assert (page.parent / link).resolve().is_file(), f"{page.name}: {link} does not resolve"
    (beta_pdf,) = [link for link in _links(out / "statements" / "beta.html") if link.endswith(".pdf")][:1]
    newest = work / "archive" / "statements-2026-02-02-v0002" / "data" / "beta" / Path(beta_pdf).name
    assert (out / "statements" / beta_pdf).read_bytes() == newest.read_bytes()  # what the page says


def test_out_must_be_a_catalogue_and_outside_the_archive(archive, tmp_path):
    root, _ = archive
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    assert _catalogue(root / "archive", mine)[0] == 2
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]
    inside = root / "archive" / "catalogue"
    assert _catalogue(root / "archive", inside)[0] == 2
    assert not inside.exists()
    assert _catalogue(root / "archive", tmp_path / "new")[0] == 0  # positive control


def test_withdrawal_is_shown(archive, tmp_path):
    root, _ = archive
    copy = tmp_path / "archive"
    shutil.copytree(root / "archive", copy)
    (package,) = sorted(copy.glob("statements-*"))
    index_path = package / "data" / "index.json"
    index = json.loads(index_path.read_text())
    index["withdrawn"] = [{"identifier": "beta", "date": "2026-02-01", "reason": "Issued in error <b>x</b>"}]
    index_path.write_text(json.dumps(index))
    code, _ = _catalogue(copy, tmp_path / "out")
    assert code == 0
    page = (tmp_path / "out" / "statements" / "beta.html").read_text()
    assert "Withdrawn on 2026-02-01" in page and "Issued in error &lt;b&gt;x&lt;/b&gt;" in page
    home = (tmp_path / "out" / "index.html").read_text()
    assert "<dt>Withdrawals</dt><dd>1</dd>" in home
    alpha = (tmp_path / "out" / "statements" / "alpha.html").read_text()
    assert "Withdrawn on" not in alpha  # negative control


def test_a_file_that_differs_from_its_manifest_is_not_shown(archive, tmp_path):
    root, _ = archive
    copy = tmp_path / "archive"
    shutil.copytree(root / "archive", copy)
    (body,) = copy.glob("statements-*/data/alpha/alpha.txt")
    body.write_text("Tampered text\n")
    code, report = _catalogue(copy, tmp_path / "out")
    assert code == 1
    codes = {p["code"] for stage in report["stages"] for p in stage["problems"]}
    assert "K003" in codes
    assert not (tmp_path / "out" / "statements" / "alpha.html").exists()
    assert "Tampered" not in (tmp_path / "out" / "search-index.js").read_text()
    assert (tmp_path / "out" / "statements" / "beta.html").exists()


def _write_mo(path: Path, messages: dict[str, str]) -> None:
    """A GNU gettext .mo file (the format `pybabel compile` and msgfmt write)."""
    import struct

    entries = sorted({"": "Content-Type: text/plain; charset=UTF-8\n", **messages}.items())
    ids = b"".join(k.encode() + b"\0" for k, _ in entries)
    strs = b"".join(v.encode() + b"\0" for _, v in entries)
    n = len(entries)
    start = 7 * 4 + 16 * n
    offsets, pos = [], 0
    for k, _ in entries:
        offsets.append((len(k.encode()), start + pos))
        pos += len(k.encode()) + 1
    values, pos = [], 0
    for _, v in entries:
        values.append((len(v.encode()), start + len(ids) + pos))
        pos += len(v.encode()) + 1
    header = struct.pack("<7I", 0x950412DE, 0, n, 7 * 4, 7 * 4 + 8 * n, 0, 0)
    table = b"".join(struct.pack("<2I", *o) for o in offsets) + b"".join(struct.pack("<2I", *v) for v in values)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(header + table + ids + strs)


def test_labels_in_the_statements_language_where_a_catalogue_exists(archive, tmp_path):
    root, _ = archive
    locale = tmp_path / "locale"
    _write_mo(locale / "ar" / "LC_MESSAGES" / "messages.mo", {"Issued by": "صادر عن", "History": "السجل"})
    out = tmp_path / "out"
    code = main(["catalogue", "--archive", str(root / "archive"), "--out", str(out), "--quiet",
                 "--locale-dir", str(locale)], out=io.StringIO(), err=io.StringIO())
    assert code == 0
    beta = (out / "statements" / "beta.html").read_text()
    assert '<html lang="ar" dir="rtl">' in beta
    assert "صادر عن" in beta and "السجل" in beta and "Date issued" in beta  # untranslated: English
    alpha = (out / "statements" / "alpha.html").read_text()
    assert '<html lang="en" dir="ltr">' in alpha and "Issued by" in alpha and "صادر عن" not in alpha
    plain = tmp_path / "plain"
    main(["catalogue", "--archive", str(root / "archive"), "--out", str(plain), "--quiet",
          "--locale-dir", str(tmp_path / "none")], out=io.StringIO(), err=io.StringIO())
    assert '<html lang="en" dir="ltr">' in (plain / "statements" / "beta.html").read_text()


def test_exit_codes_and_help(tmp_path, capsys):
    assert _catalogue(tmp_path / "no-archive", tmp_path / "out")[0] == 4
    assert not (tmp_path / "out").exists()
    assert main(["catalogue", "--help"]) == 0
    assert "file://" in capsys.readouterr().out


def test_a_builds_repeated_events_for_unchanged_statements_are_counted_on_its_package():
    from pipeline.catalogue.history import events_by_object
    from pipeline.catalogue.holdings import Copy, PayloadFile
    from pipeline.events.entry import Link, LoggedEvent

    def event(n: int, kind: str, *objects: tuple[str, str]) -> LoggedEvent:
        return LoggedEvent(n, f"e{n}", kind, "", f"2026-01-0{n}T00:00:00Z", "success", f"detail {kind}",
                           (), tuple(Link(t, v, "source") for t, v in objects), "", "")

    def copy(identifier: str, package: str, digest: str) -> Copy:
        return Copy(identifier, package, 1, (PayloadFile("pdf", f"data/{identifier}/{identifier}.pdf", digest),))

    copies = {"a": (copy("a", "p1", "1"), copy("a", "p2", "2")),  # changed in p2
              "b": (copy("b", "p1", "3"), copy("b", "p2", "3"))}  # carried unchanged into p2
    log = [event(1, "validation", ("statement", "a"), ("statement", "b")),
           event(2, "creation", ("package", "p1"), ("statement", "a"), ("statement", "b")),
           event(3, "transfer", ("statement", "b")),  # not a build's: always listed
           event(4, "validation", ("statement", "a"), ("statement", "b")),
           event(5, "creation", ("package", "p2"), ("statement", "a"), ("statement", "b"))]
    found = events_by_object(log, copies)
    assert [e.sequence for e in found.statements["a"]] == [1, 2, 4, 5]  # control: a's own changes
    assert [e.sequence for e in found.statements["b"]] == [1, 2, 3]
    assert found.carried == {"p2": {("validation", "success", "detail validation"): 1,
                                    ("creation", "success", "detail creation"): 1}}
    assert [e.sequence for e in found.packages["p2"]] == [5]


def test_every_later_package_holds_it_only_while_the_newest_does():
    from pipeline.catalogue.holdings import Copy, Holdings, Package, PayloadFile
    from pipeline.catalogue.views import open_tails

    def copy(identifier: str, package: str) -> Copy:
        return Copy(identifier, package, 1, (PayloadFile("pdf", f"data/{identifier}/{identifier}.pdf", "1"),))

    packages = tuple(Package(f"p{n}", "statements", n, "2026-01-01", Path(f"p{n}"), (), (), ()) for n in (1, 2, 3))
    holdings = Holdings(packages, {"kept": (copy("kept", "p1"), copy("kept", "p2"), copy("kept", "p3")),
                                   "dropped": (copy("dropped", "p1"), copy("dropped", "p2")),
                                   "gap": (copy("gap", "p1"), copy("gap", "p3"))}, (), ())
    assert open_tails(holdings) == {"kept": True, "dropped": False, "gap": False}
