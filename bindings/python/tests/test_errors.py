"""Every exception class with its attributes, from real emulator answers and injected faults;
invalid input refused before any request."""

from __future__ import annotations

import json
import socket
import time

import pytest

import xfollow
from conftest import (
    ALICE,
    ALICE_TOKEN,
    ALICE_TOKEN_SECRET,
    BOB,
    BOB_OAUTH2_READONLY,
    CONSUMER_KEY,
    CONSUMER_SECRET,
    DAVE,
    alice_client,
    unknown_username_error,
)
from support.emulator import Emulator
from xfollow import ApiErrorEntry, RateLimitWindow

FOLLOW_ROUTE = "POST /2/users/*/following"

# The enrollment 403 as X sends it (tests/data/xapi).
ENROLLMENT_403 = {
    "client_id": "101010101",
    "required_enrollment": "Appropriate Level of API Access",
    "registration_url": "https://developer.x.com/en/portal/product",
    "title": "Client Forbidden",
    "detail": "This request must be made using an approved developer account that is enrolled "
              "in the requested endpoint. Learn more by visiting our documentation.",
    "reason": "client-not-enrolled",
    "type": "https://api.twitter.com/2/problems/client-forbidden",
}
LEGACY_429 = {"errors": [{"code": 88, "message": "Rate limit exceeded"}]}
INVALID_REQUEST_400 = {
    "errors": [{"parameters": {"id": ["1111"]}, "message": "The id query parameter value [1111] is not valid"}],
    "title": "Invalid Request",
    "detail": "One or more parameters to your request was invalid.",
    "type": "https://api.twitter.com/2/problems/invalid-request",
}


def _client(emulator: Emulator, **kw) -> xfollow.Client:
    # One attempt per call and no quota ledger: these tests read each fault as the emulator
    # gave it (retries and the ledger are test_limits.py's).
    kw.setdefault("retry", xfollow.RetryPolicy.never())
    kw.setdefault("quota", "off")
    return alice_client(emulator.base_url, **kw)


@pytest.fixture
def alice(emulator):
    with _client(emulator) as c:
        yield c


def _follow_error(alice, emulator, cls, kind: str, **fault):
    """The `cls` error that alice's follow of BOB raises under one injected fault of the
    follow route."""
    emulator.fault(FOLLOW_ROUTE, kind, **fault)
    with pytest.raises(cls) as ei:
        alice.follow(BOB)
    return ei.value


def test_hierarchy():
    for cls in (xfollow.InvalidArgument, xfollow.AuthError, xfollow.Forbidden, xfollow.NotFound,
                xfollow.RateLimited, xfollow.NetworkError, xfollow.Timeout, xfollow.ServerError,
                xfollow.ProtocolError, xfollow.ApiError, xfollow.TlsError, xfollow.InternalError):
        assert issubclass(cls, xfollow.XError)
    assert issubclass(xfollow.Timeout, xfollow.NetworkError)
    assert issubclass(xfollow.TlsError, xfollow.NetworkError)
    assert issubclass(xfollow.InvalidArgument, ValueError)


def test_auth_error_wrong_secret(emulator):
    with alice_client(emulator.base_url, consumer_secret="not-the-secret") as c:
        with pytest.raises(xfollow.AuthError) as ei:
            c.follow(BOB)
    e = ei.value
    assert type(e) is xfollow.AuthError
    assert e.code == 2
    assert e.http_status == 401
    assert (e.title, e.detail, e.type_uri, e.problem_type) == ("Unauthorized", "Unauthorized", "about:blank", None)
    assert e.errors == (ApiErrorEntry(32, "Could not authenticate you."),)
    assert e.legacy_codes == (32,)
    assert str(e) == e.message == "HTTP 401 Unauthorized [code 32: Could not authenticate you.]"
    assert "not-the-secret" not in str(e) and "not-the-secret" not in repr(e)
    assert e.may_have_reached_server is True
    assert (ALICE, BOB) not in {(f["source"], f["target"]) for f in emulator.state()["follows"]}


