"""Follow (or with --unfollow, unfollow) an account on X on behalf of a user.

    python follow.py [--unfollow] TARGET_USER_ID

Credentials come from the environment, as for the C example: X_CONSUMER_KEY,
X_CONSUMER_SECRET, X_ACCESS_TOKEN and X_ACCESS_TOKEN_SECRET (OAuth 1.0a), or
X_OAUTH2_ACCESS_TOKEN (OAuth 2.0); X_API_BASE_URL optionally points at another API
(for example the emulator).
"""

import os
import sys

import xfollow


def main(argv):
    unfollow = argv[:1] == ["--unfollow"]
    args = argv[1:] if unfollow else argv
    if len(args) != 1:
        sys.exit("usage: follow.py [--unfollow] TARGET_USER_ID")
    env = os.environ
    base_url = env.get("X_API_BASE_URL")
    if env.get("X_OAUTH2_ACCESS_TOKEN"):
        client = xfollow.Client.oauth2(env["X_OAUTH2_ACCESS_TOKEN"], base_url=base_url)
    else:
        client = xfollow.Client.oauth1(
            env["X_CONSUMER_KEY"], env["X_CONSUMER_SECRET"],
            env["X_ACCESS_TOKEN"], env["X_ACCESS_TOKEN_SECRET"], base_url=base_url,
        )
    with client:
        try:
            if unfollow:
                result = client.unfollow(args[0])
                print(f"unfollowed {args[0]}: following={result.following}")
            else:
                result = client.follow(args[0])
                print(f"followed {args[0]}: following={result.following} "
                      f"pending_follow={result.pending_follow} state={result.state.value}")
        except xfollow.XError as e:
            print(f"error: {type(e).__name__} (code {e.code}): {e}", file=sys.stderr)
            for name in ("http_status", "title", "detail", "problem_type", "reason",
                         "registration_url"):
                if getattr(e, name) is not None:
                    print(f"  {name}: {getattr(e, name)}", file=sys.stderr)
            if isinstance(e, xfollow.RateLimited):
                print(f"  reset_at: {e.reset_at}", file=sys.stderr)
            return 1
    window = result.rate_limit.endpoint
    if window:
        print(f"rate limit: {window.remaining}/{window.limit} remaining, resets at {window.reset}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
