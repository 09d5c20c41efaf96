"""X API exchanges (the fixtures of tests/data/xapi/, written from X's documented behaviour)
replayed through a local server: the library sends the expected requests and reads the answers
(gzip and plain bodies, rate-limit headers, problem and legacy error bodies) exactly."""

from __future__ import annotations

import json

import pytest

import xfollow
from conftest import unknown_username_error
from support import replay_server
from xfollow import ApiErrorEntry, FollowState, RateLimit, RateLimitWindow, RetryPolicy, User

# The account of the fixtures' user-context requests (its token's numeric prefix is its id).
FIXTURE_USER = "1072250532645998596"
FIXTURE_TARGET = "17874544"

FIXTURES = {
    "error_400_invalid_request.json", "error_401_unauthorized.json",
    "error_403_client_forbidden.json", "error_403_forbidden.json",
    "error_403_unsupported_authentication.json", "error_404_resource_not_found.json",
    "error_429_legacy_code_88.json", "error_429_too_many_requests.json",
    "follow_and_unfollow.json", "follow_and_unfollow_gzip.json", "follow_partial_errors.json",
    "follow_pending.json", "followers_page.json", "following_page.json", "me.json",
    "user_by_username.json", "user_by_username_not_found.json",
}


def _window(i: replay_server.Interaction, prefix: str = "x-rate-limit") -> RateLimitWindow:
    return RateLimitWindow(
        int(i.header(f"{prefix}-limit")),
        int(i.header(f"{prefix}-remaining")),
        int(i.header(f"{prefix}-reset")),
    )


def _client(port: int, **kwargs) -> xfollow.Client:
    # No retry (the fixtures' resets are in the past) and no quota ledger: one answer is read.
    return xfollow.Client.oauth1(
        "fixture-consumer-key", "fixture-consumer-secret",
        f"{FIXTURE_USER}-fixtureAccessToken", "fixture-token-secret",
        base_url=f"http://127.0.0.1:{port}", retry=RetryPolicy.never(), quota="off", **kwargs,
    )


@pytest.fixture
def replay(request):
    param = request.param if isinstance(request.param, tuple) else (request.param,)
    pattern, always_gzip, match_path = (param + (False, True))[:3]
    server, replay = replay_server.serve(pattern=pattern, always_gzip=always_gzip,
                                         match_path=match_path)
    replay.port = server.server_address[1]
    client = _client(replay.port)
    try:
        yield client, replay
    finally:
        client.close()
        server.shutdown()
        server.server_close()


def test_fixtures_are_what_the_tests_expect():
    """Every fixture is replayed by a test of this file; a missing one fails here."""
    found = {p.name for p in replay_server.DEFAULT_DIR.glob("*.json")}
    assert found == FIXTURES
    interactions = replay_server.load()
    assert len(interactions) == 19
    gz = [i for i in interactions if i.gzipped]
    assert [(i.fixture, i.method, json.loads(i.text)) for i in gz] == [
        ("follow_and_unfollow_gzip.json", "POST", {"data": {"following": True, "pending_follow": False}}),
        ("follow_and_unfollow_gzip.json", "DELETE", {"data": {"following": False}}),
    ]
    with pytest.raises(FileNotFoundError):
        replay_server.load(pattern="no_such_fixture.json")


@pytest.mark.parametrize(
    "replay",
    [(fixture, always_gzip)
     for fixture in ("follow_and_unfollow.json", "follow_and_unfollow_gzip.json")
     for always_gzip in (False, True)],
    indirect=True,
    ids=lambda p: f"{p[0][:-5]}{'-always-gzip' if p[1] else ''}",
)
def test_follow_and_unfollow(replay):
    client, rp = replay
    follow_i, unfollow_i = rp.interactions
    assert follow_i.method == "POST" and unfollow_i.method == "DELETE"

    r = client.follow(FIXTURE_TARGET)
    assert (r.following, r.pending_follow, r.state) == (True, False, FollowState.FOLLOWING)
    assert r.rate_limit == RateLimit(endpoint=_window(follow_i))
    assert r.errors == ()
    u = client.unfollow(FIXTURE_TARGET)
    assert (u.following, u.state) == (False, FollowState.NOT_FOLLOWING)
    assert u.rate_limit == RateLimit(endpoint=_window(unfollow_i))

    sent_follow, sent_unfollow = rp.received
    assert (sent_follow["method"], sent_follow["path"]) == ("POST", f"/2/users/{FIXTURE_USER}/following")
    assert json.loads(sent_follow["body"]) == json.loads(follow_i.request_body) == {
        "target_user_id": FIXTURE_TARGET}
    assert sent_follow["headers"]["content-type"].split(";")[0] == "application/json"
    assert (sent_unfollow["method"], sent_unfollow["path"]) == (
        "DELETE", f"/2/users/{FIXTURE_USER}/following/{FIXTURE_TARGET}")
    assert sent_unfollow["body"] == ""
    for sent in rp.received:
        auth = sent["headers"]["authorization"]
        assert auth.startswith("OAuth ")
        assert f'oauth_token="{FIXTURE_USER}-fixtureAccessToken"' in auth
        assert 'oauth_signature_method="HMAC-SHA1"' in auth


