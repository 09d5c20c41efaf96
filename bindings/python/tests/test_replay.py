"""The real exchanges recorded against api.twitter.com (../shared/xapi/recorded/), replayed
through a local server: the library sends the recorded requests and reads the recorded
answers (gzip and plain bodies, rate-limit headers) exactly."""

from __future__ import annotations

import json

import pytest

import xfollow
from support import replay_server
from xfollow import FollowState, RateLimit, RateLimitWindow, User

# The account the recordings were made with (its token's numeric prefix is its id).
RECORDED_USER = "1072250532645998596"
RECORDED_TARGET = "17874544"

pytestmark = pytest.mark.skipif(
    not replay_server.DEFAULT_DIR.is_dir(), reason=f"{replay_server.DEFAULT_DIR} is missing"
)


def _window(i: replay_server.Interaction) -> RateLimitWindow:
    return RateLimitWindow(
        int(i.header("x-rate-limit-limit")),
        int(i.header("x-rate-limit-remaining")),
        int(i.header("x-rate-limit-reset")),
    )


@pytest.fixture
def replay(request):
    pattern, always_gzip = request.param if isinstance(request.param, tuple) else (request.param, False)
    server, replay = replay_server.serve(pattern=pattern, always_gzip=always_gzip)
    replay.port = server.server_address[1]
    base = f"http://127.0.0.1:{server.server_address[1]}"
    client = xfollow.Client.oauth1(
        "recorded-consumer-key", "recorded-consumer-secret",
        f"{RECORDED_USER}-recordedAccessToken", "recorded-token-secret", base_url=base,
    )
    try:
        yield client, replay
    finally:
        client.close()
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    "replay",
    [(cassette, always_gzip)
     for cassette in ("test_follow_and_unfollow_user.yaml", "test_asyncclient_follow_and_unfollow_user.yaml")
     for always_gzip in (False, True)],
    indirect=True,
    ids=lambda p: f"{p[0][:-5]}{'-gzip' if p[1] else ''}",
)
def test_follow_and_unfollow(replay):
    client, rp = replay
    follow_i, unfollow_i = rp.interactions
    assert follow_i.method == "POST" and unfollow_i.method == "DELETE"

    r = client.follow(RECORDED_TARGET)
    assert (r.following, r.pending_follow, r.state) == (True, False, FollowState.FOLLOWING)
    assert r.rate_limit == RateLimit(endpoint=_window(follow_i))
    u = client.unfollow(RECORDED_TARGET)
    assert (u.following, u.state) == (False, FollowState.NOT_FOLLOWING)
    assert u.rate_limit == RateLimit(endpoint=_window(unfollow_i))

    sent_follow, sent_unfollow = rp.received
    assert (sent_follow["method"], sent_follow["path"]) == ("POST", f"/2/users/{RECORDED_USER}/following")
    recorded_body = follow_i.request_body
    if isinstance(recorded_body, str):
        recorded_body = json.loads(recorded_body)
    assert json.loads(sent_follow["body"]) == recorded_body == {"target_user_id": RECORDED_TARGET}
    assert sent_follow["headers"]["content-type"].split(";")[0] == "application/json"
    assert (sent_unfollow["method"], sent_unfollow["path"]) == (
        "DELETE", f"/2/users/{RECORDED_USER}/following/{RECORDED_TARGET}")
    assert sent_unfollow["body"] == ""
    for sent in rp.received:
        auth = sent["headers"]["authorization"]
        assert auth.startswith("OAuth ")
        assert f'oauth_token="{RECORDED_USER}-recordedAccessToken"' in auth
        assert 'oauth_signature_method="HMAC-SHA1"' in auth


@pytest.mark.parametrize("replay", ["test_asyncclient_get_me.yaml"], indirect=True)
def test_me(replay):
    client, rp = replay
    (i,) = rp.interactions
    me = client.me()
    assert me == User(RECORDED_USER, "TweepyDev", "Tweepy Testing")
    assert me.rate_limit == RateLimit(endpoint=_window(i)) == RateLimit(
        endpoint=RateLimitWindow(75, 74, 1651929086))
    assert [(s["method"], s["path"]) for s in rp.received] == [("GET", "/2/users/me")]


