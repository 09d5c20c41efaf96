"""The token flows through the Python package against the emulator: OAuth 1.0a (PIN and
callback), OAuth 2.0 PKCE (public and confidential), the redirect receiver, refreshing
clients (on_refresh, token store, 401 and revoked refresh token), and the two examples."""

from __future__ import annotations

import os
import stat
import sys
import threading
from pathlib import Path

import pytest

import xfollow
from conftest import ALICE, ALICE_OAUTH2, BOB, CONSUMER_KEY, CONSUMER_SECRET, ERIN

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "bindings" / "c" / "tests"))
import login_check  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCOPES = ["tweet.read", "users.read", "follows.write", "offline.access"]


@pytest.fixture
def world(tmp_path):
    """(emulator, receiver) with the demo apps accepting the receiver's redirect URI."""
    receiver = xfollow.RedirectReceiver("http://127.0.0.1:0/callback")
    emu = login_check.emulator_with_redirect(receiver.redirect_uri, tmp_path)
    try:
        yield emu, receiver
    finally:
        receiver.close()
        emu.close()


def _browser(url: str, results: list) -> threading.Thread:
    def run() -> None:
        status, headers, _ = login_check.browse(url)
        results.append(status)
        if status == 302:
            results.append(login_check.browse(headers["location"])[0])

    t = threading.Thread(target=run)
    t.start()
    return t


def _login(emu, receiver, *, client_id="demo-client-id", client_secret=None, user="alice"):
    pkce = xfollow.OAuth2PKCE(client_id, receiver.redirect_uri, SCOPES,
                              client_secret=client_secret, base_url=emu.base_url)
    url, state, verifier = pkce.authorization_request()
    assert url.startswith(f"{emu.base_url}/i/oauth2/authorize?response_type=code&client_id={client_id}&")
    results: list = []
    t = _browser(url + f"&as_user={user}", results)
    code = receiver.wait(state, timeout=10)
    t.join()
    assert results == [302, 200]
    return pkce, pkce.exchange(code, verifier)


def test_pkce_public_exchange_refresh_revoke(world):
    emu, receiver = world
    pkce, tokens = _login(emu, receiver)
    assert tokens.scopes == tuple(SCOPES)
    assert tokens.refresh_token and tokens.expires_at
    assert tokens.access_token not in repr(tokens) and tokens.refresh_token not in repr(tokens)
    with xfollow.Client.oauth2(tokens.access_token, base_url=emu.base_url) as c:
        assert c.follow(ERIN).following
    new = pkce.refresh(tokens.refresh_token)
    assert new.refresh_token != tokens.refresh_token
    with pytest.raises(xfollow.AuthError) as ei:
        pkce.refresh(tokens.refresh_token)
    assert str(ei.value) == ("token endpoint refused the request (HTTP 400, invalid_request): "
                             "Value passed for the token was invalid.")
    assert ei.value.http_status == 400 and ei.value.title == "invalid_request"
    pkce.revoke(new.access_token)
    with xfollow.Client.oauth2(new.access_token, base_url=emu.base_url) as c:
        with pytest.raises(xfollow.AuthError):
            c.follow(BOB, source_user_id=ALICE)
    with pytest.raises(ValueError):
        pkce.revoke(new.refresh_token, token_type_hint="id_token")


def test_pkce_confidential_client(world):
    emu, receiver = world
    pkce, tokens = _login(emu, receiver, client_id="confidential-client-id",
                          client_secret="confidential-client-secret", user="erin")
    with xfollow.Client.oauth2(tokens.access_token, base_url=emu.base_url) as c:
        assert c.me().id == ERIN
    assert "confidential-client-secret" not in repr(pkce)


def test_state_mismatch_is_refused(world):
    emu, receiver = world
    pkce = xfollow.OAuth2PKCE("demo-client-id", receiver.redirect_uri, SCOPES, base_url=emu.base_url)
    req = pkce.authorization_request()
    assert "<redacted>" in repr(req) and req.code_verifier not in repr(req)
    results: list = []
    t = _browser(req.url, results)
    # The callback of another state gets an error page; the receiver waits on until its timeout.
    with pytest.raises(xfollow.Timeout, match="no authorization callback arrived within 1 s"):
        receiver.wait("not-the-state", timeout=1)
    t.join()
    assert results == [302, 400]
    with pytest.raises(xfollow.InvalidArgument, match="already used"):
        receiver.wait(req.state, timeout=1)


def test_receiver_timeout():
    with xfollow.RedirectReceiver("http://127.0.0.1:0/cb") as r:
        with pytest.raises(xfollow.Timeout, match="no authorization callback arrived within 0.1 s"):
            r.wait("s", timeout=0.1)


