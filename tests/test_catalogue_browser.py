"""The catalogue in a real browser (Debian's headless Chromium via Playwright).

One archive of the example statements plus a statement full of script, style
and link payloads, built twice (the seed statement changed in between), then
catalogued. Every page is opened from file://; every request the browser makes
is recorded and must be a file of the catalogue or the archive; a local HTTP
server named in the payloads must receive nothing.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from browser import axe_source, axe_violations, chromium, fresh_context
from pipeline.cli import main
from recording_server import recording_http_server
from statement_factory import write_statement

SEED = "embassy-nl-2019-huawei-5g-remarks"
ARABIC = "examplia-mfa-2023-statement-flood-relief-ar"
CHINESE = "examplia-mfa-2023-press-release-archives-cooperation"
HOSTILE = "hostile-payloads"


def _payloads(url: str) -> dict[str, str]:
    return {
        "title": f'<script>alert("title")</script><img src="{url}/title.png" onerror="alert(1)">',
        "issuer": f"<style>@import url({url}/issuer.css);</style><link rel=stylesheet href={url}/link.css>",
        "speaker": '"><script>alert(2)</script>',
        "description": f'javascript:alert(3) <a href="javascript:alert(4)">x</a> <iframe src="{url}/frame"></iframe>',
        "body": (f'<p>Hostile body</p><script>alert(5)</script><img src="{url}/body.png">'
                 f'<a href="javascript:alert(6)">click</a> <a href="{url}/a">away</a>'
                 f'<style>p {{ background: url({url}/style.png) }}</style>'
                 f'<link rel="stylesheet" href="{url}/body.css"><iframe src="{url}/frame2"></iframe>'
                 f'<p onclick="alert(7)" style="background:url({url}/inline.png)">styled</p>'
                 f'<svg><image href="{url}/svg.png"/></svg><object data="{url}/object"></object>'),
    }


@pytest.fixture(scope="module")
def server():
    with recording_http_server() as (url, requests):
        yield url, requests


@pytest.fixture(scope="module")
def site(tmp_path_factory, server, fonts_dir, example_renditions):
    url, requests = server
    root = tmp_path_factory.mktemp("catalogue-browser")
    statements = root / "statements"
    shutil.copytree(Path(__file__).resolve().parents[1] / "statements", statements)
    # The examples are already rendered (what the catalogue shows is the archive, not rendering);
    # the hostile statement and the corrected seed are rendered here.
    shutil.copytree(example_renditions, root / "build" / "pdf")
    payloads = _payloads(url)
    write_statement(statements, HOSTILE, payloads.pop("body"), suffix=".html", subjects=[f"{url}/subject"],
                    **payloads)
    common = ["--archive", str(root / "archive"), "--statements", str(statements),
              "--build-dir", str(root / "build"), "--quiet"]
    (root / "archive").mkdir()
    assert main(["build", *common, "--date", "2026-01-05"]) == 0
    seed = statements / f"{SEED}.json"
    record = json.loads(seed.read_text(encoding="utf-8"))
    record["title"] = record["title"].replace("Remarks of the spokesperson", "Corrected remarks of the spokesperson")
    body = statements / f"{SEED}.txt"
    body.write_bytes(body.read_bytes().replace(b"Pete Hoekstra", b"Peter Hoekstra", 1))
    # The seed's text is a reviewed extraction of its capture: the reviewer approves the corrected text.
    record["review"]["body_sha256"] = hashlib.sha256(body.read_bytes()).hexdigest()
    seed.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    assert main(["build", *common, "--date", "2026-01-06"]) == 0
    assert main(["verify", "--archive", str(root / "archive"), "--quiet"]) == 0
    out = root / "catalogue"
    assert main(["catalogue", "--archive", str(root / "archive"), "--out", str(out), "--quiet"]) == 0
    assert requests == [], "building reached the payload server"
    return root


class Watch:
    """Every request, console message, page error and dialog of a context."""

    def __init__(self, context, root: Path):
        self.root = root
        self.requests: list[str] = []
        self.console: list[str] = []
        self.dialogs: list[str] = []
        context.on("request", lambda r: self.requests.append(r.url))
        context.on("page", self.attach)
        for page in context.pages:
            self.attach(page)

    def attach(self, page) -> None:
        page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

    def outside(self) -> list[str]:
        allowed = [(self.root / "catalogue").as_uri() + "/", (self.root / "archive").as_uri() + "/"]
        return [u for u in self.requests if not any(u.startswith(a) for a in allowed)]


@pytest.fixture(scope="module")
def chromium_browser():
    with chromium() as browser:
        yield browser


@pytest.fixture()
def browser(site, chromium_browser, request, tmp_path):
    failed_before = request.session.testsfailed
    with fresh_context(chromium_browser) as context:
        watch = Watch(context, site)
        page = context.new_page()
        yield page, watch
        if request.session.testsfailed > failed_before:  # a screenshot of where it failed
            page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
        assert watch.outside() == [], "requests outside catalogue/ and archive/"


def _visible_ids(page) -> list[str]:
    return page.eval_on_selector_all("#statements tbody tr:not([hidden])", "rows => rows.map(r => r.dataset.id)")


def _search(page, text: str) -> list[str]:
    page.fill("#q", text)
    return _visible_ids(page)


def test_home_search_facets_sorting(site, browser):
    page, watch = browser
    page.goto((site / "catalogue" / "index.html").as_uri())
    assert page.inner_text("h1") == "Statement archive"
    counts = page.inner_text(".counts")
    assert "8" in counts and "Packages\n2" in counts and "Versions\n9" in counts
    assert "success" in page.inner_text("#verification ~ p, section[aria-labelledby=verification] p")
    page.click("text=Statements >> nth=0")
    assert page.url.endswith("statements.html")
    assert len(_visible_ids(page)) == 8
    assert _search(page, "Huawei") == [SEED]
    assert _search(page, "huawei 5g network") == [SEED]
    assert _search(page, "Embassay") == [SEED]  # the page's own spelling, in the body only
    assert _search(page, "档案") == [CHINESE]
    assert _search(page, "الفيضانات") == [ARABIC]
    assert _search(page, "no-such-word-anywhere") == []
    assert "0 of 8" in page.inner_text("#status")
    assert len(_search(page, "")) == 8
    page.click("#statements thead th:nth-child(3) button")  # Date issued
    assert page.get_attribute("#statements thead th:nth-child(3)", "aria-sort") == "ascending"
    assert _visible_ids(page)[0] == SEED  # 2019-06, the oldest
    page.click("#statements thead th:nth-child(3) button")
    assert _visible_ids(page)[-1] == SEED
    page.click("details:has(summary:text('Language')) summary")
    page.click("nav.facets a:text-is('ar')")
    assert "/facets/language-" in page.url
    assert _visible_ids(page) == [ARABIC]
    assert _search(page, "Huawei") == []
    assert watch.console == [] and watch.dialogs == []


def test_statement_page_links_thumbnail_history(site, browser):
    page, watch = browser
    catalogue, archive = site / "catalogue", site / "archive"
    page.goto((catalogue / "statements.html").as_uri())
    page.click(f"tr[data-id='{SEED}'] a")
    assert page.url.endswith(f"statements/{SEED}.html")
    assert page.inner_text("h1").startswith("Corrected remarks of the spokesperson")
    assert page.evaluate("document.querySelector('.thumbnail img').naturalWidth") > 100
    links = page.eval_on_selector_all("a[href]", "as => as.map(a => a.href)")
    into_archive = [u for u in links if u.startswith(archive.as_uri() + "/")]
    assert len(into_archive) >= 3 + 3 * 2  # newest files, and each version's
    for url in links:
        assert urlparse(url).scheme == "file", url
        path = Path(unquote(urlparse(url).path.split("#")[0]))
        assert path.is_file(), f"link to a missing file: {url}"
    digests = page.eval_on_selector_all(".file-list li", "lis => lis.map(li => [li.querySelector('a').href, "
                                                           "li.querySelector('code').textContent])")
    assert {Path(unquote(urlparse(u).path)).name for u, _ in digests} == {
        f"{SEED}.pdf", f"{SEED}.json", f"{SEED}.txt"}
    for url, digest in digests:
        path = Path(unquote(urlparse(url).path))
        assert path.parts[-4] == "statements-2026-01-06-v0002", "not the newest package"
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
        manifest = (path.parents[2] / "manifest-sha256.txt").read_text()
        assert f"{digest}  data/{SEED}/{path.name}" in manifest
    history = page.inner_text(".history")
    assert "Changed in statements-2026-01-06-v0002" in history
    assert "First archived in statements-2026-01-05-v0001" in history
    inserted = page.locator(".changes ins").all_inner_texts()
    assert any(text.startswith("Corrected remarks") for text in inserted), inserted  # the title's change
    assert "Peter" in page.inner_text(".diff ins") and "Pete" in page.inner_text(".diff del")
    assert "creation" in page.inner_text(".events")
    for url in [u for u in links if u.endswith(".html")]:
        page.goto(url)
    page.goto((catalogue / "packages" / "statements-2026-01-06-v0002.html").as_uri())
    assert SEED in page.inner_text("main h3:text('Changed (1)') + ul")
    for url in page.eval_on_selector_all("main a[href]", "as => as.map(a => a.href)"):
        assert Path(unquote(urlparse(url).path)).is_file(), url
    page.goto((catalogue / "statements" / f"{ARABIC}.html").as_uri())
    assert page.get_attribute("article.statement", "dir") == "rtl"
    assert page.get_attribute("article.statement", "lang") == "ar"
    assert watch.console == [] and watch.dialogs == []


def test_every_page_kind_has_no_accessibility_violation(site, browser):
    page, watch = browser
    source = axe_source()
    catalogue = site / "catalogue"
    facet = sorted((catalogue / "facets").glob("language-*.html"))[0]
    package = sorted((catalogue / "packages").glob("*.html"))[-1]
    for path in [catalogue / "index.html", catalogue / "statements.html", facet, package,
                 catalogue / "statements" / f"{SEED}.html", catalogue / "statements" / f"{ARABIC}.html",
                 catalogue / "statements" / f"{CHINESE}.html", catalogue / "statements" / f"{HOSTILE}.html"]:
        page.goto(path.as_uri())
        assert axe_violations(page, source) == [], path.name
    assert watch.console == []


def test_axe_finds_a_violation_where_there_is_one(site, browser, tmp_path):
    """Positive control: the same check on a page with an unlabelled input and no lang."""
    page, _ = browser
    bad = site / "catalogue" / "axe-control.html"
    bad.write_text("<!DOCTYPE html><html><head><title>x</title></head><body><main>"
                   "<input type=text><img src=x.png></main></body></html>")
    try:
        page.goto(bad.as_uri())
        found = {v["id"] for v in axe_violations(page, axe_source())}
    finally:
        bad.unlink()
    assert {"html-has-lang", "label", "image-alt"} <= found


def test_payloads_neither_run_nor_fetch(site, server, browser):
    page, watch = browser
    url, requests = server
    catalogue = site / "catalogue"
    page.goto((catalogue / "statements" / f"{HOSTILE}.html").as_uri())
    assert page.inner_text("h1").startswith('<script>alert("title")</script>')
    assert page.locator("script").count() == 0
    assert page.locator("article img, article iframe, article link, article style, article object").count() == 0
    assert page.evaluate("[...document.querySelectorAll('a[href]')].every(a => a.protocol === 'file:')")
    page.click("text=Hostile body")
    page.goto((catalogue / "statements.html").as_uri())
    assert _search(page, "<script>") == [HOSTILE]
    page.goto((catalogue / "index.html").as_uri())
    page.wait_for_timeout(300)
    assert requests == [] and watch.dialogs == [] and watch.console == []
    assert not any(u.startswith("http") for u in watch.requests)


def test_payload_witnesses_work(site, server, browser, tmp_path):
    """Positive control: the same payloads, unescaped on a page without the catalogue's
    policy, do reach the server and open a dialog, so silence above means something."""
    page, watch = browser
    url, requests = server
    control = tmp_path / "control.html"
    control.write_text(f"<!DOCTYPE html><title>x</title>{_payloads(url)['title']}<script>alert('ran')</script>")
    page.goto(control.as_uri())
    page.wait_for_timeout(300)
    assert any(r.startswith("GET /title.png") for r in requests)
    assert "ran" in watch.dialogs
    requests.clear()
    watch.requests.clear()


def test_usable_without_javascript(site, chromium_browser):
    with fresh_context(chromium_browser, java_script_enabled=False) as context:
        page = context.new_page()
        page.goto((site / "catalogue" / "statements.html").as_uri())
        assert len(_visible_ids(page)) == 8
        assert page.is_hidden("#search")
        assert "Search and sorting need JavaScript" in page.inner_text("main")
        page.click("nav.facets a:text-is('2023')")
        assert sorted(_visible_ids(page)) == sorted([ARABIC, CHINESE])
        page.click(f"tr[data-id='{ARABIC}'] a")
        assert "History" in page.inner_text("main")
