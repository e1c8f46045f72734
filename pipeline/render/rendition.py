"""The rendition date: when the archive made a PDF, to the precision it knows.

It is an input of the render (part of the render key), never the clock read
inside the stage and never the statement's issue date. Where it comes from,
first found wins (see README, "PDF"):

1. the record's ``rendition_date``, a fact stored with the statement;
2. the run's: ``--rendition-date``, else ``SOURCE_DATE_EPOCH`` (the CLI passes it);
3. none: the PDF then has no creation or modification date at all, and its
   colophon says the date was not recorded. Nothing is invented.

Written as given: a day (``2026-11-28``) stays a day in ``CreationDate``
(``D:20261128``) and ``xmp:CreateDate``; an instant is UTC to the second.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Mapping

_FORM = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})Z)?$")


@dataclass(frozen=True)
class RenditionDate:
    text: str  # YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ

    def __post_init__(self) -> None:
        match = _FORM.match(self.text)
        if not match:
            raise ValueError(f"not a rendition date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ): {self.text!r}")
        try:
            self.instant  # noqa: B018  (raises ValueError for an impossible date)
        except ValueError as exc:
            raise ValueError(f"not a real day or time: {self.text!r} ({exc})") from None

    @classmethod
    def from_epoch(cls, seconds: int) -> "RenditionDate":
        return cls(dt.datetime.fromtimestamp(seconds, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))

    @property
    def is_day(self) -> bool:
        return "T" not in self.text

    @property
    def instant(self) -> dt.datetime:
        """The first instant it names (for fields that need a full date-time)."""
        numbers = [int(n) for n in _FORM.match(self.text).groups() if n is not None] + [0, 0, 0]
        return dt.datetime(*numbers[:6], tzinfo=dt.timezone.utc)

    def pdf(self) -> str:
        """PDF date string (ISO 32000-1, 7.9.4), no more precise than known."""
        return self.instant.strftime("D:%Y%m%d" if self.is_day else "D:%Y%m%d%H%M%SZ")

    def xmp(self) -> str:
        return self.text


def rendition_date(metadata: Mapping[str, Any], run_default: str | None) -> RenditionDate | None:
    """The statement's rendition date (see module docstring), or None if none is recorded."""
    text = metadata.get("rendition_date") or run_default
    return RenditionDate(text) if text else None
