#!/usr/bin/env python3
"""Drives the login examples end to end against the emulator, playing the user's browser.

    login_check.py [--wrap "valgrind ..."] LOGIN_PKCE LOGIN_PIN

LOGIN_PKCE prints the authorize URL and waits on its loopback redirect receiver: this script
fetches the URL (the emulator approves at once and answers 302) and delivers the redirect to
the receiver, then checks that the example exchanged the code and followed. LOGIN_PIN prints
the authorize URL and asks for the PIN: this script reads the PIN from the emulator's page and
types it on the example's stdin. Each example gets its own emulator; the follow is checked in
the emulator's state. The Python examples' tests use the same functions.
"""

from __future__ import annotations

import http.client
import json
import re
import shlex
import socket
import subprocess
import sys
import tempfile
import threading
import urllib.parse
from pathlib import Path
from typing import List, Optional, Sequence

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "bindings" / "python" / "tests"))

from support.emulator import DEMO_WORLD, Emulator  # noqa: E402

ALICE = "1500000000000000001"
BOB = "1500000000000000002"
ERIN = "1500000000000000005"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def browse(url: str):
    """GET `url` as a browser would, without following a redirect: (status, headers, body)."""
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=20)
    conn.request("GET", u.path + ("?" + u.query if u.query else ""))
    r = conn.getresponse()
    body = r.read().decode("utf-8", "replace")
    headers = {k.lower(): v for k, v in r.getheaders()}
    conn.close()
    return r.status, headers, body


def emulator_with_redirect(redirect: str, tmp: Path) -> Emulator:
    world = json.loads(DEMO_WORLD.read_text())
    for app in world["apps"]:
        app["redirect_uris"].append(redirect)
    path = tmp / "world.json"
    path.write_text(json.dumps(world))
    return Emulator(["--config", str(path)])


def _read_url(proc: subprocess.Popen, transcript: List[str]) -> str:
    assert proc.stdout is not None
    while True:
        line = proc.stdout.readline()
        if not line:
            raise AssertionError("the example ended before printing the authorize URL:\n"
                                 + "".join(transcript))
        transcript.append(line)
        if line.startswith("http://") or line.startswith("https://"):
            return line.strip()


def _start(cmd: Sequence[str], env: dict, stdin: Optional[int]):
    """Starts an example: (process, the stdout lines read so far, its stderr once read)."""
    proc = subprocess.Popen(cmd, env=env, stdin=stdin, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    err: List[str] = []
    threading.Thread(target=lambda: err.append(proc.stderr.read()), daemon=True).start()
    return proc, [], err


def _finish(proc: subprocess.Popen, transcript: List[str], err: List[str]) -> str:
    """The example's whole stdout, once it ended with status 0."""
    transcript.append(_rest(proc))
    stdout = "".join(transcript)
    assert proc.returncode == 0, (proc.returncode, stdout, err)
    return stdout


def _rest(proc: subprocess.Popen) -> str:
    """The rest of the example's stdout (through the same buffered reader), once it ended."""
    assert proc.stdout is not None
    timer = threading.Timer(120, proc.kill)
    timer.start()
    try:
        out = proc.stdout.read()
        proc.wait()
    finally:
        timer.cancel()
    return out


def check_pkce(cmd: Sequence[str], env: dict) -> str:
    """Runs a PKCE login example; returns its stdout."""
    port = free_port()
    redirect = f"http://127.0.0.1:{port}/callback"
    with tempfile.TemporaryDirectory() as d, emulator_with_redirect(redirect, Path(d)) as emu:
        store = Path(d) / "tokens.json"
        run_env = dict(env, X_API_BASE_URL=emu.base_url, X_CLIENT_ID="demo-client-id",
                       X_REDIRECT_URI=redirect, X_TOKEN_STORE=str(store))
        proc, transcript, err = _start([*cmd, ERIN], run_env, subprocess.DEVNULL)
        url = _read_url(proc, transcript)
        prefix = f"{emu.base_url}/i/oauth2/authorize?response_type=code&client_id=demo-client-id&"
        assert url.startswith(prefix), url
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
        assert q["redirect_uri"] == redirect and q["code_challenge_method"] == "S256", q
        assert q["scope"] == "tweet.read users.read follows.write offline.access", q
        status, headers, _ = browse(url)
        assert status == 302, status
        location = headers["location"]
        assert location.startswith(redirect + "?"), location
        status, _, page = browse(location)
        assert status == 200, (status, page)
        stdout = _finish(proc, transcript, err)
        assert re.search(r'^logged in: scopes "tweet\.read users\.read follows\.write offline\.access",'
                         r" access token expires at \d{10}$", stdout, re.M), stdout
        assert f"followed {ERIN}: following=true pending_follow=false" in stdout.lower(), stdout
        state = emu.state()
        assert {"source": ALICE, "target": ERIN} in state["follows"], state["follows"]
        # The token store was not needed yet (no refresh) and so was not written.
        return stdout


def check_pin(cmd: Sequence[str], env: dict) -> str:
    """Runs a PIN login example; returns its stdout."""
    with Emulator() as emu:
        run_env = dict(env, X_API_BASE_URL=emu.base_url, X_CONSUMER_KEY="demo-consumer-key",
                       X_CONSUMER_SECRET="demo-consumer-secret")
        proc, transcript, err = _start([*cmd, BOB], run_env, subprocess.PIPE)
        url = _read_url(proc, transcript)
        assert url.startswith(f"{emu.base_url}/oauth/authorize?oauth_token="), url
        status, headers, page = browse(url + "&as_user=erin")
        assert status == 200, (status, page)
        m = re.search(r'<code id="pin">(\d+)</code>', page)
        assert m and headers.get("x-oauth-verifier") == m.group(1), page
        assert proc.stdin is not None
        proc.stdin.write(m.group(1) + "\n")
        proc.stdin.close()
        stdout = _finish(proc, transcript, err)
        assert "PIN: " in stdout, stdout
        assert f"logged in as @erin ({ERIN})" in stdout, stdout
        assert f"followed {BOB}: following=true pending_follow=false" in stdout.lower(), stdout
        state = emu.state()
        assert {"source": ERIN, "target": BOB} in state["follows"], state["follows"]
        return stdout


def main(argv: Optional[List[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    wrap: List[str] = []
    if args[:1] == ["--wrap"]:
        wrap = shlex.split(args[1])
        args = args[2:]
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    import os
    env = {k: v for k, v in os.environ.items() if not k.startswith("X_")}
    check_pkce([*wrap, args[0]], env)
    print(f"login_check: {args[0]}: PKCE login, redirect and follow OK")
    check_pin([*wrap, args[1]], env)
    print(f"login_check: {args[1]}: PIN login and follow OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
