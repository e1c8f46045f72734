"""Credentials for a target: from the environment, else from a netrc file.

``STATEMENT_ARCHIVE_USER`` and ``STATEMENT_ARCHIVE_PASSWORD`` win; otherwise
the netrc entry for the host (``NETRC`` names the file, default ``~/.netrc``).
The password lives only in this object and the Authorization header built
from it: its repr hides it, and no message in this package ever formats it.
"""

from __future__ import annotations

import base64
import netrc
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from pipeline.core.errors import InputError

USER_VARIABLE = "STATEMENT_ARCHIVE_USER"
PASSWORD_VARIABLE = "STATEMENT_ARCHIVE_PASSWORD"


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str = field(repr=False)
    source: str = ""  # where they came from, for messages: "environment" or the netrc path

    def basic_authorization(self) -> str:
        token = base64.b64encode(f"{self.user}:{self.password}".encode("utf-8")).decode("ascii")
        return f"Basic {token}"


def find_credentials(host: str, environ: Mapping[str, str] | None = None,
                     netrc_file: Path | None = None) -> Credentials | None:
    """Credentials for *host*, or None if neither source has any."""
    environ = os.environ if environ is None else environ
    user, password = environ.get(USER_VARIABLE), environ.get(PASSWORD_VARIABLE)
    if user and password is not None:
        return Credentials(user, password, "environment")
    if user or password:
        raise InputError(f"set both {USER_VARIABLE} and {PASSWORD_VARIABLE}, or neither")
    path = netrc_file or (Path(environ["NETRC"]) if environ.get("NETRC") else Path.home() / ".netrc")
    try:
        if path.stat().st_mode & 0o077:
            raise InputError(f"{path} can be read by other users; protect the password in it "
                             f"with `chmod 600 {path}`")
        entries = netrc.netrc(str(path))
    except FileNotFoundError:
        return None
    except netrc.NetrcParseError as exc:
        # not exc.msg: it quotes the offending token, which may be (part of) a password
        raise InputError(f"{path} line {exc.lineno} is not valid netrc syntax") from None
    except OSError as exc:
        raise InputError(f"{path} cannot be read: {exc.strerror or exc}") from None
    found = entries.authenticators(host)
    if found is None:
        return None
    login, _account, secret = found
    return Credentials(login, secret or "", str(path))
