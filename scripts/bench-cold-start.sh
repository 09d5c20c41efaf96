#!/usr/bin/env bash
# Cold start: one follow per process, process start to exit, against a local emulator.
#   scripts/bench-cold-start.sh [RUNS]      (default 30 runs per case, interleaved)
# Cases, all OAuth 2.0 bearer (GET /2/users/me, then the follow: two requests each):
#   xfollow follow ID      (release build, TLS with --ca-file, and plain http; its default
#                           ledger is an SQLite file, and `--quota memory:` the C example's)
#   build/bin/follow ID    (the C example on the release library; plain http only: it reads
#                           no CA variable, so it cannot trust the emulator's private CA)
#   python -c tweepy       (tweepy.Client(bearer_token=...).follow_user, TLS through
#                           REQUESTS_CA_BUNDLE, and plain http; a requests adapter sends what
#                           tweepy addresses to api.twitter.com to the emulator)
# Prints the median and 90th percentile wall time per case and the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-30}"
venv=target/venv-bench
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import tweepy" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "tweepy>=4.14,<5"
fi
cargo build --release -q -p xfollow-cli -p xfollow-emulator
make -s lib c-example PROFILE=release >/dev/null
tmp="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
# Limits high enough never to answer 429.
python3 -c 'import json, sys; w = json.load(open("emulator/demo-world.json")); \
  w["limits"] = {k: 10**9 for k in w["limits"]}; json.dump(w, open(sys.argv[1], "w"))' "$tmp/world.json"
# Run in this shell (not in $(...)), so that the EXIT trap knows every pid.
start_emulator() { # name, extra args...
    local name="$1"; shift
    target/release/xfollow-emulator --port 0 --config "$tmp/world.json" "$@" >"$tmp/$name.out" 2>&1 &
    pids+=($!)
    for _ in $(seq 1 100); do
        grep -q '^listening on ' "$tmp/$name.out" 2>/dev/null && break
        sleep 0.05
    done
}
base_of() { sed -n 's/^listening on //p' "$tmp/$1.out" | head -n 1; }
start_emulator tls --tls --ca-out "$tmp/ca.pem"
start_emulator http
tls_base="$(base_of tls)"
http_base="$(base_of http)"
# Not exec: the EXIT trap stops the emulators.
"$venv/bin/python" - "$runs" "$tmp" "$tls_base" "$http_base" <<'EOF'
import os, statistics, subprocess, sys, time

runs, tmp, tls, http = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
token, target = "alice-demo-oauth2-token", "1500000000000000002"
python = sys.executable
tweepy_code = (
    "import sys, requests, tweepy\n"
    "base = sys.argv[1]\n"
    "class A(requests.adapters.HTTPAdapter):\n"
    "    def send(self, r, **kw):\n"
    "        r.url = base + r.url[len('https://api.twitter.com'):]\n"
    "        return super().send(r, **kw)\n"
    "c = tweepy.Client(bearer_token=sys.argv[2])\n"
    "c.session.mount('https://api.twitter.com', A())\n"
    "assert c.follow_user(sys.argv[3], user_auth=False).data['following']\n"
)
state = os.path.join(tmp, "state")
base_env = {"PATH": os.environ["PATH"], "HOME": tmp, "XDG_CONFIG_HOME": os.path.join(tmp, "cfg"),
            "XDG_STATE_HOME": state, "X_OAUTH2_ACCESS_TOKEN": token}
cases = [
    ("xfollow follow ID, TLS", ["target/release/xfollow", "--ca-file", f"{tmp}/ca.pem",
                                "--base-url", tls, "follow", target], {}),
    ("xfollow follow ID, http", ["target/release/xfollow", "--base-url", http, "follow", target], {}),
    # The C example's ledger: memory: (per process), so no SQLite file is opened.
    ("xfollow --quota memory:, http", ["target/release/xfollow", "--quota", "memory:",
                                       "--base-url", http, "follow", target], {}),
    ("build/bin/follow ID, http", ["build/bin/follow", target], {"X_API_BASE_URL": http}),
    ("python -c tweepy, TLS", [python, "-c", tweepy_code, tls, token, target],
     {"REQUESTS_CA_BUNDLE": f"{tmp}/ca.pem"}),
    ("python -c tweepy, http", [python, "-c", tweepy_code, http, token, target], {}),
]
times = {name: [] for name, _, _ in cases}
for i in range(runs + 1):
    for name, cmd, extra in cases:
        t0 = time.perf_counter()
        p = subprocess.run(cmd, env=dict(base_env, **extra), stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
        dt = time.perf_counter() - t0
        if p.returncode != 0:
            sys.exit(f"{name}: exit {p.returncode}: {p.stderr}")
        if i > 0:  # the first round warms the page cache
            times[name].append(dt * 1000)
med = {n: statistics.median(t) for n, t in times.items()}
p90 = {n: sorted(t)[int(0.9 * (len(t) - 1))] for n, t in times.items()}
print(f"{runs} runs per case, interleaved; wall time from process start to exit")
print(f"{'case':<30} {'median ms':>10} {'p90 ms':>8}")
for n in times:
    print(f"{n:<30} {med[n]:>10.1f} {p90[n]:>8.1f}")
c = med["build/bin/follow ID, http"]
print(f"xfollow / C example (http):      {med['xfollow follow ID, http'] / c:.2f}x")
print(f"same ledger (memory:) / C example: {med['xfollow --quota memory:, http'] / c:.2f}x")
print(f"tweepy / xfollow (TLS):          {med['python -c tweepy, TLS'] / med['xfollow follow ID, TLS']:.1f}x")
print(f"tweepy / xfollow (http):         {med['python -c tweepy, http'] / med['xfollow follow ID, http']:.1f}x")
EOF
