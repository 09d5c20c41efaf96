"""Starts `xfollow-emulator` on a free loopback port and drives its admin API.

The binary is `target/debug/xfollow-emulator` in the repository, or the path in the
`XFOLLOW_EMULATOR` environment variable.
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Optional, Sequence

REPO = Path(__file__).resolve().parents[4]
DEFAULT_BINARY = REPO / "target" / "debug" / "xfollow-emulator"
DEMO_WORLD = REPO / "emulator" / "demo-world.json"


def emulator_binary() -> Path:
    return Path(os.environ.get("XFOLLOW_EMULATOR") or DEFAULT_BINARY)


def read_listening_line(proc: subprocess.Popen, what: str) -> str:
    """Reads the first stdout line, `listening on http://127.0.0.1:PORT`; returns the URL."""
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if isinstance(line, bytes):
        line = line.decode("utf-8", "replace")
    prefix = "listening on "
    if not line.startswith(prefix):
        proc.kill()
        _, err = proc.communicate(timeout=10)
        raise RuntimeError(f"{what} did not start: first line {line!r}, stderr {err!r}")
    # Keep draining stdout so that the server never blocks on a full pipe.
    threading.Thread(target=proc.stdout.read, daemon=True).start()
    return line[len(prefix):].strip()


class Emulator:
    """A running emulator process and its admin API."""

    def __init__(self, args: Sequence[str] = (), binary: Optional[Path] = None) -> None:
        exe = binary or emulator_binary()
        if not exe.exists():
            raise RuntimeError(f"emulator binary {exe} not found: run `make build` first")
        self.proc = subprocess.Popen(
            [str(exe), "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
        )
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        self.base_url = read_listening_line(self.proc, "xfollow-emulator")
        self.port = int(self.base_url.rsplit(":", 1)[1])
        # With --tls, the admin API is reached through the CA the emulator wrote.
        args = list(args)
        self._ssl = (
            ssl.create_default_context(cafile=args[args.index("--ca-out") + 1])
            if "--ca-out" in args else None
        )

    def _drain_stderr(self) -> None:
        assert self.proc.stderr is not None
        for _ in self.proc.stderr:
            pass

    # -- admin API ----------------------------------------------------------------------
    def admin(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            f"{self.base_url}/__emulator/{path}", data=data, method=method
        )
        if data is not None:
            req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=10, context=self._ssl) as resp:
            raw = resp.read()
        return json.loads(raw) if raw.strip() else None

    def state(self) -> Any:
        return self.admin("GET", "state")

    def reset(self) -> None:
        self.admin("POST", "reset", {})

    def advance_clock(self, seconds: int) -> Any:
        return self.admin("POST", "clock", {"advance_seconds": seconds})

    def connections(self) -> int:
        return int(self.admin("GET", "connections")["accepted"])

    def fault(self, route: str, kind: str, count: int = 1, **extra: Any) -> Any:
        return self.admin("POST", "faults", {"route": route, "kind": kind, "count": count, **extra})

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)

    def __enter__(self) -> "Emulator":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def write_world(path: Path, **limits: int) -> Path:
    """Writes the demo world with some limits changed (for example for a benchmark)."""
    world = json.loads(DEMO_WORLD.read_text())
    world["limits"].update(limits)
    path.write_text(json.dumps(world))
    return path


def http_json(method: str, url: str, body: Any = None, headers: Optional[dict] = None):
    """A small urllib helper: returns (status, headers, parsed JSON or raw text)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            status, hdrs, raw = resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as e:
        status, hdrs, raw = e.code, dict(e.headers), e.read()
    try:
        return status, hdrs, json.loads(raw)
    except ValueError:
        return status, hdrs, raw.decode("utf-8", "replace")
