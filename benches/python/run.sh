#!/usr/bin/env bash
# Python binding vs tweepy: client CPU per follow against the emulator (release builds).
#   benches/python/run.sh [-n N] [--rounds R] [--warmup W]
# Makes target/venv-bench with tweepy, builds libxfollow and the emulator in release, then
# runs benches/python/bench_follow.py with XFOLLOW_LIBRARY pointing at the release library.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=target/venv-bench
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import tweepy" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "tweepy>=4.14,<5"
fi
cargo build --release -q -p xfollow -p xfollow-emulator
export XFOLLOW_LIBRARY="$PWD/target/release/libxfollow.so"
export PYTHONPATH="$PWD/bindings/python"
exec "$venv/bin/python" benches/python/bench_follow.py --emulator target/release/xfollow-emulator "$@"
