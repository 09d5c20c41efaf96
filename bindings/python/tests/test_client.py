"""Follow, pending follow, unfollow, me and by-username against the emulator, with OAuth 1.0a
and OAuth 2.0; the client's lifetime; one client shared by 8 threads."""

from __future__ import annotations

import gc
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import xfollow
from conftest import (
    ALICE,
    ALICE_OAUTH2,
    BOB,
    CAROL,
    ERIN,
    XDEVELOPERS,
    alice_client,
)
from support.emulator import DEMO_WORLD, Emulator
from xfollow import FollowResult, FollowState, RateLimitWindow, UnfollowResult, User


def _now(emulator: Emulator) -> int:
    return int(emulator.state()["now"])


def _follows(emulator: Emulator) -> set:
    return {(f["source"], f["target"]) for f in emulator.state()["follows"]}


def _pending(emulator: Emulator) -> set:
    return {(f["source"], f["target"]) for f in emulator.state()["pending"]}


@pytest.fixture(params=["oauth1", "oauth2"])
def alice(request, emulator):
    with alice_client(emulator.base_url, auth=request.param) as client:
        yield client


def test_follow_unfollow_and_rate_limits(alice, emulator):
    t0 = _now(emulator)
    r = alice.follow(BOB)
    t1 = _now(emulator)
    assert type(r) is FollowResult
    assert (r.following, r.pending_follow, r.state) == (True, False, FollowState.FOLLOWING)
    assert r.errors == ()
    ep, user, app = r.rate_limit.endpoint, r.rate_limit.user_24h, r.rate_limit.app_24h
    assert (ep.limit, ep.remaining) == (50, 49)
    assert t0 + 900 <= ep.reset <= t1 + 900
    assert (user.limit, user.remaining) == (400, 399)
    assert (app.limit, app.remaining) == (1000, 999)
    assert t0 + 86400 <= user.reset <= t1 + 86400
    assert (ALICE, BOB) in _follows(emulator)

    # Following again "succeeds with no action"; the request still counts in the window.
    again = alice.follow(BOB)
    assert (again.following, again.pending_follow, again.state) == (True, False, FollowState.FOLLOWING)
    assert again.rate_limit.endpoint.remaining == 48

    u = alice.unfollow(BOB)
    assert type(u) is UnfollowResult
    assert (u.following, u.state) == (False, FollowState.NOT_FOLLOWING)
    assert (u.rate_limit.endpoint.limit, u.rate_limit.endpoint.remaining) == (50, 49)
    assert (u.rate_limit.app_24h.limit, u.rate_limit.app_24h.remaining) == (500, 499)
    assert (ALICE, BOB) not in _follows(emulator)
    # Unfollowing someone not followed also succeeds with no action.
    assert alice.unfollow(BOB).following is False
    counters = emulator.state()["counters"]["users"][ALICE]
    assert (counters["follow_requests"], counters["unfollow_requests"]) == (2, 2)


def test_pending_follow_of_a_protected_account(alice, emulator):
    r = alice.follow(CAROL)
    assert (r.following, r.pending_follow, r.state) == (False, True, FollowState.PENDING)
    assert _pending(emulator) == {(ALICE, CAROL)}
    assert (ALICE, CAROL) not in _follows(emulator)
    u = alice.unfollow(CAROL)
    assert (u.following, u.state) == (False, FollowState.NOT_FOLLOWING)
    assert _pending(emulator) == set()


def test_explicit_source_and_int_ids(alice, emulator):
    r = alice.follow(int(ERIN), source_user_id=int(ALICE))
    assert r.state is FollowState.FOLLOWING
    assert (ALICE, ERIN) in _follows(emulator)
    assert alice.unfollow(ERIN, source_user_id=ALICE).state is FollowState.NOT_FOLLOWING
    assert (ALICE, ERIN) not in _follows(emulator)


def test_user_objects_as_ids(alice, emulator):
    bob = alice.user_by_username("bob")
    assert alice.follow(bob, source_user_id=alice.me()).state is FollowState.FOLLOWING
    assert (ALICE, BOB) in _follows(emulator)
    assert alice.unfollow(bob).state is FollowState.NOT_FOLLOWING
    assert (ALICE, BOB) not in _follows(emulator)


