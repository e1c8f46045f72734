"""No network while importing, whatever a library might try.

trafilatura and htmldate can fetch (htmldate downloads a string that looks
like a URL); the importer never hands them one, and on top of that every
socket connection and name lookup is refused while a capture is drafted,
so a link, an image or a redirect in a capture can never be followed.
"""

from __future__ import annotations

import socket
from contextlib import contextmanager
from typing import Iterator


class NetworkRefused(OSError):
    """Something tried to reach the network during an import."""


def _refuse(*args, **kwargs):
    raise NetworkRefused("import never uses the network (a library tried to connect or look up a name)")


_PATCHES = (
    (socket.socket, "connect"), (socket.socket, "connect_ex"), (socket.socket, "sendto"),
    (socket, "create_connection"), (socket, "getaddrinfo"), (socket, "gethostbyname"),
)


@contextmanager
def no_network() -> Iterator[None]:
    saved = [(owner, name, getattr(owner, name)) for owner, name in _PATCHES]
    for owner, name in _PATCHES:
        setattr(owner, name, _refuse)
    try:
        yield
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)


def refuse_network_for_good() -> None:
    """In a worker process that only drafts captures: refuse for its whole life."""
    for owner, name in _PATCHES:
        setattr(owner, name, _refuse)
