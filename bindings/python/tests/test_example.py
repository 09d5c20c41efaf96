"""examples/follow.py against the emulator, with both kinds of credentials and an error."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import ALICE_OAUTH2, ALICE_TOKEN, ALICE_TOKEN_SECRET, BOB, CAROL, CONSUMER_KEY, CONSUMER_SECRET

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "follow.py"
PACKAGE_DIR = EXAMPLE.parents[1]


def _run(emulator, *args, **creds):
    env = {k: v for k, v in os.environ.items() if not k.startswith("X_")}
    env.update(creds, X_API_BASE_URL=emulator.base_url)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PACKAGE_DIR), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, str(EXAMPLE), *args], env=env, capture_output=True, text=True)


OAUTH1 = dict(X_CONSUMER_KEY=CONSUMER_KEY, X_CONSUMER_SECRET=CONSUMER_SECRET,
              X_ACCESS_TOKEN=ALICE_TOKEN, X_ACCESS_TOKEN_SECRET=ALICE_TOKEN_SECRET)


def _lines(r):
    assert r.stderr == ""
    assert r.returncode == 0
    return [re.sub(r"resets at \d{10}$", "resets at T", line) for line in r.stdout.splitlines()]


def test_follow_pending_unfollow_oauth1(emulator):
    assert _lines(_run(emulator, BOB, **OAUTH1)) == [
        f"followed {BOB}: following=True pending_follow=False state=following",
        "rate limit: 49/50 remaining, resets at T",
    ]
    assert _lines(_run(emulator, CAROL, **OAUTH1)) == [
        f"followed {CAROL}: following=False pending_follow=True state=pending",
        "rate limit: 48/50 remaining, resets at T",
    ]
    assert _lines(_run(emulator, "--unfollow", BOB, **OAUTH1)) == [
        f"unfollowed {BOB}: following=False",
        "rate limit: 49/50 remaining, resets at T",
    ]


def test_oauth2_and_an_error(emulator):
    assert _lines(_run(emulator, BOB, X_OAUTH2_ACCESS_TOKEN=ALICE_OAUTH2))[0] == (
        f"followed {BOB}: following=True pending_follow=False state=following")
    r = _run(emulator, "1234", **OAUTH1)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.splitlines() == [
        "error: NotFound (code 4): HTTP 404 Not Found Error: Could not find user with target_user_id: [1234].",
        "  http_status: 404",
        "  title: Not Found Error",
        "  detail: Could not find user with target_user_id: [1234].",
        "  problem_type: resource-not-found",
    ]


def test_usage(emulator):
    r = _run(emulator, **OAUTH1)
    assert (r.returncode, r.stderr.strip()) == (1, "usage: follow.py [--unfollow] TARGET_USER_ID")
