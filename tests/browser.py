"""Headless Debian Chromium through Playwright, and axe-core from npm, for the catalogue tests.

No browser is downloaded: Playwright drives /usr/bin/chromium (`apt-get install
chromium`). axe-core is installed by npm into build/npm/ the first time.
"""

from __future__ import annotations

import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

PROJECT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
AXE_VERSION = "4.14.1"
AXE = PROJECT / "build" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def axe_source() -> str:
    if not AXE.is_file():
        if shutil.which("npm") is None:
            pytest.fail("npm is needed to install axe-core for the accessibility check (apt-get install npm)")
        AXE.parents[2].mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--no-save", "--prefix",
                        str(AXE.parents[2]), f"axe-core@{AXE_VERSION}"], check=True, capture_output=True)
    return AXE.read_text(encoding="utf-8")


@contextmanager
def chromium() -> Iterator[object]:
    """One headless Chromium (and one Playwright driver) for a module's tests: starting them
    costs more CPU than most of the tests themselves. Each test opens its own `fresh_context`."""
    if not Path(CHROMIUM).is_file():
        pytest.fail("Debian's chromium is needed for the browser tests: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def fresh_context(browser, **context_options) -> Iterator[object]:
    """A new browser context: its own cookies, storage, cache and permissions, shared with no
    other test's (Playwright's contexts are isolated like separate profiles)."""
    context = browser.new_context(viewport={"width": 1200, "height": 900}, **context_options)
    try:
        yield context
    finally:
        context.close()


def axe_violations(page, source: str) -> list[dict]:
    """axe-core's WCAG 2.0/2.1 A and AA rules on the page. Injected through the
    DevTools protocol, which the pages' Content-Security-Policy does not govern."""
    page.evaluate(source)
    return page.evaluate("""async () => {
        const result = await axe.run(document, {preload: false, runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' ' + n.failureSummary)}));
    }""")
