"""An independent client (requests + requests-oauthlib / oauthlib) against the emulator."""
import base64
import hashlib
import json
import re
import socket
import urllib.parse

import requests
from requests_oauthlib import OAuth1, OAuth1Session, OAuth2Session

ANN = "100"


def ann():
    return OAuth1("acme-key", "acme-secret", "100-anntoken", "ann-secret")


def follow(emu, target, auth=None):
    return requests.post(emu.url(f"/2/users/{ANN}/following"), json={"target_user_id": target},
                         auth=auth or ann(), timeout=10)


def test_follow_pending_unfollow_me_by_username(emu):
    r = follow(emu, "200")
    assert r.status_code == 200, r.text
    assert r.json() == {"data": {"following": True, "pending_follow": False}}
    assert r.headers["x-rate-limit-limit"] == "4"
    assert r.headers["x-rate-limit-remaining"] == "3"
    assert r.headers["x-user-limit-24hour-limit"] == "6"
    assert r.headers["x-user-limit-24hour-remaining"] == "5"
    assert r.headers["content-encoding"] == "gzip"  # requests asks for gzip

    r = follow(emu, "300")
    assert r.status_code == 200
    assert r.json() == {"data": {"following": False, "pending_follow": True}}

    r = requests.delete(emu.url(f"/2/users/{ANN}/following/200"), auth=ann(), timeout=10)
    assert r.status_code == 200
    assert r.json() == {"data": {"following": False}}

    r = requests.get(emu.url("/2/users/me"), auth=ann(), params={"user.fields": "protected"}, timeout=10)
    assert r.status_code == 200
    assert r.json() == {"data": {"id": ANN, "name": "Ann", "username": "ann", "protected": False}}

    r = requests.get(emu.url("/2/users/by/username/cat"), auth=ann(), timeout=10)
    assert r.status_code == 200
    assert r.json() == {"data": {"id": "300", "name": "Cat", "username": "cat"}}

    r = requests.get(emu.url(f"/2/users/{ANN}/following"), auth=ann(), timeout=10)
    assert r.json() == {"meta": {"result_count": 0}}

    state = emu.admin("GET", "state")
    assert state["follows"] == []
    assert state["pending"] == [{"source": ANN, "target": "300"}]
    assert state["counters"]["apps"]["acme"] == {
        "follow_requests": 2, "unfollow_requests": 1, "follows_24h": 2, "unfollows_24h": 1}


def test_bearer_tokens(emu):
    h = {"Authorization": "Bearer ann-oauth2"}
    r = requests.post(emu.url(f"/2/users/{ANN}/following"), json={"target_user_id": "500"}, headers=h, timeout=10)
    assert r.status_code == 200
    r = requests.get(emu.url("/2/users/me"), headers={"Authorization": "Bearer acme-app-bearer"}, timeout=10)
    assert r.status_code == 403
    assert r.json()["title"] == "Unsupported Authentication"


def test_wrong_secrets_are_refused(emu):
    for auth in (OAuth1("acme-key", "WRONG", "100-anntoken", "ann-secret"),
                 OAuth1("acme-key", "acme-secret", "100-anntoken", "WRONG")):
        r = follow(emu, "200", auth)
        assert r.status_code == 401
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json() == {"title": "Unauthorized", "type": "about:blank", "status": 401,
                            "detail": "Unauthorized",
                            "errors": [{"code": 32, "message": "Could not authenticate you."}]}
    assert emu.admin("GET", "state")["follows"] == []


def test_signature_in_query_string_is_accepted(emu):
    from oauthlib.oauth1 import SIGNATURE_TYPE_QUERY
    auth = OAuth1("acme-key", "acme-secret", "100-anntoken", "ann-secret", signature_type=SIGNATURE_TYPE_QUERY)
    r = requests.get(emu.url("/2/users/me"), auth=auth, timeout=10)
    assert r.status_code == 200, r.text


def test_429_after_the_window_and_reset_by_clock(emu):
    for t in ("200", "500", "600", "200"):
        assert follow(emu, t).status_code == 200
    r = follow(emu, "500")
    assert r.status_code == 429
    assert r.json() == {"title": "Too Many Requests", "detail": "Too Many Requests",
                        "type": "about:blank", "status": 429}
    assert r.headers["x-rate-limit-remaining"] == "0"
    reset = int(r.headers["x-rate-limit-reset"])
    now = emu.admin("GET", "state")["now"]
    assert emu.admin("POST", "clock", {"advance_seconds": reset - now})["now"] == reset
    assert follow(emu, "500").status_code == 200


def test_daily_cap_and_its_reset_through_the_clock(emu):
    # 6 follows a day; the 15-minute window (4) is moved past with the clock.
    sent = 0
    for t in ("200", "500", "600", "200", "500", "600"):
        if sent == 4:
            emu.admin("POST", "clock", {"advance_seconds": 900})
        assert follow(emu, t).status_code == 200
        sent += 1
    r = follow(emu, "200")
    assert r.status_code == 429
    assert r.headers["x-user-limit-24hour-remaining"] == "0"
    assert r.headers["x-rate-limit-remaining"] == "1"
    day_reset = int(r.headers["x-user-limit-24hour-reset"])
    now = emu.admin("GET", "state")["now"]
    emu.admin("POST", "clock", {"advance_seconds": day_reset - now})
    # The four follows of the first window have left the rolling day; two remain, plus this one.
    r = follow(emu, "200")
    assert r.status_code == 200
    assert r.headers["x-user-limit-24hour-remaining"] == "3"


