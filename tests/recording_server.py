"""A local HTTP server that records every request: the witness that nothing was fetched."""

from __future__ import annotations

import http.server
import threading
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def recording_http_server() -> Iterator[tuple[str, list[str]]]:
    """Yield (base URL on 127.0.0.1, the list of "METHOD path" it received)."""
    requests: list[str] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def _record(self) -> None:
            requests.append(f"{self.command} {self.path}")
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"body { color: red }")

        do_GET = do_POST = do_HEAD = _record

        def log_message(self, *args) -> None:
            pass

    with serving(Recorder) as url:
        yield url, requests


@contextmanager
def serving(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve *handler* on 127.0.0.1 (a free port) in a thread; yield the base URL."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
