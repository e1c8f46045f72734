"""The "validation" events of imported drafts: reviewed by an officer, or accepted in a batch.

An imported statement's text was extracted by a program; the event says who
approved it, when, and how: ``review ID`` (an officer read the extraction
beside the dropped page furniture: outcome success) or ``import --accept``
(marked reviewed without anyone reading it: outcome warning, so the log
shows which statements entered the archive unread).
"""

from __future__ import annotations

import datetime as dt
from typing import Sequence

from pipeline.events.entry import EventDraft, Link, software_agent, statement_link

REVIEWED, ACCEPTED_IN_BATCH = "reviewed", "accepted in batch"
#: PREMIS agent roles (LoC eventRelatedAgentRole): who checked, who let it through unchecked.
ROLE_VALIDATOR, ROLE_AUTHORIZER = "validator", "authorizer"


def officer(name: str, login: str) -> Link:
    """The person: the name they gave (``--by``), else the account that ran the command."""
    return Link("person", name, ROLE_VALIDATOR) if name else Link("local user", login, ROLE_VALIDATOR)


def review_event(identifier: str, body_sha256: str, who: Link, when: dt.datetime,
                 needs_attention: int = 0) -> EventDraft:
    detail = (f"{REVIEWED}: review {identifier}: the extracted text (sha256 {body_sha256}) was shown beside "
              f"the page furniture dropped from its capture and marked reviewed by {who.value}")
    if needs_attention:
        detail += f"; {needs_attention} point(s) needing attention were shown"
    return EventDraft("validation", when, "success", detail, (statement_link(identifier),),
                      (software_agent(), who))


def acceptance_event(identifiers: Sequence[str], login: str, when: dt.datetime) -> EventDraft:
    return EventDraft("validation", when, "warning",
                      f"{ACCEPTED_IN_BATCH}: import --accept: {len(identifiers)} imported draft(s) marked "
                      "reviewed without an officer's review",
                      tuple(statement_link(i) for i in identifiers),
                      (software_agent(), Link("local user", login, ROLE_AUTHORIZER)))