@pytest.mark.parametrize("replay", ["follow_pending.json"], indirect=True)
def test_follow_pending_with_the_24_hour_windows(replay):
    client, rp = replay
    (i,) = rp.interactions
    r = client.follow("1600000000000000099")
    assert (r.following, r.pending_follow, r.state) == (False, True, FollowState.PENDING)
    assert r.rate_limit == RateLimit(
        endpoint=RateLimitWindow(50, 48, 1767608220),
        user_24h=RateLimitWindow(400, 398, 1767693720),
        app_24h=RateLimitWindow(1000, 990, 1767687320),
    )
    assert r.rate_limit.user_24h == _window(i, "x-user-limit-24hour")
    assert r.rate_limit.app_24h == _window(i, "x-app-limit-24hour")


@pytest.mark.parametrize("replay", ["follow_partial_errors.json"], indirect=True)
def test_follow_with_partial_errors_beside_data(replay):
    client, _ = replay
    r = client.follow(FIXTURE_TARGET)
    assert (r.following, r.state) == (True, FollowState.FOLLOWING)
    assert r.errors == (
        ApiErrorEntry(None, "Notifications for this follow could not be sent."),
        ApiErrorEntry(161, "You are unable to follow more people at this time."),
    )


@pytest.mark.parametrize("replay", ["me.json"], indirect=True)
def test_me(replay):
    client, rp = replay
    (i,) = rp.interactions
    me = client.me()
    assert me == User(FIXTURE_USER, "TweepyDev", "Tweepy Testing")
    assert me.rate_limit == RateLimit(endpoint=_window(i)) == RateLimit(
        endpoint=RateLimitWindow(75, 74, 1767608280))
    assert [(s["method"], s["path"]) for s in rp.received] == [("GET", "/2/users/me")]


@pytest.mark.parametrize("replay", ["user_by_username.json"], indirect=True)
def test_user_by_username(replay):
    client, rp = replay
    user = client.user_by_username("Twitter")
    assert user == User("783214", "Twitter", "Twitter")
    assert user.rate_limit.endpoint == RateLimitWindow(300, 299, 1767608340)
    assert [(s["method"], s["path"]) for s in rp.received] == [("GET", "/2/users/by/username/Twitter")]


@pytest.mark.parametrize("replay", ["follow_and_unfollow_gzip.json"], indirect=True)
def test_accept_encoding(replay):
    """By default the client asks for gzip (the kept-compressed answer is then sent as it is);
    with gzip=False it asks for identity and gets the body plain."""
    client, rp = replay
    assert client.follow(FIXTURE_TARGET).following is True
    assert "gzip" in rp.received[-1]["headers"]["accept-encoding"]
    with _client(rp.port, gzip=False) as plain:
        assert plain.unfollow(FIXTURE_TARGET).following is False
    assert rp.received[-1]["headers"]["accept-encoding"] == "identity"
    with pytest.raises(TypeError):
        xfollow.Client.oauth2("token", gzip="no")


@pytest.mark.parametrize(
    "replay,method,user,first_id,first_name",
    [
        ("followers_page.json", "followers", "783214",
         "1600000000000000005", "Replay Five \U0001f499\U0001f49b"),
        ("following_page.json", "following", "2244994945",
         "1600000000000000015", "Dev Platform"),
    ],
    indirect=["replay"],
    ids=["followers", "following"],
)
def test_followers_and_following(replay, method, user, first_id, first_name):
    client, rp = replay
    (i,) = rp.interactions
    page_json = json.loads(i.text)
    page = getattr(client, method)(user)
    assert isinstance(page, xfollow.UserPage)
    assert page.result_count == page_json["meta"]["result_count"] == len(page.users)
    assert page.next_token == page_json["meta"]["next_token"]
    assert page.previous_token is None
    assert [(u.id, u.username, u.name) for u in page.users] == [
        (d["id"], d["username"], d["name"]) for d in page_json["data"]
    ]
    assert (page.users[0].id, page.users[0].name) == (first_id, first_name)
    assert page.rate_limit == RateLimit(endpoint=_window(i))
    assert all(u.rate_limit == page.rate_limit for u in page.users)
    assert [(s["method"], s["path"]) for s in rp.received] == [("GET", f"/2/users/{user}/{method}")]

    # The page's token is sent back as the next page's pagination_token, signed.
    token = page.next_token
    again = getattr(client, method)(user, max_results=1000, pagination_token=token)
    assert again.users == page.users  # the replay answers the same fixture
    assert rp.received[-1]["path"] == (
        f"/2/users/{user}/{method}?max_results=1000&pagination_token={token}")
    auth = rp.received[-1]["headers"]["authorization"]
    assert auth.startswith("OAuth ") and 'oauth_signature="' in auth


