#!/usr/bin/env python3
"""An independent stand-in for the X API follows endpoints, for checking signatures.

Every OAuth 1.0a request is verified by `oauthlib` (its `SignatureOnlyEndpoint`, a third-party
RFC 5849 implementation that shares nothing with libxfollow or the emulator); OAuth 2.0 bearer
tokens are looked up. Answers use X's real bodies (as in tests/data/xapi). Everything it verified is
recorded and served at `GET /__verified`.

    python oauthlib_server.py [--port 0] [--config WORLD.json]

prints `listening on http://127.0.0.1:PORT` as its first line. The world file has the
emulator's schema (apps, users, oauth1_tokens, oauth2_tokens); the default is the emulator's
demo world.

Test hooks (no auth):
  GET  /__verified   {"requests": [...]} every API request seen, with the verdict
  POST /__reset      forget requests, follows and scripted answers
  POST /__respond    {"status": 403, "body": {...}, "headers": {...}, "count": 1}: the next
                     `count` API requests that pass authentication get this answer instead
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import urlsplit

from oauthlib.oauth1 import RequestValidator, SignatureOnlyEndpoint

try:
    from . import serving
except ImportError:  # run as a script: this folder is on the path
    import serving

DEFAULT_WORLD = Path(__file__).resolve().parents[4] / "emulator" / "demo-world.json"

# X's real bodies (as in tests/data/xapi).
UNAUTHORIZED = {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}
FORBIDDEN = {"title": "Forbidden", "type": "about:blank", "status": 403, "detail": "Forbidden"}
JSON_BODY_REQUIRED = {
    "errors": [{"message": "Requests with bodies must have content-type of application/json."}],
    "title": "Invalid Request",
    "detail": "One or more parameters to your request was invalid.",
    "type": "https://api.twitter.com/2/problems/invalid-request",
}


class _Validator(RequestValidator):
    """Credentials from the world file; nonces are single-use per (key, timestamp)."""

    # The demo world's keys and tokens are not 20-30 characters long, and its tokens contain
    # '-': accept what X accepts.
    safe_characters = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
    client_key_length = (1, 128)
    access_token_length = (1, 256)
    nonce_length = (8, 128)
    enforce_ssl = False

    def __init__(self, world: Dict[str, Any]) -> None:
        super().__init__()
        self.apps = {a["consumer_key"]: a for a in world.get("apps", [])}
        self.tokens = {t["token"]: t for t in world.get("oauth1_tokens", [])}
        self._nonces: set = set()
        self._lock = threading.Lock()

    @property
    def dummy_client(self) -> str:
        return "dummy-client"

    @property
    def dummy_access_token(self) -> str:
        return "dummy-access-token"

    def validate_client_key(self, client_key: str, request: Any) -> bool:
        return client_key in self.apps

    def get_client_secret(self, client_key: str, request: Any) -> str:
        app = self.apps.get(client_key)
        return app["consumer_secret"] if app else "dummy-secret"

    def validate_access_token(self, client_key: str, token: str, request: Any) -> bool:
        t = self.tokens.get(token)
        return bool(t) and self.apps.get(client_key, {}).get("id") == t["app"]

    def get_access_token_secret(self, client_key: str, token: str, request: Any) -> str:
        t = self.tokens.get(token)
        return t["secret"] if t else "dummy-token-secret"

    def validate_timestamp_and_nonce(self, client_key, timestamp, nonce, request, request_token=None, access_token=None) -> bool:  # noqa: E501
        key = (client_key, timestamp, nonce, request_token or access_token)
        with self._lock:
            if key in self._nonces:
                return False
            self._nonces.add(key)
        return True


class World:
    """The users, credentials, follows and the record of what was verified."""

    def __init__(self, world: Dict[str, Any]) -> None:
        self.validator = _Validator(world)
        self.endpoint = SignatureOnlyEndpoint(self.validator)
        self.users = {u["id"]: u for u in world.get("users", [])}
        self.bearers = {t["access_token"]: t for t in world.get("oauth2_tokens", [])}
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with getattr(self, "lock", threading.Lock()):
            self.requests: List[Dict[str, Any]] = []
            self.follows: set = set()
            self.pending: set = set()
            self.scripted: List[Dict[str, Any]] = []

    def user_by_name(self, name: str) -> Optional[Dict[str, Any]]:
        for u in self.users.values():
            if u["username"].lower() == name.lower():
                return u
        return None


def _user_json(u: Dict[str, Any]) -> Dict[str, str]:
    return {"id": u["id"], "name": u["name"], "username": u["username"]}


class Handler(serving.Handler):
    server_version = "oauthlib-check/1"
    world: World  # set on the class by serve()

    # -- plumbing -------------------------------------------------------------------------
    def _send(self, status: int, body: Any, content_type: str = "application/json; charset=utf-8",
              headers: Optional[Dict[str, str]] = None) -> None:
        raw = json.dumps(body, separators=(",", ":")).encode() if not isinstance(body, bytes) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(raw)))
        reset = str(int(time.time()) + 900)
        for name, value in (("x-rate-limit-limit", "50"), ("x-rate-limit-remaining", "49"),
                            ("x-rate-limit-reset", reset)):
            self.send_header(name, value)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(raw)

    def _problem(self, status: int, body: Dict[str, Any]) -> None:
        self._send(status, body, "application/problem+json")

    def do_PUT(self) -> None:
        self.handle_method("PUT")

    # -- requests ------------------------------------------------------------------------
    def handle_method(self, method: str) -> None:
        body = self.read_body()
        path = urlsplit(self.path).path
        w = self.world
        if path == "/__verified" and method == "GET":
            with w.lock:
                return self._send(200, {"requests": list(w.requests)})
        if path == "/__reset" and method == "POST":
            w.reset()
            return self._send(200, {})
        if path == "/__respond" and method == "POST":
            spec = json.loads(body or b"{}")
            with w.lock:
                w.scripted.extend([spec] * int(spec.get("count", 1)))
            return self._send(200, {})

        user_id, record = self._authenticate(method, body)
        with w.lock:
            w.requests.append(record)
        if user_id is None:
            return self._problem(401, UNAUTHORIZED)
        with w.lock:
            scripted = w.scripted.pop(0) if w.scripted else None
        if scripted is not None:
            ctype = scripted.get("content_type", "application/problem+json")
            return self._send(int(scripted["status"]), scripted["body"], ctype, scripted.get("headers"))
        self._route(method, path, body, record, user_id)

    def _authenticate(self, method: str, body: bytes) -> Tuple[Optional[str], Dict[str, Any]]:
        """Verifies the request; returns (authenticated user id or None, record)."""
        auth = self.headers.get("Authorization", "")
        host = self.headers.get("Host", "")
        uri = f"http://{host}{self.path}"
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        record: Dict[str, Any] = {
            "method": method,
            "path": self.path,
            "content_type": self.headers.get("Content-Type"),
            "body": body.decode("utf-8", "replace"),
            "user_agent": self.headers.get("User-Agent"),
            "scheme": None,
            "valid": False,
        }
        w = self.world
        if auth.startswith("OAuth "):
            record["scheme"] = "OAuth1"
            # RFC 5849 3.4.1.3.1: only form-encoded bodies are signed.
            signed_body = body.decode("utf-8") if ctype == "application/x-www-form-urlencoded" else None
            headers = {"Authorization": auth}
            if signed_body is not None:
                headers["Content-Type"] = ctype
            try:
                valid, req = w.endpoint.validate_request(uri, method, signed_body, headers)
            except Exception as e:  # oauthlib raises on malformed input
                record["error"] = f"{type(e).__name__}: {e}"
                return None, record
            if req is not None:
                record.update(
                    consumer_key=req.client_key,
                    token=req.resource_owner_key,
                    signature_method=req.signature_method,
                    oauth_version=dict(req.oauth_params).get("oauth_version"),
                    timestamp=req.timestamp,
                    nonce=req.nonce,
                )
            token = w.validator.tokens.get(req.resource_owner_key) if req is not None else None
            if not valid or token is None or not w.validator.validate_access_token(req.client_key, req.resource_owner_key, req):
                return None, record
            record["valid"] = True
            record["user_id"] = token["user_id"]
            return token["user_id"], record
        if auth.startswith("Bearer "):
            record["scheme"] = "Bearer"
            t = w.bearers.get(auth[len("Bearer "):])
            if t is None:
                return None, record
            record["valid"] = True
            record["user_id"] = t["user_id"]
            return t["user_id"], record
        return None, record

    def _route(self, method: str, path: str, body: bytes, record: Dict[str, Any], me: str) -> None:
        w = self.world
        m = re.fullmatch(r"/2/users/([^/]+)/following", path)
        if m and method == "POST":
            ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if ctype != "application/json":
                return self._problem(400, JSON_BODY_REQUIRED)
            if m.group(1) != me:
                return self._problem(403, FORBIDDEN)
            target = str(json.loads(body or b"{}").get("target_user_id", ""))
            user = w.users.get(target)
            if user is None:
                return self._problem(400, _invalid_id("target_user_id", target))
            with w.lock:
                if user.get("protected"):
                    w.pending.add((me, target))
                    return self._send(200, {"data": {"following": False, "pending_follow": True}})
                w.follows.add((me, target))
            return self._send(200, {"data": {"following": True, "pending_follow": False}})
        m = re.fullmatch(r"/2/users/([^/]+)/following/([^/]+)", path)
        if m and method == "DELETE":
            if m.group(1) != me:
                return self._problem(403, FORBIDDEN)
            with w.lock:
                w.follows.discard((me, m.group(2)))
                w.pending.discard((me, m.group(2)))
            return self._send(200, {"data": {"following": False}})
        if path == "/2/users/me" and method == "GET":
            return self._send(200, {"data": _user_json(w.users[me])})
        m = re.fullmatch(r"/2/users/by/username/([^/]+)", path)
        if m and method == "GET":
            user = w.user_by_name(m.group(1))
            if user is None:
                name = m.group(1)
                return self._send(200, {"errors": [{
                    "value": name,
                    "detail": f"Could not find user with username: [{name}].",
                    "title": "Not Found Error",
                    "resource_type": "user",
                    "parameter": "username",
                    "resource_id": name,
                    "type": "https://api.twitter.com/2/problems/resource-not-found",
                }]})
            return self._send(200, {"data": _user_json(user)})
        self._problem(404, {"title": "Not Found Error", "type": "about:blank", "status": 404,
                            "detail": "Not Found"})


def _invalid_id(name: str, value: str) -> Dict[str, Any]:
    return {
        "errors": [{"parameters": {name: [value]},
                    "message": f"The {name} query parameter value [{value}] is not valid"}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    }


def serve(port: int = 0, world_file: Path = DEFAULT_WORLD) -> Tuple[ThreadingHTTPServer, World]:
    """Starts the server in a background thread; returns (server, world)."""
    world = World(json.loads(Path(world_file).read_text()))
    return serving.start(Handler, port, world=world), world


def main(argv: Optional[List[str]] = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--config", type=Path, default=DEFAULT_WORLD)
    args = p.parse_args(argv)
    server, _ = serve(args.port, args.config)
    serving.announce_and_wait(server)


if __name__ == "__main__":
    main(sys.argv[1:])
