"""Fixtures: the emulator (one process per test session, reset before every test), the
oauthlib server, and the demo world's credentials.

The emulator binary is `target/debug/xfollow-emulator` (`make build`), or `XFOLLOW_EMULATOR`.
The library is the installed package's, or `XFOLLOW_LIBRARY` (`make test-python` points it at
`target/debug/libxfollow.so`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import oauthlib_server  # noqa: E402
from support.emulator import Emulator  # noqa: E402

# The demo world (emulator/demo-world.json).
CONSUMER_KEY = "demo-consumer-key"
CONSUMER_SECRET = "demo-consumer-secret"
ALICE = "1500000000000000001"
BOB = "1500000000000000002"
CAROL = "1500000000000000003"  # protected
DAVE = "1500000000000000004"  # suspended
ERIN = "1500000000000000005"
XDEVELOPERS = "783214"
ALICE_TOKEN = "1500000000000000001-aliceDemoAccessToken"
ALICE_TOKEN_SECRET = "alice-demo-token-secret"
BOB_TOKEN = "1500000000000000002-bobDemoAccessToken"
BOB_TOKEN_SECRET = "bob-demo-token-secret"
ALICE_OAUTH2 = "alice-demo-oauth2-token"
BOB_OAUTH2_READONLY = "bob-demo-oauth2-readonly"


def alice_client(base_url: str, consumer_secret: str = CONSUMER_SECRET, *, auth: str = "oauth1",
                 **kw):
    """Alice's client of the demo app on base_url: OAuth 1.0a, or with auth="oauth2" her
    OAuth 2.0 token."""
    import xfollow

    if auth == "oauth2":
        return xfollow.Client.oauth2(ALICE_OAUTH2, base_url=base_url, **kw)
    return xfollow.Client.oauth1(
        CONSUMER_KEY, consumer_secret, ALICE_TOKEN, ALICE_TOKEN_SECRET, base_url=base_url, **kw
    )


def unknown_username_error(client, username: str):
    """The NotFound that looking up `username` (no account has it) raises: X answers 200
    with a resource-not-found entry in `errors`. Checks what that answer always carries and
    returns the error for the caller's own checks."""
    import xfollow

    with pytest.raises(xfollow.NotFound) as ei:
        client.user_by_username(username)
    e = ei.value
    message = f"Could not find user with username: [{username}]."
    assert (e.code, e.http_status) == (4, 200)
    assert (e.title, e.problem_type) == ("Not Found Error", "resource-not-found")
    assert e.type_uri == "https://api.twitter.com/2/problems/resource-not-found"
    assert e.detail == message
    assert e.errors == (xfollow.ApiErrorEntry(None, message),)
    return e


@pytest.fixture(scope="session")
def emulator_process() -> Iterator[Emulator]:
    emu = Emulator()
    try:
        yield emu
    finally:
        emu.close()


@pytest.fixture
def emulator(emulator_process: Emulator) -> Emulator:
    """The session's emulator, reset to the demo world (follows, counters, faults, clock)."""
    emulator_process.reset()
    return emulator_process


@pytest.fixture
def oauthlib_srv() -> Iterator[tuple]:
    """(base_url, world) of a fresh oauthlib-verifying server."""
    server, world = oauthlib_server.serve()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", world
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def alice_oauth1(emulator: Emulator):
    with alice_client(emulator.base_url) as client:
        yield client


@pytest.fixture
def alice_oauth2(emulator: Emulator):
    import xfollow

    with xfollow.Client.oauth2(ALICE_OAUTH2, base_url=emulator.base_url) as client:
        yield client
