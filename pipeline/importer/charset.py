"""Which character set a capture's bytes are in, decided by the bytes.

Order of authority: a byte-order mark, then the HTTP ``Content-Type`` header
(recorded in a WARC), then the page's ``<meta>`` declaration, then detection
(charset-normalizer). A declaration the bytes do not decode under is not
believed. Every declaration found, including charsets named in scripts, is
reported when they disagree, so a reviewer sees what the page claimed.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from charset_normalizer import from_bytes

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9._:-]+)", re.I)
_SCRIPT = re.compile(rb"<script\b[^>]*>(.*?)</script\s*>", re.I | re.S)
_SCRIPT_CHARSET = re.compile(rb"(?:charset\s*[=:]\s*[\"']?|[\"'])(gb2312|gbk|gb18030|big5|shift_jis|euc-jp|euc-kr|"
                             rb"iso-8859-\d+|windows-125\d|koi8-r|utf-8)\b", re.I)
_HTTP_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.I)


@dataclass(frozen=True)
class CharsetDecision:
    encoding: str  # Python codec name used
    text: str
    decided_by: str  # "byte-order mark", "HTTP header", "<meta>", "detection"
    declared: tuple[tuple[str, str], ...]  # (where, charset) as the capture states them
    note: str  # plain words, "" when everything agrees


def _normal(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return name.lower()


def _decodes(data: bytes, name: str) -> str | None:
    try:
        return data.decode(name)
    except (LookupError, UnicodeDecodeError):
        return None


def decide_charset(data: bytes, *, http_content_type: str = "", html: bool = True) -> CharsetDecision:
    declared: list[tuple[str, str]] = []
    http = _HTTP_CHARSET.search(http_content_type or "")
    if http:
        declared.append(("HTTP header", http.group(1).decode() if isinstance(http.group(1), bytes) else http.group(1)))
    head = data[:16384]
    if html:
        declared += [("<meta>", m.group(1).decode("ascii", "replace")) for m in _META_CHARSET.finditer(head)][:1]
        for script in _SCRIPT.finditer(data[:262144]):
            declared += [("script", m.group(1).decode("ascii", "replace")) for m in _SCRIPT_CHARSET.finditer(script.group(1))]
    declared = list(dict.fromkeys(declared))
    refused: list[str] = []
    chosen: tuple[str, str, str] | None = None  # (codec, text, decided_by)
    for bom, name in _BOMS:
        if data.startswith(bom):
            text = _decodes(data, name)
            if text is not None:
                chosen = (name, text.lstrip("\ufeff"), "byte-order mark")
            break
    if chosen is None:
        for where, name in declared:
            if where == "script":
                continue  # a script's string is not a declaration of the page's bytes
            text = _decodes(data, name)
            if text is None:
                refused.append(f"{where} says {name} but the bytes do not decode as {name}")
                continue
            chosen = (_normal(name), text, where)
            break
    if chosen is None and (text := _decodes(data, "utf-8")) is not None:
        chosen = ("utf-8", text, "detection (the bytes are valid UTF-8)")  # what detection answers, sooner
    if chosen is None:
        best = from_bytes(data).best()
        if best is not None and best.encoding:
            chosen = (best.encoding, str(best), "detection")
        else:
            chosen = ("utf-8", data.decode("utf-8", "replace"), "detection (failed; replacement characters shown)")
    name, text, decided_by = chosen
    name = _normal(name)
    distinct = {_normal(n) for _, n in declared} | {_normal(name)}
    note = ""
    if refused or len(distinct) > 1:
        said = ", ".join(f"{where} says {n}" for where, n in declared) or "nothing declared"
        valid = " and the bytes are valid " + name if _decodes(data, name) is not None else ""
        note = f"{said}{'; ' + '; '.join(refused) if refused else ''}{valid}: used {name} ({decided_by})"
    return CharsetDecision(name, text, decided_by, tuple(declared), note)
