"""The statement inside an HTML capture: trafilatura, and an account of what it left out.

trafilatura is given a parsed tree (never a URL, never a fetcher) once, for
the text; the draft's fields are read from the same tree, and its date by
htmldate, as trafilatura does, on the tree too. trafilatura does
not say which elements it kept, so the derivation is reconstructed: every
leaf block of the page (paragraph, heading, list item, cell, text-only div)
is kept if its text is in the extraction and dropped otherwise, and runs of
each are recorded with their element paths and source lines. Scripts and
styles are listed as dropped; they are never run.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import trafilatura
from htmldate import find_date
from lxml.etree import XPath, iterwalk, tostring
from trafilatura.metadata import extract_metadata
from trafilatura.settings import DEFAULT_CONFIG, Extractor
from trafilatura.utils import load_html

_BLOCKS = frozenset("p h1 h2 h3 h4 h5 h6 li td th dt dd blockquote pre figcaption caption address div "
                    "section article header footer nav aside main table ul ol form".split())
_ERROR_TITLE = re.compile(r"\b(404|403|410|500|not found|page not found|error|forbidden|access denied|"
                          r"niet gevonden|introuvable|nicht gefunden)\b", re.I)
_SENTENCE_END = re.compile(r"[.!?。！？](?=[\s\"'”’»)\]]|$)")
_ISO_DAY = re.compile(r"\b(\d{4})[-/](\d{2})[-/](\d{2})")


# Only the page's structured dates (meta, <time>, URL), not years seen in the prose.
_DATE_PARAMS = {"extensive_search": False, "original_date": True}
_HAS_SITE_CLUES = "boolean(//title | //meta[@content] | //script[@type='application/ld+json'])"


@lru_cache(maxsize=1)
def _config():
    config = copy.deepcopy(DEFAULT_CONFIG)
    # trafilatura's timeout uses SIGALRM, which is the main thread's only
    # and would differ between a worker and the parent; inputs are bounded instead.
    config.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")
    return config


@lru_cache(maxsize=1)
def _text_options() -> Extractor:
    # What bare_extraction builds from its keyword arguments on every call
    # (reading a dozen config values each time), built once per process.
    return Extractor(config=_config(), output_format="python", comments=False, tables=True, dedup=False,
                     with_metadata=False)


def _options_for(url: str) -> Extractor:
    options = copy.copy(_text_options())  # the cached one is never changed
    options.url = url or None
    options.source = options.url and options.url.encode("utf-8", "replace").decode("utf-8")
    return options


@dataclass(frozen=True)
class HtmlExtraction:
    text: str  # paragraphs separated by blank lines
    kept: tuple[dict[str, Any], ...]
    dropped: tuple[dict[str, Any], ...]
    facts: dict[str, tuple[str, str]]  # field → (value, where it came from)
    refusal: str  # "" or why this page holds no statement


def trafilatura_version() -> str:
    return trafilatura.__version__


def extract_html(text: str, *, fragment: bool, url: str = "") -> HtmlExtraction:
    """Extract the statement from decoded HTML ``text`` (a page or a fragment)."""
    source = f"<html><body><div>{text}</div></body></html>" if fragment else text
    # Parsed once, by trafilatura's own loader (what it does with a string);
    # trafilatura extracts from a copy, the derivation reads this tree.
    tree = load_html(source) if source.strip() else None
    if tree is None:
        return HtmlExtraction("", (), (), {}, "the file holds no HTML")
    # The text only: the fields a draft needs are read from the page below, and
    # its date by htmldate, as trafilatura would; its other metadata (authors,
    # categories, tags, licence, image) cost a third of its time and are not used.
    document = trafilatura.bare_extraction(tree, options=_options_for(url))
    extracted = (document.text if document is not None else "") or ""
    lines = [line.strip() for line in extracted.split("\n") if line.strip()]
    facts = _facts(tree, text, url)
    title = _squash(facts.get("title", ("", ""))[0])
    if lines and title and _squash(lines[0]) == title:
        lines = lines[1:]  # the rendition prints the title above the text already
    body = "\n\n".join(lines)
    kept, dropped, link_share = _derivation(tree, body, title)
    refusal = _refusal(tree, body, facts, link_share)
    return HtmlExtraction(body + ("\n" if body else ""), kept, dropped, facts, refusal)


def _words(text: str) -> list[str]:
    return text.split()


def _leaf_blocks(tree) -> list[tuple[object, str]]:
    """(element, its text) for each block with text and no block inside it, in document order."""
    # One walk in libxml2 over the blocks only (the tree itself included, as
    # tree.iter would): asking each block for a block inside it builds a
    # 30-tag matcher per element, which cost more than the walk. A leaf's end
    # comes right after its start, so leaves are found in document order.
    leaves = []
    holds_block: list[bool] = []  # for each open block: has a block started inside it?
    for event, element in iterwalk(tree, events=("start", "end"), tag=_BLOCKS):
        if event == "start":
            if holds_block:
                holds_block[-1] = True
            holds_block.append(False)
        elif not holds_block.pop() and (text := _squash(_text_of(element))):
            leaves.append((element, text))
    return leaves


def _text_of(element) -> str:
    """Every text node inside *element* (what ``text_content()`` gives, serialised in C)."""
    return tostring(element, method="text", encoding="unicode", with_tail=False)


def _squash(text: str) -> str:
    return " ".join(text.split())


def _derivation(tree, body: str, title: str) -> tuple[tuple[dict, ...], tuple[dict, ...], float]:
    """Runs of kept and dropped leaf blocks; and the share of kept words that are link text."""
    root = tree.getroottree()
    extracted = _squash(body)
    runs: list[dict[str, Any]] = []
    kept_words = link_words = 0
    for element, content in _leaf_blocks(tree):
        is_kept = content in extracted or all(_squash(part) in extracted for part in content.split("|"))
        if is_kept:
            kept_words += content.count(" ") + 1  # squashed: words are single-spaced
            link_words += sum(len(_words(_text_of(a))) for a in element.iter("a"))
        status = "kept" if is_kept else ("title" if content == title else "dropped")
        line = element.sourceline or 0
        if runs and runs[-1]["status"] == status:
            runs[-1]["elements"][1], runs[-1]["lines"][1] = element, line
            runs[-1]["count"] += 1
            runs[-1]["_text"].append(content)
        else:
            runs.append({"status": status, "elements": [element, element], "lines": [line, line], "count": 1,
                         "_text": [content]})
    for run in runs:  # element paths only for the ends of each run (getpath is not cheap)
        run["elements"] = [root.getpath(element) for element in run["elements"]]
    for element in tree.iter("script", "style", "noscript", "template"):
        runs.append({"status": "dropped", "elements": [root.getpath(element)] * 2,
                     "lines": [element.sourceline or 0] * 2, "count": 1, "_text": [],
                     "why": f"<{element.tag}> (never run; not text)"})
    kept, dropped = [], []
    for run in runs:
        words = " ".join(run.pop("_text"))
        run["text"] = words if len(words) <= 100 else words[:99] + "…"
        status = run.pop("status")
        run.setdefault("why", {"kept": "the statement", "title": "page title (drafted as the title)"}.get(
            status, "page furniture (not in the extraction)"))
        (kept if status == "kept" else dropped).append(run)
    return tuple(kept), tuple(dropped), (link_words / kept_words if kept_words else 0.0)


@lru_cache(maxsize=None)
def _compiled(xpath: str) -> XPath:
    return XPath(xpath)


#: A place a drafted field is read from: (tag, (attribute, value) the element must have or None,
#: the attribute holding the value or None for the element's text).
Place = tuple[str, "tuple[str, str] | None", "str | None"]


def _meta(attribute: str, value: str) -> Place:
    return "meta", (attribute, value), "content"


#: Where each drafted field is looked for, in order, and how the draft names the place found.
_SOURCES: dict[str, tuple[tuple[Place, str], ...]] = {
    "title": ((("h1", None, None), "html <h1>"), (_meta("property", "og:title"), "html <meta property=og:title>"),
              (("title", None, None), "html <title>")),
    "issuer": ((_meta("property", "og:site_name"), "html <meta property=og:site_name>"),
               (_meta("name", "publisher"), "html <meta name=publisher>"),
               (_meta("name", "author"), "html <meta name=author>")),
    "language": ((("html", None, "lang"), "html lang attribute"),
                 (_meta("http-equiv", "Content-Language"), "html <meta http-equiv=Content-Language>")),
    "description": ((_meta("property", "og:description"), "html <meta property=og:description>"),
                    (_meta("name", "description"), "html <meta name=description>"),
                    (_meta("name", "twitter:description"), "html <meta name=twitter:description>")),
}
_CANONICAL: Place = ("link", ("rel", "canonical"), "href")
_OG_URL: Place = _meta("property", "og:url")
_PLACE_TAGS = ("h1", "title", "meta", "link", "html")


def _first(candidates: list, *places: Place) -> str:
    """The first non-empty value (squashed) at any of *places*, in document order; "" if none.

    What the XPath ``//tag[@attribute='value']/@holder`` (or the element's
    text) gives, over *candidates*: the page's elements of those tags, found in
    one walk rather than one search of the whole page per place.
    """
    for element in candidates:
        for tag, required, holder in places:
            if element.tag != tag or (required is not None and element.get(required[0]) != required[1]):
                continue
            found = element.text_content() if holder is None else element.get(holder)
            if found is not None and (value := _squash(found)):
                return value
    return ""


def _first_source(candidates: list, sources: tuple[tuple[Place, str], ...]) -> tuple[str, str] | None:
    """The first of *sources* the page has a value for: (value, where)."""
    return next(((value, where) for place, where in sources if (value := _first(candidates, place))), None)


def _facts(tree, raw: str, capture_url: str) -> dict[str, tuple[str, str]]:
    candidates = list(tree.getroottree().iter(*_PLACE_TAGS))  # the whole page, as an XPath "//" would
    facts = {field: found for field, sources in _SOURCES.items() if (found := _first_source(candidates, sources))}
    if "issuer" not in facts and _compiled(_HAS_SITE_CLUES)(tree):  # a page without any holds no site name
        if sitename := extract_metadata(copy.deepcopy(tree), capture_url or None, _DATE_PARAMS).sitename:
            facts["issuer"] = (sitename, "trafilatura (site name)")
    if url := _first(candidates, _CANONICAL, _OG_URL):
        if url.startswith(("http://", "https://")):
            facts["url"] = (url, "html <link rel=canonical> or <meta property=og:url>")
    # The address htmldate may read a date from: trafilatura's order (og:url, the canonical link, the capture's).
    page_url = _first(candidates, _OG_URL) or _first(candidates, _CANONICAL) or capture_url or None
    if date := find_date(tree, url=page_url, **_DATE_PARAMS):  # a tree: htmldate copies it, never fetches
        facts["date"] = _date_with_precision(date, raw)
    return facts


def _date_with_precision(found: str, raw: str) -> tuple[str, str]:
    """htmldate always answers with a day; claim only the precision the page itself shows."""
    year, month, day = found[:4], found[5:7], found[8:10]
    if any(m.groups() == (year, month, day) for m in _ISO_DAY.finditer(raw)):
        return f"{year}-{month}-{day}", "htmldate: the page's own date (the full date is in the page)"
    if f"{year}-{month}" in raw or f"{year}/{month}" in raw:
        return f"{year}-{month}", "htmldate: the page's own date (the page shows year and month only)"
    return year, "htmldate: the page's own date (the page shows the year only)"


def _refusal(tree, body: str, facts: dict[str, tuple[str, str]], link_share: float) -> str:
    words = len(_words(body))
    sentences = len(_SENTENCE_END.findall(body))
    title = facts.get("title", ("", ""))[0]
    if _ERROR_TITLE.search(title) and words < 150:
        return f"an error page (its title reads {title[:80]!r}), not a statement"
    if words < 200 and _compiled("//input[translate(@type,'PASSWORD','password')='password']")(tree):
        return "a login wall (a password form and little text), not a statement"
    if not body:
        return "no statement text found (the page is empty or all navigation)"
    if link_share > 0.5:
        return (f"an index or list page ({link_share:.0%} of its text is links), not a statement; "
                "import the page of each statement instead")
    if sentences < 2 and words < 40:
        return f"no statement text found (only {words} words outside the page furniture)"
    return ""
