"""`statement-archive import` and `review`: real captures in, draft statements out.

Real inputs only: the seed, ../shared/corpus (skipped with the reason where it
is absent), and captures made here with the real formats' libraries (a saved
ministry page, WARCs written by warcio, a WACZ). Each negative test has its
positive control beside it.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from capture_factory import (
    FIRST, FOOTER, LAST, NAV, error_page, index_page, login_page, ministry_page, mixed_warc, write_wacz,
)
from recording_server import recording_http_server
from shared_corpus import SHARED_CORPUS

from pipeline.cli import main
from pipeline.importer.draft import FILL_IN
from pipeline.importer.stage import ImportOptions, import_captures
from pipeline.validate import validate_statements

PROJECT = Path(__file__).resolve().parents[1]
SCHEMA = PROJECT / "schemas" / "statement.schema.json"
SEED = PROJECT.parent / "shared" / "seed" / "embassy-nl-2019-huawei-5g-remarks.txt"
SEED_FIRST = ("On June 5, U.S. Ambassador Pete Hoekstra said the Dutch government should ban Huawei outright "
              "from supplying equipment for a new 5G mobile telecommunications network in the Netherlands if "
              "it wants to prevent spying by the Chinese state.")
SEED_LAST = ("to encourage and support business community and scientific research institutions from different "
             "countries to strengthen exchanges and cooperation and to make positive contributions to the "
             "promotion of human well-being.")
SEED_FURNITURE = (
    "Home Page Embassy Information Consular Service CPC 100th Anniversary Travel in China 中文",
    "Home\u00a0>\u00a0Embassy Events & Notices",
    "Suggest To A Friend",
    "Embassy of the People's Republic of China in the Kingdom of the Netherlands All Rights Reserved",
    "Add: Willem Lodewijklaan 10, 2517 JT Den Haag Tel: 0031-70-3065061",
)


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} not present (../shared is only on CI and developer machines)")
    return path


def run_import(into: Path, *paths: Path, workers: int = 1, accept: bool = False):
    return import_captures(list(paths), ImportOptions(into, accept=accept, workers=workers))


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def codes(report) -> set[str]:
    return {p.code for p in report.problems}


def statement(into: Path, identifier: str) -> tuple[dict, str]:
    return (json.loads((into / f"{identifier}.json").read_text(encoding="utf-8")),
            (into / f"{identifier}.txt").read_text(encoding="utf-8"))


@pytest.fixture()
def into(tmp_path: Path) -> Path:
    folder = tmp_path / "statements"
    folder.mkdir()
    return folder


# --- the seed ---------------------------------------------------------------------------------

def test_seed_capture_becomes_its_statement_and_the_furniture_is_dropped(into):
    seed = need(SEED)
    report = run_import(into, seed)
    assert [i["outcome"] for i in report.items] == ["drafted"]
    metadata, text = statement(into, "embassy-nl-2019-huawei-5g-remarks")
    assert (into / "embassy-nl-2019-huawei-5g-remarks.capture.txt").read_bytes() == seed.read_bytes()
    assert text.startswith(SEED_FIRST) and text.rstrip().endswith(SEED_LAST)
    assert not any(line in text for line in SEED_FURNITURE)
    dropped = {(tuple(r["lines"]), r["text"]) for r in metadata["extraction"]["dropped"]}
    assert ((1, 1), SEED_FURNITURE[0]) in dropped and ((16, 16), SEED_FURNITURE[2]) in dropped
    assert [r["lines"] for r in metadata["extraction"]["kept"]] == [[5, 14]]
    assert metadata["title"].startswith("Remarks of the spokesperson of the Chinese Embassy")
    assert metadata["drafted_from"]["title"] == "text line 3 (the page title above the statement)"
    assert metadata["review"]["status"] == "draft"
    assert metadata["capture"]["sha256"] == hashlib.sha256(seed.read_bytes()).hexdigest()
    assert metadata["extraction"]["text_sha256"] == hashlib.sha256(text.encode()).hexdigest()


def test_the_shipped_seed_is_that_import_reviewed(tmp_path):
    """statements/ holds the seed as capture + reviewed extraction; importing the seed again changes nothing."""
    seed = need(SEED)
    copy = tmp_path / "statements"
    shutil.copytree(PROJECT / "statements", copy)
    before = {p.name: p.read_bytes() for p in copy.iterdir()}
    report = run_import(copy, seed)
    assert [i["outcome"] for i in report.items] == ["unchanged"]
    assert {p.name: p.read_bytes() for p in copy.iterdir()} == before
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    run_import(fresh, seed)
    assert (fresh / "embassy-nl-2019-huawei-5g-remarks.txt").read_bytes() == \
        (copy / "embassy-nl-2019-huawei-5g-remarks.txt").read_bytes()


def test_seed_pdf_starts_and_ends_with_the_statement(tmp_path):
    """The real render of the shipped seed, read back by poppler."""
    statements = tmp_path / "statements"
    statements.mkdir()
    for name in ("json", "txt", "capture.txt"):
        shutil.copy(PROJECT / "statements" / f"embassy-nl-2019-huawei-5g-remarks.{name}", statements)
    code, out, err = cli("render", "--statements", str(statements), "--build-dir", str(tmp_path / "build"),
                         "--workers", "1", "--quiet")
    assert code == 0, out + err
    pdf = tmp_path / "build" / "pdf" / "embassy-nl-2019-huawei-5g-remarks.pdf"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    # Without the running header (identifier, document type) and footer (page numbers) of each page.
    flat = " ".join(re.sub(r"Page \d+ of \d+|embassy-nl-2019-huawei-5g-remarks\s+remarks\n", "", text).split())
    # The title block ends with the access value; the colophon (a last page of its own) follows the text.
    body = flat[flat.index(" public ") + len(" public "):flat.index("About this rendition")].strip()
    assert body.startswith(" ".join(SEED_FIRST.split()))
    assert body.endswith(" ".join(SEED_LAST.split()))
    assert "page's navigation and other furniture were omitted" in " ".join(flat.split())
    for line in ("Home Page Embassy Information", "CPC 100th Anniversary", "> Embassy Events",
                 "Suggest To A Friend", "Willem Lodewijklaan", "0031-70-3065061", "Netherlands All Rights Reserved"):
        # (The colophon quotes the record's description, which names what was left out.)
        assert line not in flat[:flat.index("About this rendition")], line
    assert flat.count("Remarks of the spokesperson of the Chinese Embassy") == 1  # the title, once
    code, out, err = cli("check", "--statements", str(statements), "--build-dir", str(tmp_path / "build"), "--quiet")
    assert code == 0, out + err  # embedded files: metadata /Data, text /Data, capture /Source, digests


# --- the shared corpus --------------------------------------------------------------------------

HTML_SENTENCES = {
    "018": ("Ned Price, Department Spokesperson", "as they respond to this tragedy."),
    "021": ("Office of the Spokesperson", "deliver environmental justice to communities overburdened by pollution."),
    "022": ("Antony J. Blinken, Secretary of State", "The people of Ukraine will prevail."),
    "024": ("Jalina Porter, Principal Deputy Spokesperson", "(The briefing was concluded at 2:29 p.m.)\n\n# # #"),
}


def test_corpus_html_fragments(into):
    corpus = need(SHARED_CORPUS)
    fragments = sorted(corpus.glob("0[12]*.html"))
    assert len(fragments) == 11
    report = run_import(into, *fragments)
    assert [i["outcome"] for i in report.items] == ["drafted"] * 11, report.problems
    for fragment in fragments:
        identifier = fragment.stem
        metadata, text = statement(into, identifier)
        assert (into / f"{identifier}.capture.html").read_bytes() == fragment.read_bytes()
        assert metadata["extraction"]["tool"] == "trafilatura"
        assert "data-filter" not in text and "<" not in text
        if fragment.name[:3] in HTML_SENTENCES:
            first, last = HTML_SENTENCES[fragment.name[:3]]
            assert text.startswith(first + "\n\n"), text[:100]
            assert text.rstrip().endswith(last), text[-100:]
    # The briefing's footnote list is furniture for trafilatura, and is said to be dropped.
    metadata, _ = statement(into, "024-us-state-dept-press-briefing-2021-06-02")
    assert any("internationally" in r["text"] for r in metadata["extraction"]["dropped"])


def test_corpus_text_captures_are_kept_whole(into):
    corpus = need(SHARED_CORPUS)
    texts = sorted(corpus.glob("0[13]*.txt"))
    report = run_import(into, *texts)
    assert [i["outcome"] for i in report.items] == ["drafted"] * len(texts)
    for capture in texts:
        metadata, text = statement(into, capture.stem)
        assert (into / f"{capture.stem}.capture.txt").read_bytes() == capture.read_bytes()
        if capture.name.startswith("033"):  # an HTML <meta> line saved above the decision
            assert [r["lines"] for r in metadata["extraction"]["dropped"]] == [[1, 1]]
            assert text.startswith("##Besluit van de Minister van Buitenlandse Zaken")
        else:
            assert metadata["extraction"]["dropped"] == [], capture.name
    _, text = statement(into, "011-ukraine-president-address-2022-05-17-en")
    assert text.startswith("Ukrainians!") and text.rstrip().endswith("**Glory to Ukraine!**")
    mojibake = [p for p in report.problems if p.code == "I004"]
    assert [Path(p.file).name[:3] for p in mojibake] == ["014"]  # and its text is not repaired:
    assert "â€”" in statement(into, "014-unga-general-debate-germany-1998-mojibake")[1]


# --- captures made here -----------------------------------------------------------------------

def test_saved_page_with_navigation_scripts_and_a_conflicting_charset(into, tmp_path):
    page = tmp_path / "archival-cooperation.html"
    page.write_bytes(ministry_page())
    resources = tmp_path / "archival-cooperation_files"
    resources.mkdir()
    (resources / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    report = run_import(into, page)
    metadata, text = statement(into, "archival-cooperation")
    assert (into / "archival-cooperation.capture.html").read_bytes() == page.read_bytes()
    paragraphs = text.strip().split("\n\n")
    assert paragraphs[0] == "15 March 2024" and paragraphs[1] == FIRST and paragraphs[-1] == LAST
    for furniture in (*NAV, FOOTER, "Share", "Sitemap", "pageCharset", "Agreement on archival cooperation"):
        assert furniture not in text, furniture
    dropped = " ".join(r["text"] for r in metadata["extraction"]["dropped"])
    assert all(item in dropped for item in NAV) and FOOTER in dropped
    assert sum("<script>" in r["why"] for r in metadata["extraction"]["dropped"]) == 2
    charset = [p.message for p in report.problems if p.code == "I003"]
    assert charset == ["<meta> says UTF-8, script says gb2312 and the bytes are valid utf-8: used utf-8 (<meta>)"]
    assert metadata["title"] == "Agreement on archival cooperation"
    assert metadata["issuer"] == "Ministry of Foreign Affairs of the Republic of Examplia"
    assert metadata["date_issued"] == "2024-03-15" and metadata["languages"] == ["en"]
    assert metadata["source"]["url"] == "https://mfa.examplia.example/press/2024/03/archival-cooperation.html"
    assert metadata["drafted_from"]["title"] == "html <h1>"
    assert metadata["drafted_from"]["issuer"] == "html <meta property=og:site_name>"
    assert [f["path"] for f in metadata["capture"]["resources"]["files"]] == ["logo.png"]  # archived: see
    assert (into / "archival-cooperation.capture_files" / "logo.png").read_bytes() == b"\x89PNG\r\n\x1a\n"  # test_import_resources


def test_a_page_without_a_script_charset_reports_no_disagreement(into, tmp_path):
    page = tmp_path / "plain.html"
    page.write_bytes(ministry_page(charset_script=False))
    assert "I003" not in codes(run_import(into, page))  # positive control of the test above


def test_warc_with_responses_a_redirect_an_image_and_an_error_page(into, tmp_path):
    warc = mixed_warc(tmp_path / "crawl.warc.gz")
    report = run_import(into, warc)
    outcomes = [(i["outcome"], i.get("identifier")) for i in report.items]
    assert sorted(outcomes, key=str) == sorted([
        ("skipped", None), ("skipped", None), ("refused", None), ("drafted", "archival-cooperation"),
        ("drafted", "verklaring"), ("drafted", "cafe")], key=str)
    assert {p.code for p in report.problems if p.severity == "error"} == {"I001"}
    assert any("redirect (HTTP 301)" in p.message for p in report.problems if p.code == "I009")
    assert any("image/png" in p.message for p in report.problems if p.code == "I009")
    data = warc.read_bytes()
    for identifier, url in (("archival-cooperation", "https://mfa.examplia.example/press/archival-cooperation.html"),
                            ("verklaring", "https://minbuza.examplia.example/verklaring.html")):
        metadata, text = statement(into, identifier)
        capture = (into / f"{identifier}.capture.warc.gz").read_bytes()
        where = metadata["capture"]["provenance"]
        assert capture == data[where["offset"]:where["offset"] + where["length"]]  # byte-identical slice
        records = list(ArchiveIterator(io.BytesIO(capture)))  # a valid one-record WARC on its own
        assert len(records) == 1 and records[0].rec_headers.get_header("WARC-Target-URI") == url
        assert metadata["source"] == {"url": url, "retrieved": "2024-03-16", "note": metadata["source"]["note"]}
        assert metadata["capture"]["media_type"] == "application/warc"
    _, text = statement(into, "archival-cooperation")
    assert FIRST in text and text.rstrip().endswith(LAST)
    metadata, text = statement(into, "verklaring")
    assert metadata["languages"] == ["nl"] and text.startswith("Het ministerie maakt vandaag bekend")
    assert "Home" not in text and "Copyright" not in text
    metadata, text = statement(into, "cafe")  # windows-1252 bytes, declared only in the HTTP header
    assert metadata["capture"]["charset"]["decided_by"] == "HTTP header"
    assert "naïve press corps at the café on the square – a first." in text


def test_uncompressed_warc_records_are_sliced_too(into, tmp_path):
    warc = mixed_warc(tmp_path / "crawl.warc")
    run_import(into, warc)
    capture = (into / "verklaring.capture.warc").read_bytes()
    assert capture.startswith(b"WARC/1") and capture in warc.read_bytes()


def test_wacz_is_read_through_its_datapackage(into, tmp_path):
    warc = mixed_warc(tmp_path / "data.warc.gz")
    wacz = write_wacz(tmp_path / "crawl.wacz", warc)
    report = run_import(into, wacz)
    drafted = sorted(i["identifier"] for i in report.items if i["outcome"] == "drafted")
    assert drafted == ["archival-cooperation", "cafe", "verklaring"]
    metadata, _ = statement(into, "verklaring")
    assert metadata["capture"]["provenance"]["container"] == "crawl.wacz"
    assert metadata["capture"]["provenance"]["warc"] == "archive/data.warc.gz"
    # Negative: a WACZ whose WARC does not match its datapackage.json hash is refused, naming it.
    other = tmp_path / "other"
    other.mkdir()
    bad = run_import(other, write_wacz(tmp_path / "bad.wacz", warc, tamper=True))
    assert codes(bad) == {"I007"} and "bad.wacz!archive/data.warc.gz" in bad.problems[0].file
    assert not list(other.iterdir())


def test_url_list_selects_pages_already_in_the_warc(into, tmp_path):
    warc = mixed_warc(tmp_path / "crawl.warc.gz")
    urls = tmp_path / "urls.txt"
    urls.write_text("https://minbuza.examplia.example/verklaring.html\nhttps://never.example/captured.html\n")
    report = run_import(into, urls, warc)
    assert [i.get("identifier") for i in report.items if i["outcome"] == "drafted"] == ["verklaring"]
    missing = [p for p in report.problems if p.code == "I008"]
    assert len(missing) == 1 and "https://never.example/captured.html" in missing[0].message


@pytest.mark.parametrize("make, why", [(index_page, "index or list page"), (error_page, "error page"),
                                       (login_page, "login wall")])
def test_pages_without_a_statement_are_refused_naming_the_file(into, tmp_path, make, why):
    page = tmp_path / f"{make.__name__}.html"
    page.write_bytes(make())
    control = tmp_path / "statement.html"
    control.write_bytes(ministry_page())
    code, out, err = cli("import", str(page), str(control), "--into", str(into), "--quiet", "--workers", "1")
    assert code == 1
    assert f"I001 {page}: " in out and why in out
    assert sorted(p.name for p in into.iterdir()) == ["statement.capture.html", "statement.json", "statement.txt"]


def test_truncated_text_capture_is_flagged(into, tmp_path):
    capture = tmp_path / "cut.txt"
    capture.write_text("The minister said the talks were useful. Both sides agreed to meet again in the spr")
    report = run_import(into, capture)
    metadata, _ = statement(into, "cut")
    assert "I005" in codes(report)
    assert any("mid-sentence" in item for item in metadata["review"]["needs_attention"])
    whole = tmp_path / "whole.txt"
    whole.write_text("The minister said the talks were useful. Both sides agreed to meet again in the spring.\n")
    assert "I005" not in codes(run_import(into, whole))


def test_importing_twice_changes_nothing_and_says_so(into, tmp_path):
    page = tmp_path / "page.html"
    page.write_bytes(ministry_page())
    assert cli("import", str(page), "--into", str(into), "--quiet")[0] == 0
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in into.iterdir()}
    code, out, _ = cli("import", str(page), "--into", str(into), "--quiet")
    assert code == 0 and "nothing changed" in out and "already imported as page" in out
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in into.iterdir()} == before


def test_batch_in_the_worker_pool_is_reproducible(tmp_path):
    """A batch on two workers writes the same bytes as one process, with a progress bar and a summary."""
    captures = tmp_path / "captures"
    captures.mkdir()
    for number in range(24):
        (captures / f"page-{number:02d}.html").write_bytes(
            ministry_page().replace(b"signed today", f"signed on day {number}".encode()))
    (captures / "index.html").write_bytes(index_page())
    outputs = []
    for workers in ("1", "2"):
        folder = tmp_path / f"into-{workers}"
        folder.mkdir()
        code, out, err = cli("import", *sorted(map(str, captures.iterdir())), "--into", str(folder),
                             "--workers", workers, "--json")
        report = json.loads(out)
        assert code == 1 and report["summary"]["drafted"] == 24 and report["summary"]["refused"] == 1
        assert "[##############################] 25/25" in err
        outputs.append({p.name: p.read_bytes() for p in folder.iterdir()})
    assert outputs[0] == outputs[1] and len(outputs[0]) == 72


# --- validation, review, accept ----------------------------------------------------------------

def test_validate_refuses_a_draft_until_it_is_reviewed(into, tmp_path):
    page = tmp_path / "page.html"
    page.write_bytes(ministry_page())
    run_import(into, page)
    archive = tmp_path / "archive"
    statements, report = validate_statements(into, SCHEMA)
    assert [(p.code, p.file, p.pointer) for p in report.errors] == [("V031", "statements/page.json", "/review/status")]
    # review refuses while a field still says "fill in"…
    code, out, err = cli("review", "page", "--statements", str(into), "--yes", "--archive", str(archive))
    assert code == 1 and "I010" in err and "/rights/statement" in err
    fill_in_rights(into, "page")
    code, out, err = cli("review", "page", "--statements", str(into), "--yes", "--by", "A. Officer",
                         "--archive", str(archive))
    assert code == 0, err
    assert "- lines" in out and "+ lines" in out and FIRST in out
    statements, report = validate_statements(into, SCHEMA)
    assert report.ok and [s.capture_path.name for s in statements] == ["page.capture.html"]
    reviewed = json.loads((into / "page.json").read_text())["review"]
    assert reviewed["status"] == "reviewed" and reviewed["reviewed_by"] == "A. Officer"

    # The capture altered, then missing; the body edited after review: each named.
    capture = into / "page.capture.html"
    original = capture.read_bytes()
    capture.write_bytes(original.replace(b"welcomes", b"regrets"))
    assert {(p.code, p.pointer) for p in validate_statements(into, SCHEMA)[1].errors} == {("V033", "/capture/sha256")}
    capture.unlink()
    assert {(p.code, p.pointer) for p in validate_statements(into, SCHEMA)[1].errors} == {("V032", "/capture/file")}
    capture.write_bytes(original)
    body = into / "page.txt"
    body.write_text(body.read_text() + "An unreviewed addition.\n")
    assert {(p.code, p.pointer) for p in validate_statements(into, SCHEMA)[1].errors} == {("V034", "/review/body_sha256")}


def test_review_without_a_terminal_asks_for_yes(into, tmp_path, monkeypatch):
    page = tmp_path / "page.html"
    page.write_bytes(ministry_page())
    run_import(into, page)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    code, out, err = cli("review", "page", "--statements", str(into), "--archive", str(tmp_path / "archive"))
    assert code == 2 and "--yes" in err
    assert json.loads((into / "page.json").read_text())["review"]["status"] == "draft"


def fill_in_rights(into: Path, identifier: str) -> None:
    metadata = json.loads((into / f"{identifier}.json").read_text())
    metadata["rights"]["statement"] = "Public domain (test data)"
    (into / f"{identifier}.json").write_text(json.dumps(metadata))


def validation_events(archive: Path) -> list[dict]:
    log = archive / "events.jsonl"
    lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    return [e for e in map(json.loads, lines) if e["eventType"] == "validation"]


def test_review_is_an_event_in_the_log_and_a_draft_not_reviewed_has_none(into, tmp_path):
    for name in ("reviewed", "left"):
        (tmp_path / f"{name}.html").write_bytes(ministry_page().replace(b"signed today", name.encode()))
    run_import(into, tmp_path / "reviewed.html", tmp_path / "left.html")
    archive = tmp_path / "archive"
    fill_in_rights(into, "reviewed")
    # Refused (a field still says "fill in"): no event (the negative control), and the draft stays a draft.
    code, out, err = cli("review", "left", "--statements", str(into), "--yes", "--archive", str(archive))
    assert code == 1 and "I010" in err
    assert validation_events(archive) == []
    code, out, err = cli("review", "reviewed", "--statements", str(into), "--yes", "--by", "A. Officer",
                         "--archive", str(archive))
    assert code == 0, err
    events = validation_events(archive)
    assert len(events) == 1
    event = events[0]
    assert event["eventOutcome"] == "success" and event["eventOutcomeDetail"].startswith("reviewed: review reviewed:")
    body_sha256 = hashlib.sha256((into / "reviewed.txt").read_bytes()).hexdigest()
    assert body_sha256 in event["eventOutcomeDetail"] and "A. Officer" in event["eventOutcomeDetail"]
    assert {"type": "person", "value": "A. Officer", "role": "validator"} in event["linkingAgentIdentifier"]
    assert any(a["type"] == "software" for a in event["linkingAgentIdentifier"])
    statements = [o["value"] for o in event["linkingObjectIdentifier"] if o["type"] == "statement"]
    assert statements == ["reviewed"]  # the draft not reviewed is in no event
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", event["eventDateTime"])
    assert json.loads((into / "reviewed.json").read_text())["review"]["reviewed_at"] == event["eventDateTime"]
    assert json.loads((into / "left.json").read_text())["review"]["status"] == "draft"
    assert cli("events", "--check", "--archive", str(archive), "--quiet")[0] == 0
    # Without --by, the account that ran it is named.
    fill_in_rights(into, "left")
    code, out, err = cli("review", "left", "--statements", str(into), "--yes", "--archive", str(archive))
    assert code == 0, err
    assert validation_events(archive)[-1]["linkingAgentIdentifier"][-1]["type"] == "local user"


def test_a_review_the_log_cannot_record_exits_4_and_says_so(into, tmp_path):
    (tmp_path / "page.html").write_bytes(ministry_page())
    run_import(into, tmp_path / "page.html")
    fill_in_rights(into, "page")
    archive = tmp_path / "archive"
    archive.write_text("not a folder")
    code, out, err = cli("review", "page", "--statements", str(into), "--yes", "--archive", str(archive))
    assert code == 4 and "E009" in err and "review again" in err and "Traceback" not in err


def test_accept_marks_reviewed_and_is_recorded_in_the_event_log(into, tmp_path):
    page = tmp_path / "page.html"
    page.write_bytes(ministry_page())
    archive = tmp_path / "archive"
    code, out, err = cli("import", str(page), "--into", str(into), "--accept", "--archive", str(archive), "--quiet")
    assert code == 0, err
    review = json.loads((into / "page.json").read_text())["review"]
    assert review["status"] == "reviewed" and review["accepted_in_batch"] is True
    events = [json.loads(line) for line in (archive / "events.jsonl").read_text().splitlines()]
    assert len(events) == 1 and events[0]["eventType"] == "validation"
    assert events[0]["eventOutcomeDetail"].startswith("accepted in batch: import --accept: 1 imported draft")
    assert events[0]["eventOutcome"] == "warning"
    assert [o["value"] for o in events[0]["linkingObjectIdentifier"]] == ["page"]
    assert {a["role"] for a in events[0]["linkingAgentIdentifier"]} == {"executing program", "authorizer"}
    assert cli("events", "--check", "--archive", str(archive), "--quiet")[0] == 0
    # The control: the same import without --accept drafts, and records nothing.
    other = tmp_path / "other"
    other.mkdir()
    code, out, err = cli("import", str(page), "--into", str(other), "--archive", str(tmp_path / "archive2"), "--quiet")
    assert code == 0, err
    assert not (tmp_path / "archive2" / "events.jsonl").exists()
    assert json.loads((other / "page.json").read_text())["review"]["status"] == "draft"


# --- sandbox ----------------------------------------------------------------------------------

def test_import_fetches_nothing(into, tmp_path):
    with recording_http_server() as (base, requests):
        page = tmp_path / "page.html"
        page.write_bytes(ministry_page(base).replace(
            b"<head>", f'<head><meta http-equiv="refresh" content="0; url={base}/refresh">'
                       f'<link rel="preload" href="{base}/preload">'.encode(), 1))
        text = tmp_path / "urls-only-in-text.txt"
        text.write_text(f"Read the statement at {base}/statement.html. It is online now.\n")
        warc = mixed_warc(tmp_path / "crawl.warc.gz")
        for workers in (1, 2):
            folder = tmp_path / f"into-{workers}"
            folder.mkdir()
            report = run_import(folder, page, text, warc, workers=workers)
            assert sum(i["outcome"] == "drafted" for i in report.items) == 5
        assert requests == []
        # Positive control: the server answers a real request, so silence above means no request.
        urllib.request.urlopen(f"{base}/control", timeout=5).read()
        assert requests == ["GET /control"]


def test_the_network_guard_refuses_connections_while_drafting():
    from pipeline.importer.sandbox import no_network

    with recording_http_server() as (base, requests):
        with no_network(), pytest.raises(OSError, match="import never uses the network"):
            urllib.request.urlopen(f"{base}/x", timeout=5)
        urllib.request.urlopen(f"{base}/after", timeout=5).read()  # restored afterwards
        assert requests == ["GET /after"]


def test_htmldate_is_never_given_a_string_it_would_download():
    """htmldate downloads a str that looks like a URL; the importer hands it trees only."""
    import htmldate

    from pipeline.importer.htmlextract import extract_html

    with recording_http_server() as (base, requests):
        extraction = extract_html(f"{base}/page.html", fragment=False)
        assert requests == [] and extraction.refusal
        htmldate.find_date(f"{base}/page.html")  # positive control: htmldate alone does fetch it
        assert requests == ["GET /page.html"]


def test_gzip_member_capture_decompresses_to_a_warc_record(into, tmp_path):
    run_import(into, mixed_warc(tmp_path / "crawl.warc.gz"))
    assert gzip.decompress((into / "cafe.capture.warc.gz").read_bytes()).startswith(b"WARC/1")


# --- the render key ---------------------------------------------------------------------------

def test_a_new_extractor_version_re_renders_only_statements_with_a_capture(tmp_path, monkeypatch, fonts_dir,
                                                                            warm_build):
    from pipeline.render import stage as render_stage
    from pipeline.render.renderer import RenderConfig

    statements = tmp_path / "statements"
    shutil.copytree(PROJECT / "statements", statements)
    for path in statements.iterdir():  # the seed (a capture) and one written statement
        if not path.name.startswith(("embassy-nl-2019", "examplia-mfa-2023-press-release")):
            path.unlink()
    build = warm_build  # the two are rendered already: what matters is which a new extractor makes stale
    code, out, err = cli("render", "--statements", str(statements), "--build-dir", str(build), "--quiet")
    assert code == 0, out + err
    valid, _ = validate_statements(statements, SCHEMA)
    config = RenderConfig(PROJECT / "templates", fonts_dir, build)

    def reused(found) -> dict[str, bool]:
        return {statement.identifier: pdf is not None for statement, _, pdf in found}

    both = {"embassy-nl-2019-huawei-5g-remarks": True, "examplia-mfa-2023-press-release-archives-cooperation": True}
    assert reused(render_stage.find_rendered(valid, build / "pdf", config)) == both  # control: nothing stale
    monkeypatch.setattr(render_stage, "extractor_versions", lambda: "trafilatura 9.9.9; line logic x")
    assert reused(render_stage.find_rendered(valid, build / "pdf", config)) == {
        **both, "embassy-nl-2019-huawei-5g-remarks": False}