@pytest.mark.parametrize("replay", ["followers_page.json"], indirect=True)
def test_followers_names_outside_the_bmp(replay):
    """Names with escaped surrogate pairs and non-ASCII characters arrive intact."""
    client, _ = replay
    names = {u.username: u.name for u in client.followers("783214").users}
    assert names["replay_five"] == "Replay Five \U0001f499\U0001f49b"
    assert names["momo_tsu"] == "Momo.\u30c4"
    assert names["ana_q"] == "Ana Qui\u00f1ones"
    assert {u.id for u in client.followers("783214").users} >= {"90000002", "1600000000000000001"}


@pytest.mark.parametrize("replay", ["user_by_username_not_found.json"], indirect=True)
def test_unknown_username_is_not_found_in_a_200(replay):
    client, _ = replay
    e = unknown_username_error(client, "nosuchuser42")
    assert e.rate_limit.endpoint == RateLimitWindow(300, 298, 1767608400)


def _call(client: xfollow.Client, method: str) -> None:
    """One library call that sends `method` (the replay answers whatever the path)."""
    if method == "POST":
        client.follow(FIXTURE_TARGET)
    elif method == "DELETE":
        client.unfollow(FIXTURE_TARGET)
    else:
        client.following("2244994945")


@pytest.mark.parametrize(
    "replay,cls,code,status,title,problem_type",
    [
        (("error_400_invalid_request.json", False, False), xfollow.ApiError, 11, 400,
         "Invalid Request", "invalid-request"),
        (("error_401_unauthorized.json", False, False), xfollow.AuthError, 2, 401,
         "Unauthorized", None),
        (("error_403_forbidden.json", False, False), xfollow.Forbidden, 3, 403, "Forbidden", None),
        (("error_403_unsupported_authentication.json", False, False), xfollow.Forbidden, 3, 403,
         "Unsupported Authentication", "unsupported-authentication"),
        (("error_403_client_forbidden.json", False, False), xfollow.Forbidden, 3, 403,
         "Client Forbidden", "client-forbidden"),
        (("error_404_resource_not_found.json", False, False), xfollow.NotFound, 4, 404,
         "Not Found Error", "resource-not-found"),
        (("error_429_too_many_requests.json", False, False), xfollow.RateLimited, 5, 429,
         "Too Many Requests", None),
        (("error_429_legacy_code_88.json", False, False), xfollow.RateLimited, 5, 429, None, None),
    ],
    indirect=["replay"],
    ids=lambda p: p[0][:-5] if isinstance(p, tuple) else None,
)
def test_error_answers(replay, cls, code, status, title, problem_type):
    client, rp = replay
    (i,) = rp.interactions
    body = json.loads(i.text)
    with pytest.raises(cls) as ei:
        _call(client, i.method)
    e = ei.value
    assert (e.code, e.http_status, e.title, e.problem_type) == (code, status, title, problem_type)
    assert e.detail == body.get("detail")
    assert e.type_uri == body.get("type")
    assert (e.reason, e.required_enrollment, e.registration_url) == (
        body.get("reason"), body.get("required_enrollment"), body.get("registration_url"))
    assert e.rate_limit.endpoint == _window(i)
    assert e.may_have_reached_server is True
    if isinstance(e, xfollow.RateLimited):
        assert e.reset_at == e.rate_limit.binding_reset


def test_error_details_of_the_richer_bodies():
    """The fields beyond the common ones: `errors` entries, enrollment hints, 24-hour windows."""
    def raised(fixture: str, call):
        server, rp = replay_server.serve(pattern=fixture, match_path=False)
        try:
            with _client(server.server_address[1]) as client, pytest.raises(xfollow.XError) as ei:
                call(client)
            return ei.value
        finally:
            server.shutdown()
            server.server_close()

    e = raised("error_400_invalid_request.json", lambda c: c.followers("783214"))
    assert e.errors == (ApiErrorEntry(None, "The id query parameter value [not-an-id] is not valid"),)

    e = raised("error_403_client_forbidden.json", lambda c: c.follow(FIXTURE_TARGET))
    assert e.type_uri == "https://api.twitter.com/2/problems/client-forbidden"
    assert e.reason == "client-not-enrolled"
    assert e.required_enrollment == "Appropriate Level of API Access"
    assert e.registration_url == "https://developer.x.com/en/portal/product"
    assert e.errors == ()

    e = raised("error_429_legacy_code_88.json", lambda c: c.follow(FIXTURE_TARGET))
    assert isinstance(e, xfollow.RateLimited)
    assert e.errors == (ApiErrorEntry(88, "Rate limit exceeded"),)
    assert e.legacy_codes == (88,)
    assert e.rate_limit.endpoint == RateLimitWindow(50, 12, 1767609000)
    assert e.rate_limit.user_24h == RateLimitWindow(400, 0, 1767658100)
    # The exhausted window is the 24-hour one: its reset is the one to wait for.
    assert (e.reset_at, e.exhausted_window) == (1767658100, "user_24h")

    e = raised("error_429_too_many_requests.json", lambda c: c.following("2244994945"))
    assert (e.reset_at, e.exhausted_window) == (1767608640, "endpoint")
    assert str(e) == "HTTP 429 Too Many Requests (retry at 1767608640)"