def test_forbidden_wrong_source_user(alice):
    with pytest.raises(xfollow.Forbidden) as ei:
        alice.follow(DAVE, source_user_id=BOB)
    e = ei.value
    assert (e.code, e.http_status, e.title) == (3, 403, "Forbidden")
    assert e.detail == "You are not allowed to follow on behalf of another user."
    assert e.rate_limit.endpoint.limit == 50


def test_forbidden_suspended_target(alice):
    with pytest.raises(xfollow.Forbidden) as ei:
        alice.follow(DAVE)
    assert ei.value.detail == "You cannot follow an account that is suspended."
    assert str(ei.value) == "HTTP 403 Forbidden: You cannot follow an account that is suspended."


def test_forbidden_missing_scope(emulator):
    with xfollow.Client.oauth2(BOB_OAUTH2_READONLY, base_url=emulator.base_url) as c:
        with pytest.raises(xfollow.Forbidden) as ei:
            c.follow(ALICE, source_user_id=BOB)
    assert (ei.value.code, ei.value.http_status) == (3, 403)


def test_forbidden_enrollment_body_keeps_every_field(alice, emulator):
    e = _follow_error(alice, emulator, xfollow.Forbidden, "status", status=403,
                      body=json.dumps(ENROLLMENT_403), content_type="application/problem+json")
    assert (e.code, e.http_status) == (3, 403)
    assert e.title == "Client Forbidden"
    assert e.detail == ENROLLMENT_403["detail"]
    assert e.problem_type == "client-forbidden"
    assert e.type_uri == "https://api.twitter.com/2/problems/client-forbidden"
    assert e.reason == "client-not-enrolled"
    assert e.required_enrollment == "Appropriate Level of API Access"
    assert e.registration_url == "https://developer.x.com/en/portal/product"
    assert e.rate_limit.endpoint is not None
    assert e.errors == ()


def test_not_found_unknown_username_in_a_200(alice):
    e = unknown_username_error(alice, "nosuchuser")
    assert e.rate_limit.endpoint.limit == 900


def test_not_found_unknown_target(alice):
    with pytest.raises(xfollow.NotFound) as ei:
        alice.follow("1234")
    e = ei.value
    assert (e.code, e.http_status, e.problem_type) == (4, 404, "resource-not-found")
    assert e.detail == "Could not find user with target_user_id: [1234]."


def test_rate_limited_after_the_window_is_used(emulator, alice):
    for i in range(50):
        r = alice.follow(BOB) if i % 2 == 0 else alice.unfollow(BOB)
    # 25 follows and 25 unfollows: each endpoint has its own window of 50.
    for _ in range(25):
        r = alice.follow(BOB)
    assert r.rate_limit.endpoint.remaining == 0
    now = int(emulator.state()["now"])
    with pytest.raises(xfollow.RateLimited) as ei:
        alice.follow(BOB)
    e = ei.value
    assert (e.code, e.http_status, e.title) == (5, 429, "Too Many Requests")
    assert e.rate_limit.endpoint.limit == 50 and e.rate_limit.endpoint.remaining == 0
    assert e.reset_at == e.rate_limit.endpoint.reset
    assert now < e.reset_at <= now + 900
    assert 0 < e.retry_after <= 900
    assert str(e) == f"HTTP 429 Too Many Requests (retry at {e.reset_at})"
    # The window resets on the emulator's clock.
    emulator.advance_clock(901)
    assert alice.follow(BOB).rate_limit.endpoint.remaining == 49


def test_rate_limited_legacy_body_and_binding_window(alice, emulator):
    later = int(time.time()) + 5000
    e = _follow_error(
        alice, emulator, xfollow.RateLimited, "status", status=429, body=json.dumps(LEGACY_429),
        headers={"x-user-limit-24hour-remaining": "0", "x-user-limit-24hour-reset": str(later)})
    assert (e.code, e.http_status) == (5, 429)
    assert e.errors == (ApiErrorEntry(88, "Rate limit exceeded"),)
    assert e.legacy_codes == (88,)
    assert e.title is None and e.problem_type is None
    assert e.rate_limit.endpoint.remaining == 0
    assert e.rate_limit.user_24h == RateLimitWindow(400, 0, later)
    # Both windows are exhausted: wait for the later reset, not the 15-minute one.
    assert e.reset_at == later
    assert 4990 < e.retry_after <= 5000
    assert str(e) == f"HTTP 429 [code 88: Rate limit exceeded] (retry at {later})"