def test_oauth1_pin_and_callback(emulator, tmp_path):
    flow = xfollow.OAuth1Flow(CONSUMER_KEY, CONSUMER_SECRET, base_url=emulator.base_url)
    req = flow.request_token()
    assert req.authorize_url == f"{emulator.base_url}/oauth/authorize?oauth_token={req.token}"
    assert flow.authorize_url(authenticate=True, force_login=True, screen_name="bob") == (
        f"{emulator.base_url}/oauth/authenticate?oauth_token={req.token}&force_login=true&screen_name=bob")
    status, headers, _ = login_check.browse(req.authorize_url + "&as_user=bob")
    assert status == 200
    with pytest.raises(xfollow.AuthError):
        flow.access_token("12")
    req = flow.request_token(access_type="read")
    status, headers, _ = login_check.browse(req.authorize_url + "&as_user=bob")
    creds = flow.access_token(headers["x-oauth-verifier"])
    assert (creds.user_id, creds.screen_name) == (BOB, "bob")
    assert creds.token.startswith(BOB + "-") and creds.token not in repr(creds)
    with pytest.raises(xfollow.InvalidArgument):
        flow.request_token(access_type="admin")

    # The callback flow through the loopback receiver.
    with xfollow.RedirectReceiver("http://127.0.0.1:0/callback") as receiver:
        emu = login_check.emulator_with_redirect(receiver.redirect_uri, tmp_path)
        try:
            flow = xfollow.OAuth1Flow(CONSUMER_KEY, CONSUMER_SECRET, callback=receiver.redirect_uri,
                                      base_url=emu.base_url)
            req = flow.request_token()
            results: list = []
            t = _browser(flow.authorize_url() + "&as_user=erin", results)
            verifier = receiver.wait_oauth1(req, timeout=10)
            t.join()
            assert results == [302, 200]
            creds = flow.access_token(verifier)
            assert creds.user_id == ERIN
        finally:
            emu.close()


def test_refreshing_client_on_refresh_store_and_token_set(world, tmp_path):
    emu, receiver = world
    pkce, tokens = _login(emu, receiver)
    store = tmp_path / "tokens.json"
    seen = []
    with xfollow.Client.oauth2_refreshing(tokens, "demo-client-id", on_refresh=seen.append,
                                          token_store=str(store), base_url=emu.base_url) as c:
        assert c.token_set == tokens
        assert c.follow(BOB).following
        assert seen == []
        emu.advance_clock(7300)  # the emulator's tokens expire: 401, refresh, retry
        assert c.follow(ERIN).following
        assert len(seen) == 1
        assert c.token_set == seen[0]
        assert seen[0].access_token != tokens.access_token
        assert stat.S_IMODE(os.stat(store).st_mode) == 0o600
        assert seen[0].refresh_token in store.read_text()
    # The stored refresh token is the live one.
    pkce.refresh(seen[0].refresh_token)


def test_refresh_failure_is_an_auth_error_with_the_provider_message(world):
    emu, receiver = world
    pkce, tokens = _login(emu, receiver)
    pkce.revoke(tokens.refresh_token, token_type_hint="refresh_token")
    calls = []
    with xfollow.Client.oauth2_refreshing(tokens, "demo-client-id", on_refresh=calls.append,
                                          base_url=emu.base_url) as c:
        emu.advance_clock(7300)
        for _ in range(2):
            with pytest.raises(xfollow.AuthError) as ei:
                c.follow(BOB, source_user_id=ALICE)
            assert str(ei.value) == (
                "refreshing the OAuth 2.0 access token failed: token endpoint refused the request "
                "(HTTP 400, invalid_request): Value passed for the token was invalid.")
    assert calls == []


def test_refreshing_arguments(emulator):
    no_refresh = xfollow.TokenSet(ALICE_OAUTH2)
    with pytest.raises(xfollow.InvalidArgument, match="no refresh token"):
        xfollow.Client.oauth2_refreshing(no_refresh, "demo-client-id", base_url=emulator.base_url)
    with pytest.raises(TypeError):
        xfollow.Client.oauth2_refreshing("token", "demo-client-id")
    with xfollow.Client.oauth2(ALICE_OAUTH2, base_url=emulator.base_url) as c:
        with pytest.raises(xfollow.InvalidArgument, match="not built with a refreshing"):
            c.token_set


def _example_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("X_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(EXAMPLES.parent), env.get("PYTHONPATH")]))
    return env


def test_example_login_pkce():
    out = login_check.check_pkce([sys.executable, str(EXAMPLES / "login_pkce.py")], _example_env())
    assert f"followed {ERIN}: following=True pending_follow=False" in out


def test_example_login_pin():
    out = login_check.check_pin([sys.executable, str(EXAMPLES / "login_pin.py")], _example_env())
    assert "PIN: " in out and f"followed {BOB}: following=True pending_follow=False" in out
