#!/usr/bin/env bash
# Runs the follow example (the command given, e.g. `valgrind ... build/bin/follow`) against
# the emulator at $X_API_BASE_URL and checks its output and exit status.
set -uo pipefail
passed=0; failed=0
ALICE=1500000000000000001 BOB=1500000000000000002 CAROL=1500000000000000003
check() { # name, want-status, want-regex, status, output
    if [ "$4" = "$2" ] && printf '%s' "$5" | grep -Eq -- "$3"; then
        passed=$((passed+1))
    else
        failed=$((failed+1)); echo "FAILED: $1 (status $4, want $2)"; printf '%s\n' "$5"
    fi
}
run() { out="$("$@" 2>&1)"; st=$?; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

oauth1=(env X_CONSUMER_KEY=demo-consumer-key X_CONSUMER_SECRET=demo-consumer-secret
        X_ACCESS_TOKEN=$ALICE-aliceDemoAccessToken X_ACCESS_TOKEN_SECRET=alice-demo-token-secret)
oauth2=(env X_OAUTH2_ACCESS_TOKEN=alice-demo-oauth2-token)

run "${oauth1[@]}" "$@" "$BOB"
check "follow oauth1" 0 "^follow: $ALICE -> $BOB \(OAuth 1.0a\)
following: true
pending_follow: false
state: following
rate limit \(15 min\): 49/50 remaining, resets at [0-9]+
user limit \(24 h\): 399/400 remaining" "$st" "$out"
run "${oauth2[@]}" "$@" "$CAROL"
check "pending follow oauth2" 0 "following: false
pending_follow: true
state: pending" "$st" "$out"
run "${oauth2[@]}" "$@" --unfollow "$BOB"
check "unfollow oauth2" 0 "^unfollow: $ALICE -> $BOB \(OAuth 2.0\)
following: false
pending_follow: false
state: not following" "$st" "$out"
run "${oauth2[@]}" "$@" 1234
check "not found" 1 "error: follow failed: X_ERR_NOT_FOUND \(4, not found\)
message: HTTP 404 Not Found Error: Could not find user with target_user_id: \[1234\]\.
http status: 404
title: Not Found Error
detail: Could not find user with target_user_id: \[1234\]\.
type: https://api.twitter.com/2/problems/resource-not-found
problem: resource-not-found
rate limit \(15 min\): [0-9]+/50 remaining" "$st" "$out"
run "${oauth2[@]}" "$@" 12x
check "bad id" 1 "X_ERR_INVALID_ARGUMENT.*
message: target user id must be a user id of 1 to 19 digits
may have reached the server: no" "$st" "$out"
run env X_OAUTH2_ACCESS_TOKEN=nope "$@" "$BOB"
check "bad token" 1 "X_ERR_UNAUTHORIZED.*
message: HTTP 401 " "$st" "$out"
run "$@"
check "usage" 2 "usage: .* \[--unfollow\] TARGET_USER_ID" "$st" "$out"
run env -u X_OAUTH2_ACCESS_TOKEN "$@" "$BOB"
check "no credentials" 2 "set X_OAUTH2_ACCESS_TOKEN, or X_CONSUMER_KEY" "$st" "$out"
run "${oauth2[@]}" X_API_BASE_URL=http://example.com "$@" "$BOB"
check "non-loopback http" 2 "plain http is allowed only for loopback hosts" "$st" "$out"
# A quota refusal is printed by name, with the time the slot frees; nothing is sent.
quota=(X_QUOTA="sqlite:$tmp/quota.db" X_QUOTA_LIMITS=1,1000,500)
run "${oauth2[@]}" "${quota[@]}" "$@" "$BOB"
check "quota first follow" 0 "^follow: $ALICE -> $BOB" "$st" "$out"
run "${oauth2[@]}" "${quota[@]}" "$@" "$CAROL"
slot="$(printf '%s\n' "$out" | sed -n 's/^message: daily quota exhausted: 1 of 1 follows per 24 hours used by this user; next slot frees at \([0-9][0-9]*\) (Unix time)$/\1/p')"
check "quota refusal by name" 1 "^error: follow failed: X_ERR_QUOTA_EXHAUSTED \(13, daily quota exhausted \(refused locally, not sent\)\)$" "$st" "$out"
check "quota refusal message" 1 "^message: daily quota exhausted: 1 of 1 follows per 24 hours used by this user; next slot frees at [0-9]+ \(Unix time\)$" "$st" "$out"
check "quota frees at" 1 "^quota frees at: ${slot:-none}$" "$st" "$out"
check "quota refusal not sent" 1 "^may have reached the server: no$" "$st" "$out"
run "${oauth2[@]}" X_QUOTA_LIMITS=400,1000,4294967295 "$@" "$BOB"
# (The C example names the setter that failed; the C++ one builds in one step: "configuration".)
check "quota cap out of range" 2 "^error: (X_QUOTA_LIMITS|configuration) failed: X_ERR_INVALID_ARGUMENT \(1, " "$st" "$out"
check "quota cap out of range message" 2 "^message: invalid quota limit: unfollows_per_app is 4294967295: at most 10000 per 24 hours \(0 turns the cap off\)$" "$st" "$out"
run "${oauth2[@]}" X_QUOTA=postgres://db "$@" "$BOB"
check "quota bad store" 2 "^error: (x_client_new|configuration) failed: X_ERR_INVALID_ARGUMENT \(1, " "$st" "$out"
echo "example: $passed passed, $failed failed"
[ "$failed" = 0 ]
