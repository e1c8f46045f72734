"""WebDAV (RFC 4918): MKCOL each missing collection, PUT under a temporary
name, MOVE it to its final name, then GET it back.

The PUT goes to ``.<name>.<random>.partial`` in the same collection, so no one
browsing the records system (and no ingest watching it) ever sees a half-sent
file under the final name, nor a failed upload's remains there. Hidden by
its leading dot in most listings; not ``.part``, which Nextcloud and ownCloud
refuse. A fresh random name per try, so a cut PUT that the server finishes
late writes only its own temporary file. MOVE (§9.9) is sent with
``Overwrite: T``: the final name is re-sent only when the ledger has no
confirmed copy of it (an interrupted try, or a copy that failed its read-back),
and such a copy must then be replaced, as a plain PUT would replace it. After a
failed PUT or MOVE the temporary resource is DELETEd, best effort: a hidden
``.partial`` is what is left if that fails too, or if the server finishes a cut
PUT only after it.

WebDAV servers do not check digests, so a copy counts as confirmed only when
the bytes read back have the SHA-256 of the bytes sent.

Built on the standard library's http.client: the five methods used here need
no more, it adds no dependency to an archive that must install for years, and
it lets this module decide exactly which failures are retried. One connection
per request keeps a dropped connection from poisoning the next one.
Credentials go only into the Authorization header; messages name the URL
without them.
"""

from __future__ import annotations

import hashlib
import http.client
import mimetypes
import re
import secrets
import ssl
from typing import Mapping
from urllib.parse import SplitResult, quote

from pipeline.core.errors import InputError
from pipeline.submit.credentials import Credentials, find_credentials
from pipeline.submit.targets import (
    CONNECTION_ADVICE, Confirmation, Digest, Receipt, TargetError, TargetOptions, Transient, check_name,
    connection_failure, excerpt,
)

_TAG = re.compile(r"<[^>]*>")


class WebDavTarget:
    def __init__(self, *, secure: bool, host: str, port: int | None, base_path: str,
                 credentials: Credentials | None, timeout: float):
        self.secure, self.host, self.port = secure, host, port
        self.base_path = base_path if base_path.endswith("/") else base_path + "/"
        self.credentials = credentials
        self.timeout = timeout
        netloc = host if port is None else f"{host}:{port}"
        self.url = f"{'webdavs' if secure else 'webdav'}://{netloc}{self.base_path}"
        self._http_base = f"{'https' if secure else 'http'}://{netloc}"
        self._collections: set[str] = set()  # made (or found) during this run

    @classmethod
    def from_url(cls, parts: SplitResult, options: TargetOptions) -> "WebDavTarget":
        if not parts.hostname:
            raise InputError("a webdav:// target needs a host, e.g. webdav://records.example/inbox/")
        try:
            port = parts.port
        except ValueError:
            raise InputError("the port in the webdav target URL is not a number") from None
        credentials = find_credentials(parts.hostname, options.environ, options.netrc_file)
        return cls(secure=parts.scheme.lower() == "webdavs", host=parts.hostname, port=port,
                   base_path=parts.path or "/", credentials=credentials, timeout=options.timeout)

    def location(self, name: str) -> str:
        return self._http_base + self._path(name)

    def put(self, name: str, data: bytes, properties: Mapping[str, str]) -> Receipt:
        segments = check_name(name)
        for depth in range(1, len(segments)):
            self._make_collection("/".join(segments[:depth]) + "/")
        content_type = mimetypes.guess_type(segments[-1])[0] or "application/octet-stream"
        partial = "/".join([*segments[:-1], partial_name(segments[-1])])
        final_url = self.location(name)
        try:
            status, reason, body = self._request("PUT", self._path(partial), data,
                                                 {"Content-Type": content_type})
            if status not in (200, 201, 204):
                self._refused(f"PUT {self.location(partial)} (for {final_url})", status, reason, body)
            moved, moved_reason, body = self._request(
                "MOVE", self._path(partial), headers={"Destination": final_url, "Overwrite": "T"})
            if moved not in (201, 204):
                self._refused(f"MOVE {self.location(partial)} to {final_url}", moved, moved_reason, body)
        except TargetError:
            self._discard(partial)
            raise
        return Receipt(final_url, f"{status} {reason}, moved into place: {moved} {moved_reason}")

    def _discard(self, partial: str) -> None:
        """DELETE a temporary resource left by a failed PUT or MOVE; its failure is not reported,
        so that the error that led here is."""
        try:
            self._request("DELETE", self._path(partial))
        except TargetError:
            pass

    def confirm(self, name: str, expected: Digest) -> Confirmation:
        status, reason, body = self._request("GET", self._path(name))
        where = self.location(name)
        if status == 404:
            return Confirmation(False, where, "not found when read back (404)")
        if status != 200:
            self._refused(f"GET {where}", status, reason, body)
        found = hashlib.sha256(body).hexdigest()
        if found != expected.sha256:
            return Confirmation(False, where, f"read back {len(body)} bytes with sha256 {found}; "
                                f"sent {expected.size} bytes with sha256 {expected.sha256}")
        return Confirmation(True, where, f"read back {len(body)} bytes, sha256 {found}")

    # -- HTTP ------------------------------------------------------------------

    def _path(self, name: str) -> str:
        return self.base_path + "/".join(quote(s, safe="") for s in check_name(name.rstrip("/")))

    def _make_collection(self, name: str) -> None:
        if name in self._collections:
            return
        path = self._path(name) + "/"
        status, reason, body = self._request("MKCOL", path)
        # 405: it exists already (RFC 4918 §9.3.1), which is what we want
        if status not in (201, 405):
            self._refused(f"MKCOL {self.location(name)}", status, reason, body)
        self._collections.add(name)

    def _request(self, method: str, path: str, body: bytes | None = None,
                 headers: Mapping[str, str] | None = None) -> tuple[int, str, bytes]:
        sent = {"Connection": "close", **(headers or {})}
        if self.credentials is not None:
            sent["Authorization"] = self.credentials.basic_authorization()
        if self.secure:
            connection: http.client.HTTPConnection = http.client.HTTPSConnection(
                self.host, self.port, timeout=self.timeout, context=ssl.create_default_context())
        else:
            connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        where = f"{method} {self._http_base}{path}"
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            return response.status, response.reason, response.read()
        except ssl.SSLCertVerificationError as exc:
            raise TargetError(f"{where}: the server's TLS certificate is not trusted "
                              f"({exc.verify_message})") from None
        except TimeoutError:
            raise Transient(f"{where}: no answer within {self.timeout:g} s; {CONNECTION_ADVICE}") from None
        except (OSError, http.client.HTTPException) as exc:
            raise Transient(f"{where}: {connection_failure(exc)}") from None
        finally:
            connection.close()

    def _refused(self, request: str, status: int, reason: str, body: bytes) -> None:
        """Raise the server's refusal of *request* ("METHOD URL…") with its own words."""
        said = excerpt(_TAG.sub(" ", body[:4096].decode("utf-8", "replace")))
        message = f"{request}: {status} {reason}" + (f": {said}" if said else "")
        if status == 401:
            message += ("; the server did not accept the credentials" if self.credentials else
                        "; no credentials were given: set STATEMENT_ARCHIVE_USER and "
                        "STATEMENT_ARCHIVE_PASSWORD, or add the host to ~/.netrc")
        if status >= 500:
            raise Transient(message, status)
        raise TargetError(message, status)


def partial_name(final: str) -> str:
    """The temporary name a file is PUT under before it is moved to *final*."""
    return f".{final}.{secrets.token_hex(6)}.partial"
