"""Where submissions go: one small interface, one module per kind of target.

::

    Target.put(name, data, properties) -> Receipt        store bytes under name
    Target.confirm(name, expected)     -> Confirmation   prove the stored copy is ours

*name* is a relative path with ``/`` (``<identifier>/v0003/<identifier>.pdf``);
each target maps it to its own namespace. ``put`` never reports success on its
own: only ``confirm`` (read back, or the server's checksum) does. Failures are
two exceptions, so the caller can tell what repeating would achieve::

    TargetError          a failure the officer must look at (never retried)
    └── Transient        connection lost, timeout, 5xx: worth trying again

Messages name the location and the server's words, never credentials.
The target is chosen by URL (:func:`open_target`):

    file:///srv/inbox/            a watched drop folder    (targets/file.py)
    webdav://host/path/ (http), webdavs://host/path/ (https)   (targets/webdav.py)
    s3://bucket/prefix            with an endpoint URL       (targets/s3.py)
"""

from __future__ import annotations

import hashlib
import http.client
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping, Protocol
from urllib.parse import unquote, urlsplit

from pipeline.core.errors import InputError

#: How much of a server's answer is kept (ledger, messages): enough to act on.
RESPONSE_LIMIT = 500


class TargetError(Exception):
    """The target refused or could not be used; ``status`` is the HTTP status if any."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class Transient(TargetError):
    """A failure that may pass: connection error, timeout, 5xx."""


@dataclass(frozen=True)
class Digest:
    """What the sent bytes are, to compare with what the target holds."""

    sha256: str
    md5: str
    size: int

    @classmethod
    def of(cls, data: bytes) -> "Digest":
        # MD5 only because S3 speaks it (Content-MD5, ETag); SHA-256 is the proof.
        return cls(hashlib.sha256(data).hexdigest(),
                   hashlib.md5(data, usedforsecurity=False).hexdigest(), len(data))


@dataclass(frozen=True)
class Receipt:
    """The target accepted the bytes (not yet proven intact)."""

    location: str
    response: str


@dataclass(frozen=True)
class Confirmation:
    """The outcome of comparing the stored copy with what was sent."""

    ok: bool
    location: str
    detail: str


class Target(Protocol):
    #: the target as the ledger names it: no credentials, stable across runs
    url: str

    def location(self, name: str) -> str: ...

    def put(self, name: str, data: bytes, properties: Mapping[str, str]) -> Receipt: ...

    def confirm(self, name: str, expected: Digest) -> Confirmation: ...


@dataclass(frozen=True)
class TargetOptions:
    """Everything a target may need besides its URL; tests pass small timeouts."""

    timeout: float = 60.0
    s3_endpoint: str | None = None
    environ: Mapping[str, str] | None = None
    netrc_file: Path | None = None


def open_target(url: str, options: TargetOptions = TargetOptions()) -> Target:
    """The target for *url*; InputError (without the URL's secrets) if unusable."""
    parts = urlsplit(url)
    if parts.password is not None or parts.username is not None:
        raise InputError("the target URL must not contain a user name or password: put "
                         "them in STATEMENT_ARCHIVE_USER / STATEMENT_ARCHIVE_PASSWORD "
                         "or in ~/.netrc")
    scheme = parts.scheme.lower()
    if scheme == "file":
        from pipeline.submit.targets.file import FileTarget

        if parts.netloc not in ("", "localhost"):
            raise InputError(f"file:// target must be on this machine, not {parts.netloc!r}")
        return FileTarget(Path(unquote(parts.path)))
    if scheme in ("webdav", "webdavs"):
        from pipeline.submit.targets.webdav import WebDavTarget

        return WebDavTarget.from_url(parts, options)
    if scheme == "s3":
        from pipeline.submit.targets.s3 import S3Target

        return S3Target.from_url(parts, options)
    raise InputError(f"unknown target {scheme + '://' if scheme else url!r}: use file://, "
                     "webdav://, webdavs:// or s3://")


def check_name(name: str) -> list[str]:
    """The segments of a remote *name*; ValueError if any could escape the target."""
    segments = name.split("/")
    for segment in segments:
        if segment in ("", ".", "..") or "\\" in segment or "\0" in segment:
            raise ValueError(f"unsafe remote name {name!r}")
    return segments


def excerpt(text: str) -> str:
    """A server's answer, on one line and short enough for the ledger."""
    flat = " ".join(text.split())
    return flat if len(flat) <= RESPONSE_LIMIT else flat[:RESPONSE_LIMIT - 1] + "…"


#: what to do after any connection failure, in every target's message
CONNECTION_ADVICE = "check the target URL and that the server is up, then run submit again"

_PLAIN_WORDS: tuple[tuple[type[BaseException], str], ...] = (
    (ConnectionRefusedError, "the connection was refused (nothing is listening at that host and port)"),
    (ConnectionResetError, "the connection was closed by the server before it answered"),
    (ConnectionAbortedError, "the connection was closed before the server answered"),
    (BrokenPipeError, "the connection was closed by the server while the request was sent"),
    (TimeoutError, "no answer in time"),
    (http.client.IncompleteRead, "the server's answer was cut short"),
)


def connection_failure(exc: BaseException) -> str:
    """Why a connection failed, in words for a records officer, and what to do.

    Python's class names (``ConnectionRefusedError``…) mean nothing to the
    officer, so the chain of causes (``__cause__``, ``__context__``, botocore's
    wrapped ``error``) is searched for a failure that has plain words."""
    causes = list(_causes(exc))
    for kind, words in _PLAIN_WORDS:
        if any(isinstance(cause, kind) for cause in causes):
            return f"{words}; {CONNECTION_ADVICE}"
    for cause in causes:
        if isinstance(cause, socket.gaierror):
            return f"the host name could not be looked up ({cause.strerror}); {CONNECTION_ADVICE}"
        if isinstance(cause, ssl.SSLError):
            return f"the TLS connection failed ({cause.reason or cause.strerror or 'no reason given'}); " \
                   f"{CONNECTION_ADVICE}"
        if isinstance(cause, OSError) and cause.strerror:
            return f"the connection failed ({cause.strerror}); {CONNECTION_ADVICE}"
    if any(isinstance(cause, http.client.HTTPException) for cause in causes):
        return f"the server's answer was not valid HTTP; {CONNECTION_ADVICE}"
    return f"the connection failed; {CONNECTION_ADVICE}"


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    waiting = [exc]
    while waiting and len(seen) < 20:
        cause = waiting.pop(0)
        if id(cause) in seen:
            continue
        seen.add(id(cause))
        yield cause
        wrapped = getattr(cause, "kwargs", None)
        inner = wrapped.get("error") if isinstance(wrapped, dict) else None
        waiting += [c for c in (cause.__cause__, cause.__context__, inner, *cause.args)
                    if isinstance(c, BaseException)]
