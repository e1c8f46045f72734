"""Font repairs the finisher applies to what WeasyPrint 70 embeds.

WeasyPrint maps a cluster's whole text to its first glyph and writes an
*empty* ToUnicode value (``<025f> <>``) for the cluster's other glyphs
(Devanagari vowel signs, Tibetan stacks, Khmer coeng forms …). An empty value
is not a Unicode mapping (PDF/A-2u/3u 6.2.11.7.2; page-validation
``UNICODE-MAPPING-001``). Such a glyph adds no text, so it is mapped to
U+2060 WORD JOINER: a default-ignorable format character, so extracted text
and word search are unchanged (the check stage drops format characters
before comparing). Proven on real renders in tests/test_render_scripts.py.
"""

from __future__ import annotations

import re

import pydyf

#: What an empty cluster glyph stands for in the ToUnicode map.
NO_TEXT = "2060"
_EMPTY_ENTRY = re.compile(rb"<([0-9a-f]{4})> <>")
_TO_UNICODE_START = b"/CIDInit /ProcSet findresource begin"


def fill_empty_to_unicode(pdf: pydyf.PDF) -> None:
    for obj in pdf.objects:
        if isinstance(obj, pydyf.Stream) and obj.stream[:1] == [_TO_UNICODE_START]:
            obj.stream = [
                _EMPTY_ENTRY.sub(rb"<\1> <" + NO_TEXT.encode() + b">", line) if isinstance(line, bytes) else line
                for line in obj.stream
            ]
