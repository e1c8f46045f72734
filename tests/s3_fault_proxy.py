"""An HTTP proxy in front of moto's S3 server that injects faults, request by request.

It forwards every request to moto unchanged (the ``Host`` header too, so
SigV4 signatures stay as the client made them) and answers for moto, except
for requests of PDFs (paths ending in ``.pdf``), where it can:

* ``statuses[method]``: answer the next such requests with these
  ``(status, code, message)`` as S3 XML errors (``503 SlowDown``, ``403
  AccessDenied`` …), without telling moto;
* ``drop_puts``: cut that many PUTs mid-body (half the body read, then the
  connection closed, no answer): a connection lost mid-upload;
* ``corrupt_puts``: flip one byte of the body on its way to the store, and
  answer HEAD and GET with the ETag of what the client sent: a store that
  damages what it keeps while its metadata still says all is well (the ETag
  computed on receipt, the bytes damaged on disk);
* ``corrupt_gets``: flip one byte of every GET answer: a store whose copy
  reads back damaged.

Every request is logged as ``(method, path)``.
"""

from __future__ import annotations

import hashlib
import http.client
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Iterator
from urllib.parse import urlsplit

from recording_server import serving

FLIP_AT = 20  # a byte inside the PDF, past its header

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
               "proxy-authorization", "proxy-authenticate"}


@dataclass
class S3Faults:
    statuses: dict[str, list[tuple[int, str, str]]] = field(default_factory=dict)
    drop_puts: int = 0
    corrupt_puts: bool = False
    corrupt_gets: bool = False
    log: list[tuple[str, str]] = field(default_factory=list)
    dropped: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    sent_md5: dict[str, str] = field(default_factory=dict)  # path → MD5 of the body as sent

    def count(self, method: str, suffix: str = "") -> int:
        with self.lock:
            return sum(1 for m, p in self.log if m == method and p.endswith(suffix))


def _flip(data: bytes, offset: int = FLIP_AT) -> bytes:
    if len(data) <= offset:
        return data
    flipped = bytearray(data)
    flipped[offset] ^= 0x01
    return bytes(flipped)


def _s3_error(status: int, code: str, message: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
            f"<Message>{message}</Message><RequestId>fault-proxy</RequestId></Error>").encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as S3 clients expect
    faults: S3Faults
    upstream: tuple[str, int]

    def log_message(self, *args) -> None:  # quiet: the test reads faults.log
        pass

    def _handle(self) -> None:
        method, path = self.command, urlsplit(self.path).path
        faults = self.faults
        pdf = path.endswith(".pdf")
        length = int(self.headers.get("Content-Length") or 0)
        with faults.lock:
            faults.log.append((method, path))
            queued = faults.statuses.get(method) if pdf else None
            injected = queued.pop(0) if queued else None
            drop = pdf and method == "PUT" and faults.drop_puts > 0 and length > 1
            if drop:
                faults.drop_puts -= 1
                faults.dropped += 1
        if drop:
            self.rfile.read(length // 2)
            self.close_connection = True
            self.connection.close()  # unread data left: the kernel resets the connection
            return
        body = self.rfile.read(length) if length else b""
        if injected:
            status, code, message = injected
            self._answer(status, {"Content-Type": "application/xml"}, _s3_error(status, code, message))
            return
        if pdf and method == "PUT" and faults.corrupt_puts:
            with faults.lock:
                faults.sent_md5[path] = hashlib.md5(body).hexdigest()
            body = _flip(body)
        status, headers, answer = self._forward(method, body)
        if pdf and method in ("HEAD", "GET") and status == 200:
            with faults.lock:
                told = faults.sent_md5.get(path) if faults.corrupt_puts else None
                damage_read = faults.corrupt_gets
            if told:
                headers = {k: (f'"{told}"' if k.lower() == "etag" else v) for k, v in headers.items()}
            if damage_read and method == "GET":
                answer = _flip(answer)
        self._answer(status, headers, answer, head=method == "HEAD")

    do_GET = do_PUT = do_HEAD = do_POST = do_DELETE = _handle

    def _forward(self, method: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection(*self.upstream, timeout=30)
        try:
            connection.putrequest(method, self.path, skip_host=True, skip_accept_encoding=True)
            for name, value in self.headers.items():
                if name.lower() not in _HOP_BY_HOP:
                    connection.putheader(name, value)
            connection.endheaders(body or None)
            response = connection.getresponse()
            answer = response.read()
            headers = {k: v for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP}
            return response.status, headers, answer
        finally:
            connection.close()

    def _answer(self, status: int, headers: dict[str, str], body: bytes, *, head: bool = False) -> None:
        """Send the answer; for HEAD, the length moto gave (of the object, no body sent)."""
        length = str(len(body))
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() == "content-length":
                length = value if head else length
            else:
                self.send_header(name, value)
        self.send_header("Content-Length", length)
        self.end_headers()
        if not head:
            self.wfile.write(body)


@contextmanager
def s3_fault_proxy(endpoint: str, faults: S3Faults | None = None) -> Iterator[tuple[str, S3Faults]]:
    """A proxy on 127.0.0.1 (free port) to the S3 *endpoint*; yields its URL and its faults."""
    faults = faults or S3Faults()
    end = urlsplit(endpoint)
    handler = type("Handler", (_Handler,), {"faults": faults, "upstream": (end.hostname, end.port)})
    with serving(handler) as url:
        yield url, faults
