"""The statement inside a plain-text capture, by logic on its lines.

A text saved from a web page carries the page's furniture around the
statement: a navigation menu, a breadcrumb (``Home > Events``), the title,
and after it share links, a copyright line, an address. Only the *edges* are
ever dropped: the longest run of furniture lines at the start and at the
end. Everything between the statement's first and last line is kept as it
is, so nothing inside a statement can be cut. The page title is dropped
only when furniture came before it (a transcript's first line is part of
the transcript); it becomes the drafted title.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_BREADCRUMB = re.compile(r"^\S.{0,80}?\s*[>»›/|]\s*\S")
_FURNITURE = re.compile(
    r"(all rights reserved|copyright|©|\(c\) \d{4}|^suggest to a friend$|^print( this page)?$|^share( this)?\b|"
    r"^partager\b|^schlagworte\b|^tags?:|^back to top$|^top$|^(add|address|tel|fax|e-?mail|phone)\s*[:：]|"
    r"\btel\s*[:：]\s*[\d+]|^(home|menu|search|login|log in|sign in|sitemap|contact( us)?)$|"
    r"^\w+(?:_\w+){2,}$|^<[^>]+>$|^\[\d+\]$|^skip to (main )?content$|^related (articles|news|links)\b)",
    re.I,
)
_SENTENCE_END = re.compile(r"[.!?。！？](?=[\s\"'”’»)\]]|$)")
_END_OK = tuple(".!?。！？…\"'”’»)]:;*")
_LINE_BREAK = re.compile(r"\r\n|\n\r|\r|\n")  # as the capture has them: LF, CRLF, LFCR, CR


@dataclass(frozen=True)
class LineRange:
    first: int  # 1-based, inclusive
    last: int
    why: str
    text: str  # the range's text, shortened

    def as_dict(self) -> dict[str, object]:
        return {"lines": [self.first, self.last], "why": self.why, "text": self.text}


@dataclass(frozen=True)
class TextExtraction:
    text: str  # paragraphs separated by blank lines, LF
    kept: tuple[LineRange, ...]
    dropped: tuple[LineRange, ...]
    title: str  # the page title if one was dropped as such, else ""
    title_line: int
    warnings: tuple[str, ...]


def _is_menu(line: str) -> bool:
    """Several words, no punctuation, nearly all capitalised: a navigation menu or a link."""
    words = line.split()
    if len(words) < 3 or re.search(r"[.,;:!?。，；：！？\"“”]", line):
        return False
    alpha = [w for w in words if w[:1].isalpha()]
    capital = [w for w in alpha if not w[:1].islower()]
    return bool(alpha) and len(capital) >= 0.75 * len(alpha)


def is_furniture(line: str) -> str | None:
    """Why a line at the edge of a capture is page furniture, or None."""
    stripped = line.strip()
    if not stripped:
        return None
    if _FURNITURE.search(stripped):
        return "page furniture (" + _FURNITURE.search(stripped).group(0).strip().lower()[:30] + ")"
    if _BREADCRUMB.match(stripped) and len(stripped) < 120 and not _SENTENCE_END.search(stripped):
        return "breadcrumb"
    if _is_menu(stripped):
        return "navigation menu"
    return None


def _is_title(line: str) -> bool:
    words = line.split()
    return len(words) >= 4 and not _SENTENCE_END.search(line.strip())


def _short(text: str, limit: int = 100) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def extract_lines(text: str) -> TextExtraction:
    lines = _LINE_BREAK.split(text.lstrip("\ufeff"))
    count = len(lines)
    dropped: list[LineRange] = []
    start, furniture_seen, title, title_line = 0, False, "", 0
    while start < count:
        line = lines[start]
        why = is_furniture(line)
        if why is None and line.strip() and furniture_seen and not title and _is_title(line):
            why, title, title_line = "page title (drafted as the title)", " ".join(line.split()), start + 1
        if why is None and line.strip():
            break
        if why:
            furniture_seen = True
            dropped.append(LineRange(start + 1, start + 1, why, _short(line)))
        start += 1
    end = count
    tail: list[LineRange] = []
    while end > start:
        line = lines[end - 1]
        why = is_furniture(line)
        if why is None and line.strip():
            break
        if why:
            tail.append(LineRange(end, end, why, _short(line)))
        end -= 1
    dropped += reversed(tail)
    body = lines[start:end]
    kept = (LineRange(start + 1, end, "the statement", _short(" ".join(body), 160)),) if body else ()
    # The kept lines exactly as captured (line endings as LF): hard wraps,
    # spacing and form feeds stay; layout smooths them later, on a copy.
    result = "\n".join(body).strip("\n")
    return TextExtraction(result + ("\n" if result else ""), kept, tuple(dropped), title, title_line,
                          tuple(ending_warnings(result)))


def ending_warnings(text: str) -> list[str]:
    """A statement that stops mid-sentence or mid-word was probably truncated."""
    tail = text.rstrip()
    if not tail:
        return []
    if tail.endswith("-") and not tail.endswith("--"):
        return [f"ends mid-word ({_short(tail[-60:], 60)!r}): the capture may be truncated"]
    if not tail.endswith(_END_OK):
        return [f"ends mid-sentence ({_short(tail[-60:], 60)!r}): the capture may be truncated"]
    return []
