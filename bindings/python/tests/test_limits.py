"""X's limits from Python: quota=, quota_limits=, retry= on both constructors, quota_status(),
QuotaExhausted, rate_limits(), the on-retry callback and cancel(), against the emulator."""

from __future__ import annotations

import threading
import time

import pytest

import xfollow
from conftest import (
    ALICE,
    ALICE_OAUTH2,
    BOB,
    BOB_TOKEN,
    BOB_TOKEN_SECRET,
    CONSUMER_KEY,
    CONSUMER_SECRET,
    ERIN,
    XDEVELOPERS,
    alice_client,
)

FOLLOW = "POST /2/users/*/following"


def alice(emulator, **kw):
    return alice_client(emulator.base_url, **kw)


def counter(emulator, user, name="follow_requests"):
    return emulator.state()["counters"]["users"][user][name]


def quick(seen=None, **kw):
    def record(attempt, reason, delay):
        seen.append((attempt, reason, delay))

    return xfollow.RetryPolicy(base_delay=0.002, max_delay=0.004, jitter=False,
                               on_retry=record if seen is not None else None, **kw)


def test_defaults_are_the_documented_ones():
    p = xfollow.RetryPolicy()
    assert (p.max_attempts, p.base_delay, p.max_delay, p.max_rate_limit_wait, p.jitter) == (
        3, 0.5, 8.0, 60.0, True)
    assert xfollow.RetryPolicy.never().max_attempts == 1
    q = xfollow.QuotaLimits()
    assert (q.follows_per_user, q.follows_per_app, q.unfollows_per_app) == (400, 1000, 500)
    assert issubclass(xfollow.QuotaExhausted, xfollow.XError)


def test_caps_are_exact_and_a_refusal_sends_nothing(emulator, tmp_path):
    limits = xfollow.QuotaLimits(follows_per_user=2, follows_per_app=3, unfollows_per_app=500)
    store = f"sqlite:{tmp_path / 'quota.db'}"
    with alice(emulator, quota=store, quota_limits=limits) as c:
        before = c.quota_status()
        assert (before.user_used, before.user_remaining, before.app_used, before.app_remaining) == (
            0, 2, 0, 3)
        assert before.next_free_at is None
        c.follow(BOB)
        c.follow(ERIN)
        with pytest.raises(xfollow.QuotaExhausted) as info:
            c.follow(XDEVELOPERS)
        e = info.value
        assert e.code == 13
        assert not e.may_have_reached_server
        assert e.http_status is None
        assert str(e).startswith("daily quota exhausted: 2 of 2 follows per 24 hours used by this user")
        assert e.next_free_at is not None and e.next_free_at > time.time() + 86_000
        assert counter(emulator, ALICE) == 2
        s = c.quota_status()
        assert (s.user_used, s.user_remaining, s.app_used, s.app_remaining) == (2, 0, 2, 1)
        assert s.next_free_at == e.next_free_at
        assert s.unfollows_used == 0 and s.unfollows_remaining == 500
        assert c.quota_status(user_id=BOB).user_used == 0
    with xfollow.Client.oauth1(CONSUMER_KEY, CONSUMER_SECRET, BOB_TOKEN, BOB_TOKEN_SECRET,
                               base_url=emulator.base_url, quota=store, quota_limits=limits) as b:
        b.follow(ERIN)
        with pytest.raises(xfollow.QuotaExhausted, match="3 of 3 follows per 24 hours used by this app"):
            b.follow(XDEVELOPERS)
    assert emulator.state()["counters"]["apps"]["demo"]["follow_requests"] == 3


def test_quota_off_and_bad_stores(emulator):
    with alice(emulator, quota="off") as c:
        with pytest.raises(xfollow.InvalidArgument, match="the quota ledger is off"):
            c.quota_status()
    with pytest.raises(xfollow.InvalidArgument, match="unknown scheme 'postgres'") as info:
        alice(emulator, quota="postgres://user:pw@host/db")
    assert "pw" not in str(info.value)
    with pytest.raises(TypeError):
        alice(emulator, quota_limits=(1, 2, 3))
    with pytest.raises(TypeError):
        alice(emulator, retry=3)


def test_oauth2_counts_under_its_client_id(emulator, tmp_path):
    store = f"sqlite:{tmp_path / 'quota.db'}"
    with xfollow.Client.oauth2(ALICE_OAUTH2, base_url=emulator.base_url, quota=store,
                               client_id="python-client") as c:
        c.follow(BOB)
        assert c.quota_status().user_used == 1
    with xfollow.Client.oauth2(ALICE_OAUTH2, base_url=emulator.base_url, quota=store,
                               client_id="another-client") as c:
        assert c.quota_status(user_id=ALICE).app_used == 0


