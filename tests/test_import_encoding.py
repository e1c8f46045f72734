"""What import writes, byte by byte: the metadata file's layout and the mojibake warning.

Real imports of captures written here; each negative has its positive control.
"""

from __future__ import annotations

import json
from pathlib import Path

import ftfy
import pytest

from capture_factory import ministry_page

from pipeline.importer.draft import _looks_like_mojibake
from pipeline.importer.stage import ImportOptions, encode_metadata, import_captures

CLEAN = {
    "ascii": "The Ministry welcomes the agreement. It was signed today.",
    "typography": "The Minister said \u201cwe welcome it\u201d \u2014 and \u00ablater\u00bb\u2026 it\u2019s signed.",
    "french": "La ministre a déclaré que l\u2019accord était signé à Paris.",
    "ukrainian": "Українці! Слава Україні! Ми вдячні нашим партнерам.",
    "chinese": "中华人民共和国外交部发言人表示欢迎。",
    "arabic": "ترحب الوزارة بالاتفاق الذي وقع اليوم.",
}
# The same sentences read in the wrong character set: what a misdecoded capture holds.
MOJIBAKE = {
    "utf-8 read as cp1252": CLEAN["typography"].encode("utf-8").decode("cp1252", "replace"),
    "utf-8 read as latin-1": CLEAN["french"].encode("utf-8").decode("latin-1"),
    "utf-8 read as cp1251": CLEAN["french"].encode("utf-8").decode("cp1251", "replace"),
}


def _flagged_by_ftfy_over_every_word(text: str) -> bool:
    """The check without the one-scan shortcut: ftfy over each word beyond ASCII and typography."""
    typography = str.maketrans(dict.fromkeys("\u2018\u2019\u201c\u201d\u2013\u2014\u2026\u00ab\u00bb\u00a0", "'"))
    words = " ".join(w for w in text.split() if not w.translate(typography).isascii())
    return bool(words) and ftfy.is_bad(words)


@pytest.mark.parametrize("name", sorted(MOJIBAKE))
def test_mojibake_is_flagged(name):
    assert _looks_like_mojibake(MOJIBAKE[name])
    assert _flagged_by_ftfy_over_every_word(MOJIBAKE[name])  # and ftfy agrees, without the shortcut


@pytest.mark.parametrize("name", sorted(CLEAN))
def test_clean_text_is_not_flagged(name):
    assert not _looks_like_mojibake(CLEAN[name])
    assert not _flagged_by_ftfy_over_every_word(CLEAN[name])


def test_a_mojibake_capture_is_warned_about_and_a_clean_one_is_not(tmp_path):
    into = tmp_path / "statements"
    into.mkdir()
    bad, good = tmp_path / "bad.txt", tmp_path / "good.txt"
    bad.write_text(f"Statement\n\n{MOJIBAKE['utf-8 read as cp1252']} It is done.\n", encoding="utf-8")
    good.write_text(f"Statement\n\n{CLEAN['typography']} It is done.\n", encoding="utf-8")
    report = import_captures([bad, good], ImportOptions(into, workers=1))
    assert [i["outcome"] for i in report.items] == ["drafted", "drafted"]
    assert [Path(p.file).name for p in report.problems if p.code == "I004"] == ["bad.txt"]
    # never repaired: the text is what the capture holds
    assert MOJIBAKE["utf-8 read as cp1252"] in (into / "bad.txt").read_text(encoding="utf-8")


def test_metadata_file_is_indented_with_each_derivation_run_on_one_line(tmp_path):
    into = tmp_path / "statements"
    into.mkdir()
    page = tmp_path / "page.html"
    page.write_bytes(ministry_page())
    import_captures([page], ImportOptions(into, workers=1))
    raw = (into / "page.json").read_bytes()
    metadata = json.loads(raw)
    text = raw.decode("utf-8")
    runs = metadata["extraction"]["kept"] + metadata["extraction"]["dropped"]
    assert len(runs) > 3
    for run in runs:  # each run is exactly one line of the file, in the C encoder's compact form
        line = json.dumps(run, ensure_ascii=False, separators=(", ", ": "))
        assert f"\n      {line}" in text
    # every other field is laid out as json.dumps(indent=2) lays it out
    without_runs = {**metadata, "extraction": {k: v for k, v in metadata["extraction"].items()
                                               if k not in ("kept", "dropped")}}
    assert encode_metadata(without_runs) == (json.dumps(without_runs, indent=2, ensure_ascii=False)
                                             + "\n").encode("utf-8")
    assert '\n  "title": ' in text and '\n    "status": "draft"' in text
    assert encode_metadata(metadata) == raw  # what review rewrites is what import wrote
