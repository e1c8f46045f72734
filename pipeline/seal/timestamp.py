"""RFC 3161 timestamps: one request to a TSA, the token back.

pyHanko builds the request (with a nonce and certReq, so the TSA's
certificate comes back inside the token) and checks the reply's status and
nonce; the HTTP exchange is one POST through urllib, with a timeout, so a
seal run makes exactly one round trip per TSA.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass

from asn1crypto import cms, tsp
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError, handle_tsp_response

from pipeline.core.errors import StageError
from pipeline.core.records import Problem

DEFAULT_TIMEOUT = 30.0


@dataclass(frozen=True)
class Token:
    """A timestamp token (DER ContentInfo) and what it says."""

    der: bytes
    url: str

    @property
    def info(self) -> tsp.TSTInfo:
        return cms.ContentInfo.load(self.der)["content"]["encap_content_info"]["content"].parsed


def request_token(url: str, digest: str, imprint: bytes, timeout: float = DEFAULT_TIMEOUT) -> Token:
    """A token from the TSA at *url* over *imprint* (a *digest* value), or StageError (A010)."""
    if not url.startswith(("http://", "https://")):
        raise StageError(f"{url}: a TSA address must start with http:// or https://",
                         [Problem("A010", url, "", "not an http(s) address")])
    nonce, request = TimeStamper().request_cms(imprint, digest)
    http = urllib.request.Request(url, data=request.dump(), method="POST", headers={
        "Content-Type": "application/timestamp-query", "Accept": "application/timestamp-reply"})
    try:
        with urllib.request.urlopen(http, timeout=timeout) as reply:  # noqa: S310 (http/https only)
            kind = reply.headers.get("Content-Type", "")
            body = reply.read()
    except urllib.error.HTTPError as exc:
        raise _failed(url, f"the TSA answered HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise _failed(url, f"the TSA cannot be reached: {reason}") from None
    if kind.split(";")[0].strip() != "application/timestamp-reply":
        raise _failed(url, f"the TSA answered {kind or 'no content type'}, not a timestamp reply")
    try:
        token = handle_tsp_response(tsp.TimeStampResp.load(body), nonce)
        der = token.dump()
        cms.ContentInfo.load(der)["content"]["encap_content_info"]["content"].parsed.native
    except TimestampRequestError as exc:
        raise _failed(url, str(exc)) from None
    except (ValueError, TypeError, KeyError):
        raise _failed(url, "the TSA's reply is not a valid RFC 3161 response") from None
    found = Token(der, url)
    if found.info["message_imprint"]["hashed_message"].native != imprint:
        raise _failed(url, "the token's message imprint is not what was asked for")
    return found


def _failed(url: str, why: str) -> StageError:
    return StageError(f"{url}: {why}; nothing was sealed",
                      [Problem("A010", url, "", f"{why}; nothing was sealed, try again later")])