def test_refreshing_client_takes_the_ledger_and_retry_options(emulator, tmp_path):
    # No refresh happens here (the token is valid for 7200 s); the refresh token is never spent.
    tokens = xfollow.TokenSet(ALICE_OAUTH2, refresh_token="unused-refresh-token")
    store = f"sqlite:{tmp_path / 'quota.db'}"
    limits = xfollow.QuotaLimits(follows_per_user=2, follows_per_app=10, unfollows_per_app=10)
    seen = []
    with xfollow.Client.oauth2_refreshing(tokens, "refreshing-client", base_url=emulator.base_url,
                                          quota=store, quota_limits=limits,
                                          retry=quick(seen)) as c:
        emulator.fault(FOLLOW, "status", count=1, status=503)
        assert c.follow(BOB).following
        assert [(a, r.kind, r.http_status) for a, r, _ in seen] == [(1, "server", 503)]
        # The 503 may have reached X, so its slot stays spent: two slots for one follow.
        with pytest.raises(xfollow.QuotaExhausted, match="2 of 2 follows per 24 hours used by this user"):
            c.follow(ERIN)
        s = c.quota_status()
        assert (s.user_used, s.app_used, s.app_remaining) == (2, 2, 8)
    assert counter(emulator, ALICE) == 2  # the 503 and the retried follow; ERIN never sent
    # The ledger counts the app under the refreshing client's client_id.
    with xfollow.Client.oauth2(ALICE_OAUTH2, base_url=emulator.base_url, quota=store,
                               client_id="refreshing-client") as same:
        assert same.quota_status(user_id=ALICE).app_used == 2
    with xfollow.Client.oauth2(ALICE_OAUTH2, base_url=emulator.base_url, quota=store,
                               client_id="another-client") as other:
        assert other.quota_status(user_id=ALICE).app_used == 0


def test_retry_on_503_twice_then_success(emulator):
    seen = []
    with alice(emulator, quota="off", retry=quick(seen)) as c:
        emulator.fault(FOLLOW, "status", count=2, status=503)
        assert c.follow(BOB).following
    assert seen == [
        (1, xfollow.RetryReason("server", 503), 0.002),
        (2, xfollow.RetryReason("server", 503), 0.004),
    ]
    assert counter(emulator, ALICE) == 3


def test_reset_mid_response_is_retried(emulator):
    seen = []
    with alice(emulator, quota="off", retry=quick(seen)) as c:
        emulator.fault(FOLLOW, "truncate")
        assert c.follow(ERIN).following
    assert [(a, r) for a, r, _ in seen] == [(1, xfollow.RetryReason("network", None))]


def test_no_retry_on_403_and_never_policy(emulator):
    seen = []
    with alice(emulator, quota="off", retry=quick(seen)) as c:
        emulator.fault(FOLLOW, "status", count=3, status=403)
        with pytest.raises(xfollow.Forbidden):
            c.follow(BOB)
    assert seen == [] and counter(emulator, ALICE) == 1
    emulator.admin("DELETE", "faults")
    with alice(emulator, quota="off", retry=xfollow.RetryPolicy.never()) as c:
        emulator.fault(FOLLOW, "status", count=1, status=503)
        with pytest.raises(xfollow.ServerError):
            c.follow(BOB)
    assert counter(emulator, ALICE) == 2


def test_429_beyond_the_max_wait_is_raised_at_once(emulator):
    seen = []
    reset = int(time.time()) + 86_400
    with alice(emulator, quota="off", retry=quick(seen)) as c:
        emulator.fault(FOLLOW, "status", count=3, status=429, headers={
            "x-app-limit-24hour-limit": "1000", "x-app-limit-24hour-remaining": "0",
            "x-app-limit-24hour-reset": str(reset)})
        with pytest.raises(xfollow.RateLimited) as info:
            c.follow(BOB)
    assert info.value.reset_at == reset
    assert info.value.exhausted_window == "app_24h"
    assert seen == [] and counter(emulator, ALICE) == 1


def test_rate_limits_per_endpoint(emulator):
    with alice(emulator, quota="off") as c:
        assert c.rate_limits() == {}
        c.follow(BOB)
        c.user_by_username("bob")
        rl = c.rate_limits()
        assert sorted(rl) == ["follow", "user_by_username"]
        assert rl["follow"].endpoint.limit == 50
        assert rl["follow"].user_24h.limit == 400 and rl["follow"].app_24h.limit == 1000
        assert rl["user_by_username"].user_24h is None


def test_cancel_from_another_thread(emulator):
    started = threading.Event()
    policy = xfollow.RetryPolicy(base_delay=60, max_delay=60, jitter=False,
                                 on_retry=lambda *a: started.set())
    with alice(emulator, quota="off", retry=policy) as c:
        emulator.fault(FOLLOW, "status", count=1, status=503)
        box = {}

        def run():
            try:
                c.follow(BOB)
            except xfollow.XError as e:
                box["e"] = e

        t = threading.Thread(target=run)
        t.start()
        assert started.wait(10)
        c.cancel()
        t.join(10)
        assert not t.is_alive()
        assert isinstance(box["e"], xfollow.Cancelled)
        assert box["e"].http_status == 503
        with pytest.raises(xfollow.Cancelled, match="cancelled before the first attempt"):
            c.follow(BOB)
        c.reset_cancel()
        assert c.follow(BOB).following
