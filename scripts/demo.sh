#!/usr/bin/env bash
# The demo: start the emulator with its built-in world, then follow and unfollow through
# the C ABI with build/bin/follow, as alice with OAuth 1.0a and with her OAuth 2.0 token.
# Each part is a function run against the same emulator; add new parts to PARTS.
set -euo pipefail
cd "$(dirname "$0")/.."

ALICE=1500000000000000001
BOB=1500000000000000002
CAROL=1500000000000000003   # protected: a follow stays pending

step() { printf '\n$ %s\n' "$*"; "$@"; }

c_oauth1() {
    echo "== C example, OAuth 1.0a (alice's access token and secret, app 'demo')"
    export X_CONSUMER_KEY=demo-consumer-key X_CONSUMER_SECRET=demo-consumer-secret
    export X_ACCESS_TOKEN=$ALICE-aliceDemoAccessToken X_ACCESS_TOKEN_SECRET=alice-demo-token-secret
    step build/bin/follow "$BOB"
    step build/bin/follow "$CAROL"
    step build/bin/follow --unfollow "$BOB"
    unset X_CONSUMER_KEY X_CONSUMER_SECRET X_ACCESS_TOKEN X_ACCESS_TOKEN_SECRET
}

c_oauth2() {
    echo
    echo "== C example, OAuth 2.0 user access token (alice)"
    export X_OAUTH2_ACCESS_TOKEN=alice-demo-oauth2-token
    step build/bin/follow "$BOB"
    step build/bin/follow --unfollow "$BOB"
    echo
    echo "== an error, with every detail (unknown user; exits 1)"
    step build/bin/follow 1234 || echo "(exit status $?)"
    unset X_OAUTH2_ACCESS_TOKEN
}

python_binding() {
    echo
    echo "== Python binding (bindings/python/examples/follow.py over the debug libxfollow), OAuth 1.0a (alice)"
    export XFOLLOW_LIBRARY="$PWD/target/debug/libxfollow.so" PYTHONPATH="$PWD/bindings/python"
    export X_CONSUMER_KEY=demo-consumer-key X_CONSUMER_SECRET=demo-consumer-secret
    export X_ACCESS_TOKEN=$ALICE-aliceDemoAccessToken X_ACCESS_TOKEN_SECRET=alice-demo-token-secret
    step python3 bindings/python/examples/follow.py "$BOB"
    step python3 bindings/python/examples/follow.py --unfollow "$BOB"
    unset X_CONSUMER_KEY X_CONSUMER_SECRET X_ACCESS_TOKEN X_ACCESS_TOKEN_SECRET XFOLLOW_LIBRARY PYTHONPATH
}

PARTS=(c_oauth1 c_oauth2 python_binding)

if [ "${1:-}" = "--inside" ]; then
    echo "emulator: $X_API_BASE_URL"
    for part in "${PARTS[@]}"; do "$part"; done
else
    exec scripts/with-emulator.sh "$0" --inside
fi
