"""One "fixity check" event per PDF rendered again from its package (verify --reproduce).

The check is of the rendition itself: is the archived PDF exactly what the
package's own metadata, body, templates and the recorded software make? The
outcome is success (reproduced), failure (differs) or warning (cannot
reproduce here); the agents are the software that rendered it again.
"""

from __future__ import annotations

import datetime as dt
from typing import Sequence

from pipeline.core.records import Reproduction
from pipeline.events.entry import (
    AGENT_ROLE_EXECUTING, EventDraft, Link, package_link, software_agent, statement_link,
)

_OUTCOMES = {"reproduced": "success", "differs": "failure", "cannot reproduce here": "warning"}


def reproduction_events(reproductions: Sequence[Reproduction], renderer_versions: Sequence[str],
                        when: dt.datetime) -> list[EventDraft]:
    """*renderer_versions*: e.g. ``("WeasyPrint 70.0", "pango 15012; harfbuzz 6.0.0; fontconfig 21401; hb-subset yes; hb-vector no")``."""
    agents = (software_agent(), *(Link("software", v, AGENT_ROLE_EXECUTING) for v in renderer_versions))
    return [
        EventDraft("fixity check", when, _OUTCOMES[r.outcome],
                   f"rendition re-rendered from the package's own files: {r.outcome}; {r.detail}",
                   (package_link(r.package), statement_link(r.identifier)), agents)
        for r in reproductions
    ]
