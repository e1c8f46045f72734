"""Real servers on 127.0.0.1 for the submit tests, and packages to submit.

* :func:`dav_server`: wsgidav on cheroot with basic auth, optionally behind
  :class:`Faults` (a WSGI middleware that answers some requests with a status,
  or flips a byte of a PDF being PUT, so the server stores a corrupted copy);
* :class:`DropProxy`: a TCP proxy that cuts one PUT connection mid-body;
* :func:`moto_server`: moto's S3 in server mode (ThreadedMotoServer).

Every server is started by the test that needs it and stopped after it.
"""

from __future__ import annotations

import datetime
import re
import socket
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from bagutil import AGENT, EVENT_TIME, make_statement
from pipeline.package import package_statements

USER, PASSWORD = "officer", "s3cret-Pa55-that-must-never-leak"

#: a PDF's path, under its final name or the temporary one it is PUT under first
PDF_PATH = re.compile(r"\.pdf(?:\.[0-9a-f]+\.partial)?$")


def make_archive(root: Path, identifiers: tuple[str, ...] = ("alpha", "beta"), *,
                 pdf_size: int = 0, date: datetime.date = datetime.date(2026, 11, 28),
                 archive: Path | None = None, salt: str = "") -> Path:
    """A real package (fake PDF bytes, real bag) in ``root/archive``; returns the archive.

    Calling again with another *salt* writes the next version of the package."""
    archive = archive or root / "archive"
    rendered = []
    for identifier in identifiers:
        pdf = b"%PDF-1.7\n% " + identifier.encode() + salt.encode() + b"\n"
        pdf += bytes((i * 7 + len(identifier)) % 256 for i in range(pdf_size)) + b"\n%%EOF\n"
        rendered.append(make_statement(root / f"src-{identifier}{salt}", identifier, pdf=pdf))
    package_statements(rendered, archive, bagging_date=date, software_agent=AGENT, event_time=EVENT_TIME)
    return archive


# -- WebDAV ----------------------------------------------------------------------

@dataclass
class Faults:
    """WSGI middleware in front of wsgidav: records requests and injects faults.

    ``statuses[method]`` is a list of (status, message) answered, in order, to
    that method's next requests for PDFs; ``corrupt_pdf_puts`` flips one byte of
    every PDF body on its way to the store (the server answers 201 all the same);
    ``during_pdf_put(path)`` is called each time the server reads more of a PDF's
    body, so a test can look at the store while an upload is under way.
    """

    app: Callable[..., Any]
    statuses: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    corrupt_pdf_puts: bool = False
    during_pdf_put: Callable[[str], None] | None = None
    log: list[tuple[str, str, str]] = field(default_factory=list)  # method, path, Authorization
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        with self.lock:
            self.log.append((method, path, environ.get("HTTP_AUTHORIZATION", "")))
            queued = self.statuses.get(method) if PDF_PATH.search(path) else None
            injected = queued.pop(0) if queued else None
        if injected:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            if length:
                environ["wsgi.input"].read(length)  # take the body, as a real server would
            status, message = injected
            body = message.encode("utf-8")
            start_response(status, [("Content-Type", "text/plain; charset=utf-8"),
                                    ("Content-Length", str(len(body)))])
            return [body]
        if self.corrupt_pdf_puts and method == "PUT" and PDF_PATH.search(path):
            environ["wsgi.input"] = _FlipOneByte(environ["wsgi.input"], offset=20)
        if self.during_pdf_put and method == "PUT" and PDF_PATH.search(path):
            environ["wsgi.input"] = _Watched(environ["wsgi.input"], lambda: self.during_pdf_put(path))
        return self.app(environ, start_response)

    def count(self, method: str, suffix: str = "") -> int:
        """Requests of *method*; with *suffix* ".pdf", those for PDFs (final or temporary name)."""
        matches = PDF_PATH.search if suffix == ".pdf" else (lambda p: p.endswith(suffix))
        return sum(1 for m, p, _ in self.log if m == method and matches(p))


class _Watched:
    def __init__(self, stream: Any, hook: Callable[[], None]):
        self._stream, self._hook = stream, hook

    def read(self, size: int = -1) -> bytes:
        self._hook()
        return self._stream.read(size)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class _FlipOneByte:
    def __init__(self, stream: Any, offset: int):
        self._stream, self._offset, self._seen = stream, offset, 0

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        start, self._seen = self._seen, self._seen + len(data)
        if start <= self._offset < self._seen:
            flipped = bytearray(data)
            flipped[self._offset - start] ^= 0x01
            data = bytes(flipped)
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@dataclass
class DavServer:
    host: str
    port: int
    root: Path
    faults: Faults

    def url(self, path: str = "/dav/inbox/", scheme: str = "webdav") -> str:
        return f"{scheme}://{self.host}:{self.port}{path}"


@contextmanager
def dav_server(root: Path, *, readonly: bool = False, faults: dict[str, Any] | None = None,
               ) -> Iterator[DavServer]:
    """wsgidav serving *root* at ``/dav/`` (with ``inbox/`` made), basic auth only."""
    from cheroot import wsgi
    from wsgidav.fs_dav_provider import FilesystemProvider
    from wsgidav.wsgidav_app import WsgiDAVApp

    (root / "inbox").mkdir(parents=True, exist_ok=True)
    config = {
        "host": "127.0.0.1", "port": 0,
        "provider_mapping": {"/dav": FilesystemProvider(str(root), readonly=readonly)},
        "http_authenticator": {"domain_controller": None, "accept_basic": True,
                               "accept_digest": False, "default_to_digest": False},
        "simple_dc": {"user_mapping": {"*": {USER: {"password": PASSWORD}}}},
        "verbose": 1,
        "logging": {"enable": False},
        "dir_browser": {"enable": False},
        "lock_storage": True,
        "property_manager": None,
    }
    wrapped = Faults(WsgiDAVApp(config), **(faults or {}))
    server = wsgi.Server(("127.0.0.1", 0), wrapped, numthreads=4)
    server.prepare()
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    try:
        host, port = server.bind_addr[:2]
        yield DavServer(host, port, root, wrapped)
    finally:
        server.stop()
        thread.join(timeout=5)


class DropProxy:
    """A TCP proxy to *upstream* that cuts the first PUT of a PDF after *after*
    bytes of the request have passed: a connection lost mid-upload."""

    def __init__(self, upstream: tuple[str, int], after: int = 65536):
        self.upstream, self.after = upstream, after
        self.dropped = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)  # so the accept loop sees _closing promptly
        self.port = self._listener.getsockname()[1]
        self._closing = False
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> "DropProxy":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._closing = True
        self._thread.join(timeout=5)
        self._listener.close()

    def _accept(self) -> None:
        while not self._closing:
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            server = socket.create_connection(self.upstream)
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, upload: bool) -> None:
        passed, head = 0, b""
        try:
            while chunk := source.recv(16384):
                if upload:
                    head = head or chunk[:300]
                    if (self.dropped == 0 and head.startswith(b"PUT ")
                            and PDF_PATH.search(head.split(b"\r\n", 1)[0].split(b" ")[1].decode())
                            and passed + len(chunk) > self.after):
                        self.dropped += 1
                        sink.sendall(chunk[: self.after - passed])
                        raise ConnectionAbortedError("dropped by the test proxy")
                    passed += len(chunk)
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()


# -- S3 --------------------------------------------------------------------------

@contextmanager
def moto_server() -> Iterator[str]:
    """moto's S3 on 127.0.0.1 (a free port); yields the endpoint URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()
