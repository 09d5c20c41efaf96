"""What the test servers (oauthlib_server.py, replay_server.py) share: a quiet HTTP/1.1
request handler and the ways to run one, in a background thread for the tests or in the
foreground from the command line."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive, Nagle's algorithm off, no access log. GET, POST and DELETE
    go to `handle_method(method)`."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, fmt: str, *args: Any) -> None:  # quiet
        pass

    def handle_method(self, method: str) -> None:
        raise NotImplementedError

    def do_GET(self) -> None:
        self.handle_method("GET")

    def do_POST(self) -> None:
        self.handle_method("POST")

    def do_DELETE(self) -> None:
        self.handle_method("DELETE")

    def read_body(self) -> bytes:
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""


def start(handler: type, port: int, **shared: Any) -> ThreadingHTTPServer:
    """Serves `handler` on 127.0.0.1:`port` (0: any free port) from a daemon thread; `shared`
    (the state every request sees) is set on a subclass of it."""
    bound = type("BoundHandler", (handler,), shared)
    server = ThreadingHTTPServer(("127.0.0.1", port), bound)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


def announce_and_wait(server: ThreadingHTTPServer) -> None:
    """Prints `listening on URL` (the first line a caller reads), then serves until Ctrl-C."""
    print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