def test_api_error_400(alice, emulator):
    e = _follow_error(alice, emulator, xfollow.ApiError, "status", status=400,
                      body=json.dumps(INVALID_REQUEST_400), content_type="application/problem+json")
    assert (e.code, e.http_status, e.title) == (11, 400, "Invalid Request")
    assert e.problem_type == "invalid-request"
    assert e.errors == (ApiErrorEntry(None, "The id query parameter value [1111] is not valid"),)


@pytest.mark.parametrize("status,reason", [(500, "Internal Server Error"), (503, "Service Unavailable")])
def test_server_error(alice, emulator, status, reason):
    e = _follow_error(alice, emulator, xfollow.ServerError, "status", status=status)
    assert (e.code, e.http_status, e.title, e.detail) == (9, status, reason, reason)
    assert str(e) == f"HTTP {status} {reason}"
    assert e.may_have_reached_server is True


def test_protocol_error_malformed_json(alice, emulator):
    e = _follow_error(alice, emulator, xfollow.ProtocolError, "malformed")
    assert (e.code, e.http_status) == (10, 200)
    assert str(e).startswith("malformed JSON in HTTP 200 response")
    # The follow itself happened on the server: a retry is safe and says so.
    assert alice.follow(BOB).following is True


def test_network_error_truncated_body(alice, emulator):
    e = _follow_error(alice, emulator, xfollow.NetworkError, "truncate")
    assert type(e) is xfollow.NetworkError
    assert (e.code, str(e)) == (6, "connection closed before the whole response body arrived")
    assert e.may_have_reached_server is True


def test_network_error_connection_reset(alice, emulator):
    e = _follow_error(alice, emulator, xfollow.NetworkError, "reset")
    assert type(e) is xfollow.NetworkError
    assert e.code == 6 and e.http_status is None
    assert e.rate_limit.endpoint is None
    assert e.may_have_reached_server is True


def test_network_error_connection_refused():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    with alice_client(f"http://127.0.0.1:{port}") as c:
        with pytest.raises(xfollow.NetworkError) as ei:
            c.follow(BOB)
    e = ei.value
    assert (e.code, str(e), e.may_have_reached_server) == (6, "connection refused", False)


def test_timeout(emulator):
    emulator.fault(FOLLOW_ROUTE, "delay", delay_ms=3000)
    with _client(emulator, timeout=0.3) as c:
        t = time.monotonic()
        with pytest.raises(xfollow.Timeout) as ei:
            c.follow(BOB)
        elapsed = time.monotonic() - t
    assert type(ei.value) is xfollow.Timeout and ei.value.code == 7
    assert isinstance(ei.value, xfollow.NetworkError)
    assert elapsed < 2.5


@pytest.fixture(scope="module")
def tls_emulator(tmp_path_factory):
    ca = tmp_path_factory.mktemp("tls") / "ca.pem"
    with Emulator(["--tls", "--ca-out", str(ca)]) as emu:
        assert emu.base_url.startswith("https://127.0.0.1:")
        yield emu, ca


def test_custom_ca_file(tls_emulator):
    emu, ca = tls_emulator
    with _client(emu, ca_file=str(ca)) as c:
        assert c.follow(BOB).following is True
        assert c.me().username == "alice"


def test_untrusted_certificate_is_refused(tls_emulator):
    emu, _ = tls_emulator
    emu.reset()
    with _client(emu) as c:
        with pytest.raises(xfollow.NetworkError) as ei:
            c.follow(BOB)
    assert "UnknownIssuer" in str(ei.value)
    assert (ALICE, BOB) not in {(f["source"], f["target"]) for f in emu.state()["follows"]}


def test_untrusted_certificate_is_a_tls_error(tls_emulator):
    emu, _ = tls_emulator
    with _client(emu) as c:
        with pytest.raises(xfollow.TlsError) as ei:
            c.follow(BOB)
    assert ei.value.code == 8
    assert ei.value.may_have_reached_server is False


