"""One capture → one draft: the metadata in the schema, the text, the derivation.

Runs in a worker process: pure, no writing, no network. Every drafted field
says where it came from (``drafted_from``), and what could not be found is
drafted as an explicit "fill in" and listed under ``review.needs_attention``,
so a reviewer knows what to check rather than trusting a guess.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pipeline import SOFTWARE_AGENT
from pipeline.core.records import Problem
from pipeline.importer.captures import Capture
from pipeline.importer.charset import decide_charset
from pipeline.importer.htmlextract import extract_html, trafilatura_version
from pipeline.importer.textlines import ending_warnings, extract_lines

LINE_LOGIC = "statement-archive line logic"
DOCUMENT_TYPES = ("joint statement", "press briefing", "press release", "media note", "press statement",
                  "remarks", "speech", "address", "interview", "letter", "communiqué", "decree", "decision",
                  "statement")
FILL_IN = "not found in the capture: fill in before review"
_MOJIBAKE = re.compile(r"(?:â€.?|Ã.|Â[\xa0-\xbf])")  # only to quote an example
# Words holding a character beyond ASCII and everyday typography (curly quotes,
# dashes, ellipsis, guillemets, no-break space): the only place mojibake can be.
_TYPOGRAPHY_CHARS = "\u2018\u2019\u201c\u201d\u2013\u2014\u2026\u00ab\u00bb\u00a0"
_TYPOGRAPHY = str.maketrans(dict.fromkeys(_TYPOGRAPHY_CHARS, "'"))
_BEYOND_TYPOGRAPHY = re.compile(f"[^\\x00-\\x7f{_TYPOGRAPHY_CHARS}]")
_LETTER = re.compile(r"[^\W\d_]")
_NOT_ASCII_LETTER = bytes(b for b in range(128) if not chr(b).isalpha())
_LATIN_WORD = re.compile(r"[a-zà-ÿ]+")
_SCRIPTS = (("zh", re.compile(r"[\u4e00-\u9fff]")), ("ru", re.compile(r"[\u0400-\u04ff]")),
            ("ar", re.compile(r"[\u0600-\u06ff]")), ("he", re.compile(r"[\u0590-\u05ff]")),
            ("el", re.compile(r"[\u0370-\u03ff]")))
_UKRAINIAN = re.compile(r"[іїєґІЇЄҐ]")
_DOCUMENT_TYPE = re.compile(r"\b(" + "|".join(re.escape(k) for k in DOCUMENT_TYPES) + r")\b")
_STOPWORDS = {
    "en": {"the", "and", "of", "to", "is", "that", "we", "in"},
    "nl": {"de", "het", "van", "een", "en", "dat", "niet", "is"},
    "de": {"der", "die", "und", "das", "nicht", "ist", "wir", "zu"},
    "fr": {"le", "la", "les", "et", "des", "est", "nous", "que"},
}


@dataclass(frozen=True)
class Draft:
    """What import would write for one capture (the identifier is chosen later, in one place).

    Not the capture's bytes: the parent has them, and a worker sending them
    back would copy every page through the pipe a second time.
    """

    origin: str
    capture_sha256: str
    slug: str
    suffix: str
    metadata: dict[str, Any] = field(default_factory=dict, repr=False)  # without identifier and file names
    body: bytes = b""
    problems: tuple[Problem, ...] = ()
    refusal: str = ""


def slug_of(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    return slug[:80].rstrip("-") or "capture"


def _slug_for(capture: Capture) -> str:
    if capture.kind == "warc" and capture.source_url:
        path = capture.source_url.split("?", 1)[0].split("#", 1)[0].rstrip("/")
        host_and_path = path.split("://", 1)[-1]
        tail = host_and_path.rsplit("/", 1)[-1] if "/" in host_and_path else host_and_path
        return slug_of(tail.rsplit(".", 1)[0] if "/" in host_and_path and "." in tail else tail)
    name = capture.origin.rsplit("/", 1)[-1]
    return slug_of(name.split(".", 1)[0])


def draft_capture(capture: Capture) -> Draft:
    problems: list[Problem] = []
    origin = capture.origin

    def warn(code: str, message: str) -> None:
        problems.append(Problem(code, origin, "", message, "warning"))

    html = capture.kind in ("html", "warc")
    charset = decide_charset(capture.content, http_content_type=capture.content_type, html=html)
    if charset.note:
        warn("I003", charset.note)
    facts: dict[str, tuple[str, str]] = {}
    if html:
        extraction = extract_html(charset.text, fragment=capture.fragment, url=capture.source_url)
        text, kept, dropped = extraction.text, list(extraction.kept), list(extraction.dropped)
        refusal, facts = extraction.refusal, dict(extraction.facts)
        tool, version = "trafilatura", trafilatura_version()
        warnings = ending_warnings(text)
        ranges_are = "leaf elements of the parsed page (XPath) with their source lines"
    else:
        lines = extract_lines(charset.text)
        text, kept, dropped = lines.text, [r.as_dict() for r in lines.kept], [r.as_dict() for r in lines.dropped]
        refusal = "" if any(ch in text for ch in ".!?。！？") else "no sentence in the text: not a statement"
        if lines.title:
            facts["title"] = (lines.title, f"text line {lines.title_line} (the page title above the statement)")
        tool, version, warnings = LINE_LOGIC, SOFTWARE_AGENT, list(lines.warnings)
        ranges_are = "line numbers of the capture (1-based, inclusive)"
    if refusal:
        return Draft(origin, capture.sha256, _slug_for(capture), capture.suffix,
                     problems=tuple(problems), refusal=refusal)
    for warning in warnings:
        warn("I005", warning)
    if _looks_like_mojibake(text):
        import ftfy  # see _looks_like_mojibake

        sample = (_MOJIBAKE.search(text) or re.search(r".", text)).group(0)
        warn("I004", f"the text looks like mojibake (e.g. {sample!r}; ftfy would read it as "
                     f"{ftfy.fix_text(sample)!r}); the capture is archived as it is and the text is not repaired")
    body = text.encode("utf-8")
    metadata, attention = _metadata(capture, facts, text)
    for what in attention:
        warn("I006", what)
    metadata["capture"] = {
        "media_type": capture.media_type, "sha256": capture.sha256, "bytes": len(capture.evidence),
        "captured": capture.captured, "captured_from": capture.captured_from,
        **({"source_url": capture.source_url} if capture.source_url else {}),
        "charset": {"used": charset.encoding, "decided_by": charset.decided_by,
                    "declared": [f"{where}: {name}" for where, name in charset.declared]},
        **({"provenance": capture.provenance} if capture.provenance else {}),
    }
    metadata["extraction"] = {
        "tool": tool, "version": version, "ranges": ranges_are,
        "kept": kept, "dropped": dropped, "text_sha256": hashlib.sha256(body).hexdigest(),
    }
    metadata["review"] = {"status": "draft", "needs_attention": [p.message for p in problems] + []}
    return Draft(origin, capture.sha256, _slug_for(capture), capture.suffix, metadata, body, tuple(problems))


def _looks_like_mojibake(text: str) -> bool:
    # Mojibake is made of non-ASCII characters: ftfy need only read the words
    # that hold some (its check over a whole page costs more than the extraction).
    # Most pages have no such character at all: one scan in C says so.
    if _BEYOND_TYPOGRAPHY.search(text) is None:
        return False
    # ftfy is imported only for such a page: a worker drafting plain pages never loads it.
    import ftfy

    words = " ".join(w for w in text.split() if not w.isascii() and not w.translate(_TYPOGRAPHY).isascii())
    return bool(words) and ftfy.is_bad(words)


def _metadata(capture: Capture, facts: dict[str, tuple[str, str]], text: str) -> tuple[dict[str, Any], list[str]]:
    drafted: dict[str, str] = {}
    attention: list[str] = []

    def take(name: str, fallback: str, why_missing: str) -> str:
        if name in facts:
            value, where = facts[name]
            drafted[name] = where
            return value
        drafted[name] = why_missing
        attention.append(f"{name}: {why_missing}")
        return fallback

    title = take("title", FILL_IN, "no title in the capture")
    issuer = take("issuer", FILL_IN, "no site name or publisher in the capture")
    document_type, drafted["document_type"] = _document_type(title)
    if "date" in facts:
        date_issued, drafted["date_issued"] = facts["date"]
    else:
        year = capture.captured[:4] if capture.captured[:4].isdigit() else "0001"
        date_issued = year
        drafted["date_issued"] = (f"no date in the page: the year of capture ({capture.captured_from}); "
                                  "the statement was issued then or earlier")
        attention.append(f"date_issued: {drafted['date_issued']}")
    language, drafted["languages"] = _language(facts, capture, text)
    source: dict[str, Any] = {}
    url = capture.source_url or facts.get("url", ("", ""))[0]
    if url:
        source["url"] = url
        drafted["source.url"] = "WARC-Target-URI" if capture.source_url and capture.kind == "warc" else (
            "the page's 'saved from url' comment" if capture.source_url else facts["url"][1])
    if capture.captured[:10] and capture.captured_from == "WARC-Date":
        source["retrieved"] = capture.captured[:10]
        drafted["source.retrieved"] = "WARC-Date"
    source["note"] = (f"Imported from a {capture.kind.upper()} capture ({capture.origin.rsplit('/', 1)[-1]}); "
                      "the whole capture is archived beside the statement, byte for byte.")
    metadata: dict[str, Any] = {
        "title": title, "issuer": issuer, "document_type": document_type, "date_issued": date_issued,
        "languages": [language], "source": source,
        "rights": {"statement": FILL_IN, "access": "public"},
    }
    drafted["rights"] = "not in the capture: state the rights before review"
    attention.append("rights: not in the capture: state the rights before review")
    if "description" in facts:
        metadata["description"] = facts["description"][0]
        drafted["description"] = facts["description"][1]
    metadata["drafted_from"] = drafted
    return metadata, attention


def _document_type(title: str) -> tuple[str, str]:
    found = {m.group(1) for m in _DOCUMENT_TYPE.finditer(title.lower())}
    for kind in DOCUMENT_TYPES:  # the more specific first: "joint statement" before "statement"
        if kind in found:
            return kind, f"guessed from the word '{kind}' in the title"
    return "statement", "default: the title names no document type"


def _language(facts: dict[str, tuple[str, str]], capture: Capture, text: str) -> tuple[str, str]:
    if "language" in facts:
        value, where = facts["language"]
        return value.replace("_", "-").split(",")[0].strip(), where
    if capture.content_language:
        return capture.content_language.split(",")[0].strip(), "HTTP Content-Language (WARC)"
    sample = text[:3000]
    ascii_part = sample.encode("ascii", "ignore")
    # Each script's characters are beyond ASCII: when those are fewer than a
    # fifth of the ASCII letters alone, no script can be a fifth of all
    # letters, and counting every letter (the costly part) is not needed.
    if len(sample) - len(ascii_part) > 0.2 * len(ascii_part.translate(None, _NOT_ASCII_LETTER)):
        letters = _LETTER.subn("", sample)[1] or 1
        for tag, script in _SCRIPTS:  # counted in C: subn returns how many it replaced
            if script.subn("", sample)[1] > letters * 0.2:
                if tag == "ru" and _UKRAINIAN.search(sample):
                    tag = "uk"
                return tag, "guessed from the text's script: check"
    counts = Counter(_LATIN_WORD.findall(sample.lower()))
    scores = {tag: sum(counts[w] for w in stop) for tag, stop in _STOPWORDS.items()}
    best = max(scores, key=lambda t: (scores[t], t == "en"))
    if scores[best]:
        return best, "guessed from the text's common words: check"
    return "und", "not found: 'und' (undetermined); fill in"
