"""Starts the xfollow-emulator binary for the third-party client tests."""
import json
import os
import pathlib
import subprocess

import pytest
import requests

REPO = pathlib.Path(__file__).resolve().parents[3]


def emulator_binary():
    path = os.environ.get("XFOLLOW_EMULATOR") or str(REPO / "target" / "debug" / "xfollow-emulator")
    if not os.path.exists(path):
        pytest.fail(f"emulator binary not found at {path}: run `cargo build -p xfollow-emulator`")
    return path


class Emulator:
    def __init__(self, config=None, tmp_path=None, args=()):
        cmd = [emulator_binary(), "--port", "0", *args]
        if config is not None:
            cfg = tmp_path / "world.json"
            cfg.write_text(json.dumps(config))
            cmd += ["--config", str(cfg)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip()
        assert line.startswith("listening on http://127.0.0.1:"), line
        self.base = line[len("listening on "):]

    def url(self, path):
        return self.base + path

    def admin(self, method, path, body=None):
        # The admin API refuses POSTs that are not typed JSON, even without a body.
        headers = {"Content-Type": "application/json"} if method == "POST" else {}
        r = requests.request(method, self.url("/__emulator/" + path), json=body, headers=headers,
                             timeout=10)
        assert r.status_code == 200, r.text
        return r.json()

    def stop(self):
        self.proc.kill()
        self.proc.wait()


# A world written from the schema in emulator/README.md, as a new user would.
WORLD = {
    "apps": [{"id": "acme", "consumer_key": "acme-key", "consumer_secret": "acme-secret",
              "client_id": "acme-client", "client_secret": None,
              "redirect_uris": ["http://127.0.0.1:8765/callback"]}],
    "users": [
        {"id": "100", "username": "ann", "name": "Ann", "protected": False, "suspended": False},
        {"id": "200", "username": "ben", "name": "Ben", "protected": False, "suspended": False},
        {"id": "300", "username": "cat", "name": "Cat", "protected": True, "suspended": False},
        {"id": "400", "username": "dan", "name": "Dan", "protected": False, "suspended": True},
        {"id": "500", "username": "eve", "name": "Eve", "protected": False, "suspended": False},
        {"id": "600", "username": "fay", "name": "Fay", "protected": False, "suspended": False},
    ],
    "oauth1_tokens": [{"app": "acme", "token": "100-anntoken", "secret": "ann-secret", "user_id": "100"}],
    "oauth2_tokens": [{"app": "acme", "access_token": "ann-oauth2", "user_id": "100",
                       "scopes": ["tweet.read", "users.read", "follows.read", "follows.write"],
                       "expires_in": 7200}],
    "app_only_tokens": [{"app": "acme", "bearer": "acme-app-bearer"}],
    "limits": {"follow_per_15min": 4, "unfollow_per_15min": 50, "me_per_15min": 75,
               "follows_per_user_day": 6, "follows_per_app_day": 1000,
               "unfollows_per_app_day": 500},
}


@pytest.fixture
def emu(tmp_path):
    e = Emulator(WORLD, tmp_path)
    yield e
    e.stop()


@pytest.fixture
def demo():
    e = Emulator()
    yield e
    e.stop()