def test_internal_error_from_a_caught_panic():
    with pytest.raises(xfollow.InternalError) as ei:
        xfollow._library.x_test_panic()
    assert ei.value.code == 12
    assert str(ei.value) == "internal panic caught at the C boundary: x_test_panic: deliberate panic for tests"


# -- invalid input: refused before any request --------------------------------------------------
BAD_IDS = ["", "12a", "-1", "1" * 20, " 1", "1 ", "１２", "12\udcff"]


def _untouched(emulator: Emulator):
    s = emulator.state()
    return json.dumps(s["counters"], sort_keys=True), s["follows"], s["pending"], emulator.connections()


def test_invalid_arguments_send_nothing(emulator):
    before = _untouched(emulator)
    with _client(emulator) as c:
        for bad in BAD_IDS:
            with pytest.raises(xfollow.InvalidArgument) as ei:
                c.follow(bad)
            assert ei.value.code == 1 and ei.value.http_status is None
            assert ei.value.may_have_reached_server is False
            with pytest.raises(xfollow.InvalidArgument):
                c.unfollow(bad)
            with pytest.raises(xfollow.InvalidArgument):
                c.follow(BOB, source_user_id=bad)
        for bad in ["", "bad-name", "a" * 16, "name!", "émile"]:
            with pytest.raises(xfollow.InvalidArgument):
                c.user_by_username(bad)
        with pytest.raises(xfollow.InvalidArgument) as ei:
            c.follow("12\x003")
        assert str(ei.value) == "target_user_id contains a NUL character"
        with pytest.raises(xfollow.InvalidArgument) as ei:
            c.follow("12a")
        assert str(ei.value) == "target user id must be a user id of 1 to 19 digits"
        for wrong_type in (1.5, None, b"123", True, ["1"]):
            with pytest.raises(TypeError):
                c.follow(wrong_type)
        with pytest.raises(TypeError):
            c.user_by_username(42)
    after = _untouched(emulator)
    # Counters, follows, pending requests unchanged; the only new connections are the two
    # admin requests that read the state and the count.
    assert after[:3] == before[:3]
    assert after[3] - before[3] == 2


@pytest.mark.parametrize("kwargs,message", [
    ({"base_url": "http://example.com"},
     "invalid base URL: plain http is allowed only for loopback hosts (127.0.0.0/8, ::1, localhost)"),
    ({"timeout": 0}, "timeout must be between 1 and 3600000 ms"),
    ({"timeout": 3601}, "timeout must be between 1 and 3600000 ms"),
    ({"timeout": -1}, "timeout must be between 1 and 3600000 ms"),
    ({"connect_timeout": 0}, "connect timeout must be between 1 and 3600000 ms"),
])
def test_invalid_configuration(kwargs, message):
    with pytest.raises(xfollow.InvalidArgument) as ei:
        xfollow.Client.oauth1(CONSUMER_KEY, CONSUMER_SECRET, ALICE_TOKEN, ALICE_TOKEN_SECRET, **kwargs)
    assert (ei.value.code, str(ei.value)) == (1, message)


def test_invalid_configuration_types():
    with pytest.raises(TypeError):
        xfollow.Client.oauth1(CONSUMER_KEY, CONSUMER_SECRET, ALICE_TOKEN, None)
    with pytest.raises(TypeError):
        xfollow.Client.oauth2(ALICE_TOKEN, timeout="10")
    with pytest.raises(xfollow.InvalidArgument):
        xfollow.Client.oauth1(CONSUMER_KEY, CONSUMER_SECRET, ALICE_TOKEN, ALICE_TOKEN_SECRET,
                              proxy="not a url")


def test_exceptions_pickle_with_their_details(alice, emulator):
    """Exceptions cross process boundaries (multiprocessing, concurrent.futures) intact."""
    import pickle

    e = _follow_error(alice, emulator, xfollow.Forbidden, "status", status=403,
                      body=json.dumps(ENROLLMENT_403), content_type="application/problem+json")
    copy = pickle.loads(pickle.dumps(e))
    assert type(copy) is xfollow.Forbidden
    assert (copy.code, copy.http_status, copy.reason, copy.registration_url, str(copy)) == (
        3, 403, "client-not-enrolled", ENROLLMENT_403["registration_url"], str(e))
    assert copy.rate_limit == e.rate_limit
