#!/usr/bin/env python3
"""Client CPU per follow: the xfollow Python binding next to tweepy, against the emulator.

Both clients follow the same N distinct accounts (all succeed: the world has limits far
above N), one request after the other on one keep-alive connection, with OAuth 1.0a.
What is measured is the client process's CPU time (`time.process_time()`, all threads)
over the N follows, after a warm-up; the emulator's own CPU is not counted. Each client
runs in its own process, several rounds alternating, and the median round is reported.

tweepy's host is fixed (https://api.twitter.com): its requests session gets a transport
adapter that sends to the emulator instead, and that emulator is started with
`--public-base https://api.twitter.com` so that it verifies tweepy's signatures over the
URL tweepy signed. xfollow talks to its own emulator (plain http on loopback) directly.

Run it with benches/python/run.sh (it makes the bench virtualenv with tweepy and the
release builds); this file is also the per-client worker (`--worker`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bindings" / "python" / "tests"))

from support.emulator import DEMO_WORLD, Emulator  # noqa: E402

CONSUMER_KEY = "demo-consumer-key"
CONSUMER_SECRET = "demo-consumer-secret"
ACCESS_TOKEN = "1500000000000000001-aliceDemoAccessToken"
ACCESS_TOKEN_SECRET = "alice-demo-token-secret"
TWEEPY_HOST = "https://api.twitter.com"
FIRST_TARGET = 1700000000000000000


def targets(count: int, offset: int = 0) -> list:
    return [str(FIRST_TARGET + offset + i) for i in range(count)]


def write_world(path: Path, users: int) -> None:
    world = json.loads(DEMO_WORLD.read_text())
    world["users"] += [
        {"id": t, "username": f"b{n}", "name": f"Bench {n}", "protected": False, "suspended": False}
        for n, t in enumerate(targets(users))
    ]
    big = 10**9
    world["limits"].update(follow_per_15min=big, unfollow_per_15min=big, me_per_15min=big,
                           follows_per_user_day=big, follows_per_app_day=big,
                           unfollows_per_app_day=big)
    path.write_text(json.dumps(world))


# -- workers (one process per client and round) ------------------------------------------------
def xfollow_worker(base_url: str, warmup: list, measured: list) -> dict:
    import xfollow

    # No quota ledger: the comparison is of the clients alone (tweepy has none).
    with xfollow.Client.oauth1(CONSUMER_KEY, CONSUMER_SECRET, ACCESS_TOKEN, ACCESS_TOKEN_SECRET,
                               base_url=base_url, quota="off") as client:
        for t in warmup:
            client.follow(t)
        wall, cpu = time.perf_counter(), time.process_time()
        for t in measured:
            r = client.follow(t)
            assert r.following
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {"cpu_s": cpu, "wall_s": wall, "version": xfollow.library_version,
            "library": xfollow.library_path}


def tweepy_worker(base_url: str, warmup: list, measured: list) -> dict:
    import requests
    import tweepy

    class ToEmulator(requests.adapters.HTTPAdapter):
        """Sends what tweepy addressed to api.twitter.com to the emulator (signed as is)."""

        def send(self, request, **kwargs):
            request.url = base_url + request.url[len(TWEEPY_HOST):]
            return super().send(request, **kwargs)

    client = tweepy.Client(consumer_key=CONSUMER_KEY, consumer_secret=CONSUMER_SECRET,
                           access_token=ACCESS_TOKEN, access_token_secret=ACCESS_TOKEN_SECRET)
    client.session.mount(TWEEPY_HOST, ToEmulator())
    for t in warmup:
        client.follow_user(t)
    wall, cpu = time.perf_counter(), time.process_time()
    for t in measured:
        r = client.follow_user(t)
        assert r.data["following"] is True
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    client.session.close()
    return {"cpu_s": cpu, "wall_s": wall, "version": tweepy.__version__}


def run_worker(args: argparse.Namespace) -> None:
    warmup = targets(args.warmup)
    measured = targets(args.n, offset=args.warmup)
    fn = xfollow_worker if args.worker == "xfollow" else tweepy_worker
    print(json.dumps(fn(args.base_url, warmup, measured)))


# -- orchestration -----------------------------------------------------------------------------
def one_round(client: str, emu: Emulator, n: int, warmup: int) -> dict:
    emu.reset()
    out = subprocess.run(
        [sys.executable, __file__, "--worker", client, "--base-url", emu.base_url,
         "--n", str(n), "--warmup", str(warmup)],
        check=True, capture_output=True, text=True,
    ).stdout
    result = json.loads(out)
    state = emu.state()
    followed = {f["target"] for f in state["follows"] if f["source"] == ACCESS_TOKEN.split("-")[0]}
    missing = set(targets(n + warmup)) - followed
    if missing:
        raise SystemExit(f"{client}: {len(missing)} follows are missing in the emulator's state")
    result["requests"] = state["counters"]["users"][ACCESS_TOKEN.split("-")[0]]["follow_requests"]
    if result["requests"] != n + warmup:
        raise SystemExit(f"{client}: {result['requests']} follow requests for {n + warmup} follows")
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--worker", choices=["xfollow", "tweepy"])
    p.add_argument("--base-url")
    p.add_argument("-n", "--n", type=int, default=2000, help="measured follows per round")
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--emulator", type=Path, help="emulator binary (default: XFOLLOW_EMULATOR or debug)")
    args = p.parse_args()
    if args.worker:
        return run_worker(args)

    with tempfile.TemporaryDirectory() as tmp:
        world = Path(tmp) / "world.json"
        write_world(world, args.n + args.warmup)
        with Emulator(["--config", str(world)], binary=args.emulator) as plain, \
             Emulator(["--config", str(world), "--public-base", TWEEPY_HOST], binary=args.emulator) as proxied:
            rounds = {"xfollow": [], "tweepy": []}
            for _ in range(args.rounds):
                rounds["xfollow"].append(one_round("xfollow", plain, args.n, args.warmup))
                rounds["tweepy"].append(one_round("tweepy", proxied, args.n, args.warmup))

    def per_follow_us(rs: list, key: str) -> float:
        return statistics.median(r[key] for r in rs) / args.n * 1e6

    x_cpu, t_cpu = per_follow_us(rounds["xfollow"], "cpu_s"), per_follow_us(rounds["tweepy"], "cpu_s")
    x_wall, t_wall = per_follow_us(rounds["xfollow"], "wall_s"), per_follow_us(rounds["tweepy"], "wall_s")
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs, {args.rounds} rounds of "
          f"{args.n} follows (+{args.warmup} warm-up), median round")
    print(f"xfollow {rounds['xfollow'][0]['version']} ({rounds['xfollow'][0]['library']})")
    print(f"tweepy {rounds['tweepy'][0]['version']}")
    print(f"{'client':<10}{'CPU us/follow':>15}{'wall us/follow':>16}")
    print(f"{'xfollow':<10}{x_cpu:>15.1f}{x_wall:>16.1f}")
    print(f"{'tweepy':<10}{t_cpu:>15.1f}{t_wall:>16.1f}")
    print(f"tweepy / xfollow client CPU: {t_cpu / x_cpu:.1f}x (goal: >= 5x)")
    for name, rs in rounds.items():
        print(f"{name} rounds CPU s: " + ", ".join(f"{r['cpu_s']:.3f}" for r in rs))


if __name__ == "__main__":
    main()
