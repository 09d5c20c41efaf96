"""Log a user in with OAuth 2.0 Authorization Code + PKCE, then follow an account as that
user through a client that refreshes its token by itself.

    python login_pkce.py TARGET_USER_ID

Environment, as for the C example: X_CLIENT_ID (required), X_CLIENT_SECRET (confidential
clients only), X_REDIRECT_URI (a loopback URI registered with the app, default
http://127.0.0.1:8765/callback), X_API_BASE_URL (optional, e.g. the emulator), X_TOKEN_STORE
(optional token store file, mode 0600, shared with later runs and other processes).
"""

import os
import sys

import xfollow

SCOPES = ["tweet.read", "users.read", "follows.write", "offline.access"]


def main(argv):
    if len(argv) != 1 or not os.environ.get("X_CLIENT_ID"):
        sys.exit("usage: X_CLIENT_ID=... login_pkce.py TARGET_USER_ID")
    env = os.environ
    client_id = env["X_CLIENT_ID"]
    client_secret = env.get("X_CLIENT_SECRET") or None
    redirect_uri = env.get("X_REDIRECT_URI") or "http://127.0.0.1:8765/callback"
    base_url = env.get("X_API_BASE_URL") or None

    pkce = xfollow.OAuth2PKCE(client_id, redirect_uri, SCOPES,
                              client_secret=client_secret, base_url=base_url)
    # Listen before sending the user away, so that the callback cannot come too early.
    with xfollow.RedirectReceiver(redirect_uri) as receiver:
        url, state, verifier = pkce.authorization_request()
        print("Open this page in your browser and authorize the app:", url, sep="\n", flush=True)
        code = receiver.wait(state, timeout=300)
    tokens = pkce.exchange(code, verifier)
    print(f'logged in: scopes "{" ".join(tokens.scopes)}", '
          f"access token expires at {tokens.expires_at}", flush=True)

    def on_refresh(new_tokens):
        print(f"token refreshed: expires_at={new_tokens.expires_at}", flush=True)

    with xfollow.Client.oauth2_refreshing(
        tokens, client_id, client_secret=client_secret, on_refresh=on_refresh,
        token_store=env.get("X_TOKEN_STORE") or None, base_url=base_url,
    ) as client:
        r = client.follow(argv[0])
        print(f"followed {argv[0]}: following={r.following} pending_follow={r.pending_follow}")


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except xfollow.XError as e:
        sys.exit(f"error: {type(e).__name__}: {e}")
