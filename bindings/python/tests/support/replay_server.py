#!/usr/bin/env python3
"""Serves X API exchanges (the fixtures of `<repo>/tests/data/xapi/`, format in the README
there) back to a client.

A request is answered by the first not yet used interaction with the same method and path (host
and query ignored; with `match_path=False`, the method alone); when all of them were used, the
first one is served again. Bodies kept gzip-compressed are sent as they are with
`content-encoding: gzip`, and text bodies gzip-compressed, when the client accepts gzip (or
always, with `--always-gzip`); otherwise they are sent plain. Unknown requests get 404 with a
problem body.

    python replay_server.py [--port 0] [--dir DIR]

prints `listening on http://127.0.0.1:PORT` first. `GET /__requests` lists what was received
(method, path, headers, body).
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import sys
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import urlsplit

try:
    from . import serving
except ImportError:  # run as a script: this folder is on the path
    import serving

# <repo>/tests/data/xapi: this file is <repo>/bindings/python/tests/support/replay_server.py.
DEFAULT_DIR = Path(__file__).resolve().parents[4] / "tests" / "data" / "xapi"

# Headers that describe the transfer, not the answer: recomputed here.
_TRANSFER_HEADERS = {"content-encoding", "content-length", "transfer-encoding", "connection"}


class Interaction:
    def __init__(self, fixture: str, raw: Dict[str, Any]) -> None:
        req, resp = raw["request"], raw["response"]
        self.fixture = fixture
        self.method: str = req["method"].upper()
        self.uri: str = req["uri"]
        self.path: str = urlsplit(self.uri).path
        self.request_body: Optional[str] = req.get("body")
        self.status: int = int(resp["status"])
        self.reason: str = resp.get("reason", "")
        self.headers: List[Tuple[str, str]] = [
            (name, str(value))
            for name, value in (resp.get("headers") or {}).items()
            if name.lower() not in _TRANSFER_HEADERS
        ]
        if "body_gzip_base64" in resp:
            self.gzipped = True
            self.raw_body = base64.b64decode(resp["body_gzip_base64"], validate=True)
        else:
            self.gzipped = False
            self.raw_body = resp["body"].encode("utf-8")

    @property
    def text(self) -> str:
        """The decoded response body."""
        data = gzip.decompress(self.raw_body) if self.gzipped else self.raw_body
        return data.decode("utf-8")

    def header(self, name: str) -> Optional[str]:
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None


def load(directory: Path = DEFAULT_DIR, pattern: str = "*.json") -> List[Interaction]:
    """Every interaction of the fixtures in `directory` whose file name matches `pattern`;
    a pattern that matches nothing is an error, never an empty replay."""
    files = sorted(Path(directory).glob(pattern))
    if not files:
        raise FileNotFoundError(f"no fixture {pattern} in {directory}")
    out: List[Interaction] = []
    for f in files:
        doc = json.loads(f.read_text(encoding="utf-8"))
        out.extend(Interaction(f.name, i) for i in doc["interactions"])
    return out


class Replay:
    def __init__(self, interactions: List[Interaction], always_gzip: bool = False,
                 match_path: bool = True) -> None:
        self.interactions = interactions
        # Send gzip bodies even to a client that did not ask for them (as X may).
        self.always_gzip = always_gzip
        # False: any path gets the method's answer (to see how a client reads an answer).
        self.match_path = match_path
        self.port = 0  # set by the caller once the server is bound (for tests)
        self.used: set = set()
        self.received: List[Dict[str, Any]] = []
        self.lock = threading.Lock()

    def pick(self, method: str, path: str) -> Optional[Interaction]:
        with self.lock:
            matching = [i for i in self.interactions
                        if i.method == method and (i.path == path or not self.match_path)]
            for i in matching:
                if id(i) not in self.used:
                    self.used.add(id(i))
                    return i
            return matching[0] if matching else None


class Handler(serving.Handler):
    server_version = "tsa_b"
    replay: Replay

    def handle_method(self, method: str) -> None:
        body = self.read_body()
        path = urlsplit(self.path).path
        if path == "/__requests":
            with self.replay.lock:
                return self._write(200, [("content-type", "application/json")],
                                   json.dumps({"requests": self.replay.received}).encode())
        with self.replay.lock:
            self.replay.received.append({
                "method": method,
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode("utf-8", "replace"),
            })
        i = self.replay.pick(method, path)
        if i is None:
            return self._write(404, [("content-type", "application/problem+json")], json.dumps(
                {"title": "Not Found Error", "type": "about:blank", "status": 404,
                 "detail": "Not Found"}).encode())
        accepts_gzip = self.replay.always_gzip or "gzip" in (self.headers.get("Accept-Encoding") or "").lower()
        headers = list(i.headers)
        payload = i.raw_body
        if i.gzipped and not accepts_gzip:
            payload = gzip.decompress(payload)
        elif not i.gzipped and accepts_gzip:
            payload = gzip.compress(payload)
        if accepts_gzip:
            headers.append(("content-encoding", "gzip"))
        self._write(i.status, headers, payload, i.reason)

    def _write(self, status: int, headers: List[Tuple[str, str]], payload: bytes, reason: str = "") -> None:
        self.send_response(status, reason or None)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def serve(port: int = 0, directory: Path = DEFAULT_DIR, pattern: str = "*.json",
          always_gzip: bool = False, match_path: bool = True) -> Tuple[ThreadingHTTPServer, Replay]:
    """Starts the server in a background thread; returns (server, replay)."""
    replay = Replay(load(directory, pattern), always_gzip, match_path)
    return serving.start(Handler, port, replay=replay), replay


def main(argv: Optional[List[str]] = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    p.add_argument("--fixture", default="*.json", help="file name or glob in --dir")
    p.add_argument("--always-gzip", action="store_true", help="gzip even when not asked to")
    args = p.parse_args(argv)
    server, _ = serve(args.port, args.dir, args.fixture, args.always_gzip)
    serving.announce_and_wait(server)


if __name__ == "__main__":
    main(sys.argv[1:])