def test_me_and_user_by_username(alice, emulator):
    me = alice.me()
    assert me == User(id=ALICE, username="alice", name="Alice")
    assert (me.rate_limit.endpoint.limit, me.rate_limit.endpoint.remaining) in {(75, 74), (75, 73)}
    assert alice.user_by_username("bob") == User(id=BOB, username="bob", name="Bob")
    dev = alice.user_by_username("XDevelopers")
    assert (dev.id, dev.username, dev.name) == (XDEVELOPERS, "XDevelopers", "Developers")
    assert dev.rate_limit.endpoint.limit == 900
    assert alice.own_user_id() == ALICE


def test_oauth2_client_reads_its_user_id_once(emulator):
    with xfollow.Client.oauth2(ALICE_OAUTH2, base_url=emulator.base_url) as c:
        c.follow(BOB)
        c.unfollow(BOB)
        c.follow(ERIN)
        me = c.me()
    # One GET /2/users/me to learn the source id, then the explicit me() call.
    assert me.rate_limit.endpoint == RateLimitWindow(75, 73, me.rate_limit.endpoint.reset)


def test_one_connection_is_reused(emulator):
    before = emulator.connections()
    with alice_client(emulator.base_url) as c:
        for _ in range(10):
            c.follow(BOB)
            c.unfollow(BOB)
    # One connection for the 20 calls, one for this admin request (urllib does not reuse).
    assert emulator.connections() - before == 2


def test_close_context_manager_and_finalizer(emulator):
    c = alice_client(emulator.base_url)
    with c as same:
        assert same is c
        assert not c.closed
    assert c.closed
    assert not c._finalizer.alive
    with pytest.raises(ValueError, match="closed xfollow.Client"):
        c.follow(BOB)
    c.close()  # idempotent

    d = xfollow.Client.oauth2(ALICE_OAUTH2, base_url=emulator.base_url)
    finalizer = d._finalizer
    assert finalizer.alive
    del d
    gc.collect()
    assert not finalizer.alive


@pytest.fixture(scope="module")
def crowd(tmp_path_factory):
    """An emulator whose world has 160 more users and limits high enough for them all."""
    world = json.loads(DEMO_WORLD.read_text())
    extra = [str(1600000000000000000 + i) for i in range(160)]
    world["users"] += [
        {"id": i, "username": f"crowd{n}", "name": f"Crowd {n}", "protected": False, "suspended": False}
        for n, i in enumerate(extra)
    ]
    world["limits"].update(follow_per_15min=10000, follows_per_user_day=10000, follows_per_app_day=10000)
    path = Path(tmp_path_factory.mktemp("crowd")) / "world.json"
    path.write_text(json.dumps(world))
    with Emulator(["--config", str(path)]) as emu:
        yield emu, extra


def test_eight_threads_share_one_client(crowd):
    emu, targets = crowd
    emu.reset()
    before = {(f["source"], f["target"]) for f in emu.state()["follows"]}
    client = alice_client(emu.base_url)
    seen_threads = set()

    def follow(target):
        seen_threads.add(threading.get_ident())
        return target, client.follow(target)

    with client, ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(follow, targets))
    assert len(seen_threads) == 8
    assert [t for t, _ in results] == targets
    assert all(r.state is FollowState.FOLLOWING for _, r in results)
    # The endpoint window counted each request once: remaining values are a permutation.
    assert sorted(r.rate_limit.endpoint.remaining for _, r in results) == list(range(10000 - 160, 10000))
    state = emu.state()
    after = {(f["source"], f["target"]) for f in state["follows"]}
    assert after - before == {(ALICE, t) for t in targets}
    assert state["counters"]["users"][ALICE]["follow_requests"] == 160
    assert state["counters"]["apps"]["demo"]["follow_requests"] == 160


def test_calls_release_the_gil(emulator):
    """While one thread waits inside a foreign call (the emulator delays its answer by 2 s),
    the other thread runs Python and even a second call on the same client."""
    emulator.fault("POST /2/users/*/following", "delay", delay_ms=2000)
    with alice_client(emulator.base_url) as c:
        results = []
        slow = threading.Thread(target=lambda: results.append(c.follow(BOB)))
        slow.start()
        # If the follow held the GIL, this thread could not run again before it returned.
        threading.Event().wait(0.3)
        assert slow.is_alive() and results == []
        assert c.me().id == ALICE
        assert slow.is_alive() and results == []
        slow.join()
    assert results[0].state is FollowState.FOLLOWING
