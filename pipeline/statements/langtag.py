"""Well-formedness of BCP 47 language tags (RFC 5646, section 2.1).

Why a regex of the ABNF rather than a library: we only need *well-formedness*
(the tag's shape), which the ABNF defines completely, in a few lines, with no
registry data to keep current. ``langcodes`` (the usual library) answers a
different question: it normalises leniently (it accepts ``en_US`` and returns
``en-US``), and an archive must refuse such a tag rather than repair it silently.

One deliberate tightening beyond the ABNF: primary language subtags of 4
letters are reserved for future use and those of 5-8 letters have never been
registered (RFC 5646, 2.2.1), so a tag such as ``english`` is refused: in
practice it is always a language *name* written where a tag belongs.
"""

from __future__ import annotations

import re

_ALNUM = "[a-z0-9]"
_LANGUAGE = r"(?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4}|[a-z]{5,8})"  # 2*3ALPHA ["-" extlang] / 4ALPHA / 5*8ALPHA
_SCRIPT = r"[a-z]{4}"
_REGION = r"(?:[a-z]{2}|[0-9]{3})"
_VARIANT = rf"(?:{_ALNUM}{{5,8}}|[0-9]{_ALNUM}{{3}})"
_EXTENSION = rf"(?:[0-9a-wy-z](?:-{_ALNUM}{{2,8}})+)"
_PRIVATEUSE = rf"(?:x(?:-{_ALNUM}{{1,8}})+)"
_LANGTAG = (
    rf"{_LANGUAGE}(?:-{_SCRIPT})?(?:-{_REGION})?(?:-{_VARIANT})*"
    rf"(?:-{_EXTENSION})*(?:-{_PRIVATEUSE})?"
)
_IRREGULAR = (
    "en-gb-oed", "i-ami", "i-bnn", "i-default", "i-enochian", "i-hak", "i-klingon",
    "i-lux", "i-mingo", "i-navajo", "i-pwn", "i-tao", "i-tay", "i-tsu",
    "sgn-be-fr", "sgn-be-nl", "sgn-ch-de",
)
_REGULAR = (
    "art-lojban", "cel-gaulish", "no-bok", "no-nyn", "zh-guoyu", "zh-hakka",
    "zh-min", "zh-min-nan", "zh-xiang",
)
_GRANDFATHERED = frozenset(_IRREGULAR + _REGULAR)
_LANGUAGE_TAG = re.compile(rf"(?:{_LANGTAG}|{_PRIVATEUSE})", re.ASCII)


def language_tag_problem(tag: str) -> str | None:
    """Why ``tag`` is not a well-formed language tag, or None if it is."""
    lowered = tag.lower()  # subtags are case-insensitive (RFC 5646, 2.1.1)
    if lowered in _GRANDFATHERED:
        return None
    if "_" in tag:
        return f"`{tag}` uses '_'; language tags use '-', e.g. `{tag.replace('_', '-')}`"
    if not tag.isascii() or not _LANGUAGE_TAG.fullmatch(lowered):
        return f"`{tag}` is not a well-formed language tag (BCP 47), e.g. `en`, `zh-Hans`, `pt-BR`"
    primary = lowered.split("-")[0]
    if primary != "x" and len(primary) >= 4:
        start = f"`{tag}` is" if primary == lowered else f"`{tag}` starts with `{primary}`, which is"
        return f"{start} not a language code: use a 2- or 3-letter code such as `en`, `uk` or `zh`"
    return None


def is_well_formed(tag: str) -> bool:
    return language_tag_problem(tag) is None


# Primary languages written right to left: the document's base direction.
RIGHT_TO_LEFT = frozenset({"ar", "he", "fa", "ur", "yi", "ps", "sd", "ug", "dv", "ckb", "syr"})


def is_right_to_left(tag: str) -> bool:
    return tag.split("-")[0].lower() in RIGHT_TO_LEFT
