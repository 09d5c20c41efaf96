"""Log a user in with the OAuth 1.0a PIN flow, then follow an account as that user.

    python login_pin.py TARGET_USER_ID

Environment, as for the C example: X_CONSUMER_KEY and X_CONSUMER_SECRET (the app's API key
and secret), X_API_BASE_URL (optional, e.g. the emulator). OAuth 1.0a access tokens do not
expire: a real program keeps `credentials.token` and `credentials.token_secret` somewhere
safe.
"""

import os
import sys

import xfollow


def main(argv):
    env = os.environ
    if len(argv) != 1 or not env.get("X_CONSUMER_KEY") or not env.get("X_CONSUMER_SECRET"):
        sys.exit("usage: X_CONSUMER_KEY=... X_CONSUMER_SECRET=... login_pin.py TARGET_USER_ID")
    key, secret = env["X_CONSUMER_KEY"], env["X_CONSUMER_SECRET"]
    base_url = env.get("X_API_BASE_URL") or None

    flow = xfollow.OAuth1Flow(key, secret, callback="oob", base_url=base_url)
    request = flow.request_token(access_type="write")
    print("Open this page in your browser and authorize the app:", request.authorize_url, sep="\n")
    pin = input("PIN: ")
    credentials = flow.access_token(pin)
    print(f"\nlogged in as @{credentials.screen_name} ({credentials.user_id})")

    with xfollow.Client.oauth1(key, secret, credentials.token, credentials.token_secret,
                               base_url=base_url) as client:
        r = client.follow(argv[0])
        print(f"followed {argv[0]}: following={r.following} pending_follow={r.pending_follow}")


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except xfollow.XError as e:
        sys.exit(f"error: {type(e).__name__}: {e}")