def test_admin_api(emu):
    n0 = emu.admin("GET", "connections")["accepted"]
    s = requests.Session()
    for _ in range(3):
        assert s.get(emu.url("/2/users/me"), auth=ann(), timeout=10).status_code == 200
    assert emu.admin("GET", "connections")["accepted"] == n0 + 2  # the session's one + this call

    assert emu.admin("POST", "faults", {"route": "POST /2/users/*/following", "kind": "status",
                                         "status": 503, "count": 1}) == {"faults": 1}
    r = follow(emu, "200")
    assert r.status_code == 503
    assert r.json()["status"] == 503
    emu.admin("POST", "faults", {"route": "POST /2/users/*/following", "kind": "reset"})
    try:
        follow(emu, "200")
        raise AssertionError("expected a connection error")
    except requests.exceptions.ConnectionError:
        pass
    assert emu.admin("GET", "state")["follows"] == []
    emu.admin("POST", "faults", {"route": "POST /2/users/*/following", "kind": "malformed"})
    r = follow(emu, "200")
    assert r.status_code == 200
    try:
        r.json()
        raise AssertionError("expected invalid JSON")
    except ValueError:
        pass
    assert emu.admin("GET", "state")["follows"] == [{"source": ANN, "target": "200"}]
    emu.admin("POST", "faults", {"route": "/2/users/me", "kind": "delay", "delay_ms": 10, "count": 3})
    assert emu.admin("DELETE", "faults") == {"faults": 0}
    assert emu.admin("POST", "reset")["reset"] is True
    state = emu.admin("GET", "state")
    assert state["follows"] == [] and state["pending"] == []
    assert state["counters"]["users"][ANN]["follow_requests"] == 0


def test_oauth1_three_legged_flow_with_requests_oauthlib(emu):
    s = OAuth1Session("acme-key", client_secret="acme-secret",
                      callback_uri="http://127.0.0.1:8765/callback")
    tok = s.fetch_request_token(emu.url("/oauth/request_token"))
    assert tok["oauth_callback_confirmed"] == "true"
    auth_url = s.authorization_url(emu.url("/oauth/authorize")) + "&as_user=ben"
    r = requests.get(auth_url, allow_redirects=False, timeout=10)
    assert r.status_code == 302
    s.parse_authorization_response(r.headers["location"])
    access = s.fetch_access_token(emu.url("/oauth/access_token"))
    assert access["user_id"] == "200" and access["screen_name"] == "ben"
    assert access["oauth_token"].startswith("200-")
    me = s.get(emu.url("/2/users/me"), timeout=10)
    assert me.json()["data"]["username"] == "ben"

    # PIN (oob) flow: the PIN is in <code id="pin"> and in x-oauth-verifier.
    s = OAuth1Session("acme-key", client_secret="acme-secret", callback_uri="oob")
    s.fetch_request_token(emu.url("/oauth/request_token"))
    r = requests.get(s.authorization_url(emu.url("/oauth/authorize")), timeout=10)
    pin = re.search(r'<code id="pin">(\d+)</code>', r.text).group(1)
    assert pin == r.headers["x-oauth-verifier"]
    access = s.fetch_access_token(emu.url("/oauth/access_token"), verifier=pin)
    assert access["screen_name"] == "ann"


def test_oauth2_pkce_flow_with_requests_oauthlib(emu, monkeypatch):
    # oauthlib insists on https; the emulator is plain http on loopback here.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk" * 2
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    s = OAuth2Session("acme-client", redirect_uri="http://127.0.0.1:8765/callback",
                      scope=["tweet.read", "users.read", "follows.write", "offline.access"])
    url, state = s.authorization_url(emu.url("/i/oauth2/authorize"), code_challenge=challenge,
                                     code_challenge_method="S256", as_user="eve")
    r = requests.get(url, allow_redirects=False, timeout=10)
    assert r.status_code == 302
    q = urllib.parse.parse_qs(urllib.parse.urlparse(r.headers["location"]).query)
    assert q["state"] == [state]
    token = s.fetch_token(emu.url("/2/oauth2/token"), code=q["code"][0], code_verifier=verifier,
                          include_client_id=True)
    assert token["token_type"] == "bearer"
    assert token["expires_in"] == 7200
    assert token["scope"] == ["tweet.read", "users.read", "follows.write", "offline.access"]
    r = s.post(emu.url("/2/users/500/following"), json={"target_user_id": "200"}, timeout=10)
    assert r.status_code == 200, r.text
    old_refresh = token["refresh_token"]
    new = s.refresh_token(emu.url("/2/oauth2/token"), client_id="acme-client", include_client_id=True)
    assert new["refresh_token"] != old_refresh
    r = requests.post(emu.url("/2/oauth2/token"), data={"grant_type": "refresh_token",
                      "refresh_token": old_refresh, "client_id": "acme-client"}, timeout=10)
    assert r.status_code == 400
    assert r.json() == {"error": "invalid_request", "error_description": "Value passed for the token was invalid."}


def test_demo_world_credentials(demo):
    auth = OAuth1("demo-consumer-key", "demo-consumer-secret",
                  "1500000000000000001-aliceDemoAccessToken", "alice-demo-token-secret")
    r = requests.get(demo.url("/2/users/me"), auth=auth, timeout=10)
    assert r.json() == {"data": {"id": "1500000000000000001", "name": "Alice", "username": "alice"}}