@pytest.mark.parametrize("replay", ["test_asyncclient_get_user.yaml"], indirect=True)
def test_user_by_username(replay):
    client, rp = replay
    user = client.user_by_username("Twitter")
    assert user == User("783214", "Twitter", "Twitter")
    assert user.rate_limit.endpoint == RateLimitWindow(300, 299, 1651929089)
    assert [(s["method"], s["path"]) for s in rp.received] == [("GET", "/2/users/by/username/Twitter")]


def test_cassettes_are_what_the_tests_expect():
    """Every recorded interaction is replayed by a test of this file."""
    got = sorted((i.cassette, i.method, i.path) for i in replay_server.load())
    assert len(got) == 8
    assert {c for c, _, _ in got} == {
        "test_follow_and_unfollow_user.yaml", "test_asyncclient_follow_and_unfollow_user.yaml",
        "test_asyncclient_get_me.yaml", "test_asyncclient_get_user.yaml",
        "test_asyncclient_get_users_followers.yaml", "test_asyncclient_get_users_following.yaml",
    }
    gz = [i for i in replay_server.load() if i.gzipped]
    assert [(i.method, json.loads(i.text)) for i in gz] == [
        ("POST", {"data": {"following": True, "pending_follow": False}}),
        ("DELETE", {"data": {"following": False}}),
    ]


@pytest.mark.parametrize("replay", ["test_follow_and_unfollow_user.yaml"], indirect=True)
def test_accept_encoding(replay):
    """By default the client asks for gzip (the recorded answer is then sent compressed, as
    recorded); with gzip=False it asks for identity and gets the body plain."""
    client, rp = replay
    assert client.follow(RECORDED_TARGET).following is True
    assert "gzip" in rp.received[-1]["headers"]["accept-encoding"]
    port = rp.port
    with xfollow.Client.oauth1(
        "recorded-consumer-key", "recorded-consumer-secret",
        f"{RECORDED_USER}-recordedAccessToken", "recorded-token-secret",
        base_url=f"http://127.0.0.1:{port}", gzip=False,
    ) as plain:
        assert plain.unfollow(RECORDED_TARGET).following is False
    assert rp.received[-1]["headers"]["accept-encoding"] == "identity"
    with pytest.raises(TypeError):
        xfollow.Client.oauth2("token", gzip="no")


@pytest.mark.parametrize(
    "replay,method,user,first_id,first_name",
    [
        ("test_asyncclient_get_users_followers.yaml", "followers", "783214",
         "1255778080372785152", "DANIEL BRIGHT"),
        ("test_asyncclient_get_users_following.yaml", "following", "2244994945",
         "44196397", "Elon Musk"),
    ],
    indirect=["replay"],
    ids=["followers", "following"],
)
def test_followers_and_following(replay, method, user, first_id, first_name):
    client, rp = replay
    (i,) = rp.interactions
    recorded = json.loads(i.text)
    page = getattr(client, method)(user)
    assert isinstance(page, xfollow.UserPage)
    assert page.result_count == recorded["meta"]["result_count"] == len(page.users)
    assert page.next_token == recorded["meta"]["next_token"]
    assert page.previous_token is None
    assert [(u.id, u.username, u.name) for u in page.users] == [
        (d["id"], d["username"], d["name"]) for d in recorded["data"]
    ]
    assert (page.users[0].id, page.users[0].name) == (first_id, first_name)
    assert page.rate_limit == RateLimit(endpoint=_window(i))
    assert all(u.rate_limit == page.rate_limit for u in page.users)
    assert [(s["method"], s["path"]) for s in rp.received] == [("GET", f"/2/users/{user}/{method}")]

    # The recorded token is sent back as the next page's pagination_token, signed.
    token = page.next_token
    again = getattr(client, method)(user, max_results=1000, pagination_token=token)
    assert again.users == page.users  # the replay answers the same recording
    assert rp.received[-1]["path"] == (
        f"/2/users/{user}/{method}?max_results=1000&pagination_token={token}")
    auth = rp.received[-1]["headers"]["authorization"]
    assert auth.startswith("OAuth ") and 'oauth_signature="' in auth


@pytest.mark.parametrize("replay", ["test_asyncclient_get_users_followers.yaml"], indirect=True)
def test_followers_names_outside_the_bmp(replay):
    """Names with escaped surrogate pairs and non-ASCII characters arrive intact."""
    client, _ = replay
    names = {u.username: u.name for u in client.followers("783214").users}
    assert names["stygiansting"] == "Claudio Vallan \U0001f499\U0001f49b"
    assert names["itxMomin"] == "Momin.\u30c4"
