"""The library's OAuth 1.0a signatures checked by an independent implementation (oauthlib),
through a server that answers with X's real bodies."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import xfollow
from conftest import (
    ALICE,
    ALICE_OAUTH2,
    ALICE_TOKEN,
    BOB,
    BOB_TOKEN,
    BOB_TOKEN_SECRET,
    CAROL,
    CONSUMER_KEY,
    CONSUMER_SECRET,
    alice_client,
)
from support.oauthlib_server import DEFAULT_WORLD
from test_errors import ENROLLMENT_403
from xfollow import FollowState, User

SERVER = Path(__file__).resolve().parent / "support" / "oauthlib_server.py"


def test_every_call_is_signed_correctly(oauthlib_srv):
    base, world = oauthlib_srv
    with alice_client(base) as c:
        assert c.follow(BOB).state is FollowState.FOLLOWING
        r = c.follow(CAROL)
        assert (r.following, r.pending_follow, r.state) == (False, True, FollowState.PENDING)
        assert c.unfollow(BOB).state is FollowState.NOT_FOLLOWING
        assert c.me() == User(ALICE, "alice", "Alice")
        assert c.user_by_username("bob") == User(BOB, "bob", "Bob")
        # An id and a handle that need no escaping, and one with '_' (unreserved).
        assert c.user_by_username("XDevelopers").id == "783214"
    reqs = world.requests
    assert [(r["method"], r["path"]) for r in reqs] == [
        ("POST", f"/2/users/{ALICE}/following"),
        ("POST", f"/2/users/{ALICE}/following"),
        ("DELETE", f"/2/users/{ALICE}/following/{BOB}"),
        ("GET", "/2/users/me"),
        ("GET", "/2/users/by/username/bob"),
        ("GET", "/2/users/by/username/XDevelopers"),
    ]
    for r in reqs:
        assert r["valid"] is True, r
        assert (r["scheme"], r["consumer_key"], r["token"]) == ("OAuth1", CONSUMER_KEY, ALICE_TOKEN)
        assert (r["signature_method"], r["oauth_version"]) == ("HMAC-SHA1", "1.0")
        assert r["user_agent"] == f"xfollow/{xfollow.__version__}"
    # The follow body is JSON with the JSON content type (and therefore unsigned).
    assert json.loads(reqs[0]["body"]) == {"target_user_id": BOB}
    assert reqs[0]["content_type"].split(";")[0] == "application/json"
    # Every request had its own nonce.
    assert len({r["nonce"] for r in reqs}) == len(reqs)


def test_many_signatures_stay_valid(oauthlib_srv):
    """Nonces and timestamps vary; every signature must verify, from two users."""
    base, world = oauthlib_srv
    with alice_client(base) as alice, xfollow.Client.oauth1(
        CONSUMER_KEY, CONSUMER_SECRET, BOB_TOKEN, BOB_TOKEN_SECRET, base_url=base
    ) as bob:
        for _ in range(25):
            alice.follow(BOB)
            bob.unfollow(ALICE)
    assert len(world.requests) == 50
    assert all(r["valid"] for r in world.requests)
    assert {r["token"] for r in world.requests} == {ALICE_TOKEN, BOB_TOKEN}


def test_wrong_secret_is_refused_by_oauthlib(oauthlib_srv):
    base, world = oauthlib_srv
    with alice_client(base, consumer_secret="wrong-consumer-secret") as c:
        with pytest.raises(xfollow.AuthError) as ei:
            c.follow(BOB)
    e = ei.value
    assert (e.code, e.http_status, e.title, e.detail, e.type_uri) == (
        2, 401, "Unauthorized", "Unauthorized", "about:blank")
    assert str(e) == "HTTP 401 Unauthorized"
    assert [r["valid"] for r in world.requests] == [False]


def test_bearer_token(oauthlib_srv):
    base, world = oauthlib_srv
    with xfollow.Client.oauth2(ALICE_OAUTH2, base_url=base) as c:
        assert c.follow(BOB).following is True
    assert [(r["method"], r["path"], r["scheme"], r["valid"]) for r in world.requests] == [
        ("GET", "/2/users/me", "Bearer", True),
        ("POST", f"/2/users/{ALICE}/following", "Bearer", True),
    ]


def test_real_error_body_through_the_independent_server(oauthlib_srv):
    base, world = oauthlib_srv
    world.scripted.append({"status": 403, "body": ENROLLMENT_403})
    with alice_client(base) as c:
        with pytest.raises(xfollow.Forbidden) as ei:
            c.follow(BOB)
    e = ei.value
    assert (e.http_status, e.title, e.problem_type, e.reason) == (
        403, "Client Forbidden", "client-forbidden", "client-not-enrolled")
    assert e.registration_url == ENROLLMENT_403["registration_url"]
    assert world.requests[0]["valid"] is True


def test_server_runs_as_a_script():
    proc = subprocess.Popen([sys.executable, str(SERVER), "--config", str(DEFAULT_WORLD)],
                            stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("listening on http://127.0.0.1:")
        base = line.split()[-1]
        with alice_client(base) as c:
            assert c.follow(BOB).following is True
    finally:
        proc.kill()
        proc.wait()
