"""Which Unicode blocks the pinned fonts cover.

A block's characters are its assigned, visible code points: unassigned,
private-use and surrogate code points are left out (no font can be expected
to have them), and so are the characters that need no glyph (whitespace,
format and control characters: :func:`.fonts.needs_no_glyph`). Block names
and ranges come from fontTools' copy of Unicode's Blocks.txt; which code
points are assigned from the ``unicodedata`` fontTools uses (the stdlib's,
or ``unicodedata2`` when installed), so blocks newer than that database
show no characters and are not listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from fontTools import unicodedata as fontdata
from fontTools.unicodedata import Blocks

from pipeline.render.fonts import needs_no_glyph

_NO_CHARACTERS = ("Cn", "Co", "Cs")  # unassigned, private use, surrogates


@dataclass(frozen=True)
class BlockCoverage:
    first: int
    last: int
    name: str
    characters: int  # assigned, visible code points
    covered: int
    missing: tuple[int, ...]  # the first few uncovered, as examples

    @property
    def state(self) -> str:
        if self.covered == self.characters:
            return "covered"
        return "uncovered" if self.covered == 0 else "partly covered"

    def as_dict(self) -> dict[str, object]:
        return {
            "block": self.name, "first": f"U+{self.first:04X}", "last": f"U+{self.last:04X}",
            "characters": self.characters, "covered": self.covered, "state": self.state,
            "missing_examples": [f"U+{c:04X}" for c in self.missing],
        }


def _blocks() -> Iterable[tuple[int, int, str]]:
    starts = list(Blocks.RANGES) + [0x110000]
    for first, following, name in zip(starts, starts[1:], Blocks.VALUES):
        if name != "No_Block":
            yield first, following - 1, name


def block_coverage(covered: frozenset[int], *, examples: int = 5) -> tuple[BlockCoverage, ...]:
    """Coverage of every block that has characters, in code point order."""
    result = []
    for first, last, name in _blocks():
        chars = [
            c for c in range(first, last + 1)
            if fontdata.category(chr(c)) not in _NO_CHARACTERS and not needs_no_glyph(chr(c))
        ]
        if not chars:
            continue
        missing = [c for c in chars if c not in covered]
        result.append(BlockCoverage(first, last, name, len(chars), len(chars) - len(missing), tuple(missing[:examples])))
    return tuple(result)


def unicode_version() -> str:
    return fontdata.unidata_version
