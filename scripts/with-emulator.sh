#!/usr/bin/env bash
# Usage: scripts/with-emulator.sh [--config FILE] COMMAND [ARGS...]
# Starts the emulator on a free port, exports X_API_BASE_URL=http://127.0.0.1:PORT for
# COMMAND, runs it, stops the emulator and exits with COMMAND's status.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
emulator="${XFOLLOW_EMULATOR:-$here/target/debug/xfollow-emulator}"
extra=()
if [ "${1:-}" = "--config" ]; then
    extra=(--config "$2")
    shift 2
fi
out="$(mktemp)"
"$emulator" --port 0 "${extra[@]}" >"$out" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -f "$out"; }
trap cleanup EXIT
for _ in $(seq 1 100); do
    line="$(head -n 1 "$out" 2>/dev/null || true)"
    case "$line" in
        "listening on "*) break ;;
    esac
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "the emulator exited early:" >&2; cat "$out" >&2; exit 1
    fi
    sleep 0.1
done
case "$line" in
    "listening on "*) ;;
    *) echo "the emulator did not say where it listens" >&2; exit 1 ;;
esac
export X_API_BASE_URL="${line#listening on }"
status=0
"$@" || status=$?
exit "$status"
