"""Every problem code the pipeline emits is in the one table, and only once."""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.core.codes import CODES

PIPELINE = Path(__file__).resolve().parents[1] / "pipeline"


def test_every_emitted_code_is_in_the_table():
    used = set()
    for source in PIPELINE.rglob("*.py"):
        if source.name != "codes.py":
            used |= set(re.findall(r'"([VRCPBESAIKD]\d{3})"', source.read_text(encoding="utf-8")))
    assert used, "no codes found: the pattern is stale"
    assert used <= set(CODES), sorted(used - set(CODES))


def test_codes_table_is_well_formed():
    for code, (severity, title) in CODES.items():
        assert re.fullmatch(r"[VRCPBESAIKD]\d{3}", code)
        assert severity in ("error", "warning") and title
