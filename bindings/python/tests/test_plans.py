"""Follow plans through the binding against the emulator: exact end states of a mixed plan
(following, pending, not found, suspended, already following), status counts, dry runs,
the computed plans, list and drop, and a progress callable that raises (it stops the run,
and run_plan raises it)."""

from __future__ import annotations

import uuid

import pytest

import xfollow
from conftest import ALICE, BOB, CAROL, DAVE, ERIN, XDEVELOPERS
from xfollow import Plan, PlanProgress, PlanRun, PlanStatus

FAST = "360000/hour"  # 10 ms between requests: the pace is not what these tests check


def _name(what: str) -> str:
    return f"{what}-{uuid.uuid4().hex[:12]}"


def _follows(emulator) -> set:
    return {(f["source"], f["target"]) for f in emulator.state()["follows"]}


def _pending(emulator) -> set:
    return {(f["source"], f["target"]) for f in emulator.state()["pending"]}


def _follow_requests(emulator) -> list:
    log = emulator.admin("GET", "requests?since=0")["requests"]
    return [r["target"] for r in log if r["method"] == "POST" and r["path"].endswith("/following")]


def test_a_mixed_plan_ends_in_exact_states(alice_oauth1, emulator):
    alice_oauth1.follow(XDEVELOPERS)  # already following when the run comes to it
    with Plan.create(_name("mixed"), ALICE) as plan:
        added = plan.add([BOB, CAROL, "9999999999", DAVE, "@erin", XDEVELOPERS, "@nosuchuser", BOB])
        assert added == 7, "the second follow of bob is kept once"
        assert plan.add(["1500000000000000009"], unfollow=True) == 1
        assert plan.status() == PlanStatus(queued=8, done=0, pending=0, skipped=0, failed=0)
        before = len(_follow_requests(emulator))
        dry = plan.dry_run()
        assert dry == [
            ("follow", BOB), ("follow", CAROL), ("follow", "9999999999"), ("follow", DAVE),
            ("follow", "@erin"), ("follow", XDEVELOPERS), ("follow", "@nosuchuser"),
            ("unfollow", "1500000000000000009"),
        ]
        assert plan.dry_run(2) == dry[:2]
        assert len(_follow_requests(emulator)) == before, "a dry run sends nothing"

        seen = []
        run = alice_oauth1.run_plan(plan, seen.append, pace=FAST)
        assert run == PlanRun(stop="finished", sent=5)
        want = PlanStatus(queued=0, done=2, pending=1, skipped=2, failed=3)
        assert plan.status() == want
        assert len(seen) == 8, "one progress call per intent"
        assert all(type(p) is PlanProgress for p in seen)
        assert seen[0].target == BOB and seen[0].action == "follow" and seen[0].state == "done"
        assert seen[0].counts == PlanStatus(queued=7, done=1, pending=0, skipped=0, failed=0)
        assert seen[-1].counts == want
        states = {p.target: p.state for p in seen}
        assert states == {
            BOB: "done", CAROL: "pending", "9999999999": "failed", DAVE: "failed",
            "@erin": "done", XDEVELOPERS: "skipped", "@nosuchuser": "failed",
            "1500000000000000009": "skipped",
        }
        assert [p.action for p in seen].count("unfollow") == 1

        follows = _follows(emulator)
        assert {(ALICE, BOB), (ALICE, ERIN), (ALICE, XDEVELOPERS)} <= follows
        assert (ALICE, DAVE) not in follows
        assert _pending(emulator) == {(ALICE, CAROL)}
        assert _follow_requests(emulator)[-5:] == [BOB, CAROL, "9999999999", DAVE, ERIN]

        # A second run finds nothing to do and sends nothing.
        n = len(_follow_requests(emulator))
        assert alice_oauth1.run_plan(plan, pace=FAST) == PlanRun("finished", 0)
        assert len(_follow_requests(emulator)) == n


def test_open_list_and_drop(alice_oauth1):
    name = _name("listed")
    with pytest.raises(xfollow.NotFound):
        Plan.open(name)
    with Plan.create(name, ALICE) as plan:
        plan.add([BOB])
    with Plan.create(name, ALICE) as again:  # creating an existing plan of the same user opens it
        assert again.status().queued == 1
    with pytest.raises(xfollow.InvalidArgument):
        Plan.create(name, BOB)
    with Plan.open(name) as opened:
        assert opened.status() == PlanStatus(1, 0, 0, 0, 0)
    assert name in Plan.list()
    assert Plan.list() == sorted(Plan.list())
    assert Plan.drop(name) is True
    assert Plan.drop(name) is False
    assert name not in Plan.list()


def test_bad_arguments_add_nothing(alice_oauth1):
    with Plan.create(_name("bad"), ALICE) as plan:
        with pytest.raises(xfollow.InvalidArgument):
            plan.add([BOB, "not an id"])
        with pytest.raises(xfollow.InvalidArgument):
            plan.add([BOB, "nul\0inside"])
        with pytest.raises(TypeError):
            plan.add(BOB)  # one string, not a list of them
        assert plan.status().queued == 0
        with pytest.raises(xfollow.InvalidArgument, match="pace"):
            alice_oauth1.run_plan(plan, pace="fast")
        with pytest.raises(ValueError):
            alice_oauth1.run_plan(plan, max_seconds=0)
        with pytest.raises(TypeError):
            alice_oauth1.run_plan(plan, progress=42)
    with pytest.raises(xfollow.InvalidArgument):
        Plan.create("bad name", ALICE)
    with pytest.raises(xfollow.InvalidArgument):
        Plan.list(store="ftp://example.com")
    plan.close()  # idempotent
    with pytest.raises(ValueError, match="closed"):
        plan.status()


def test_computed_plans(alice_oauth1, emulator):
    # alice follows XDevelopers and bob; bob and erin follow alice (the demo world).
    alice_oauth1.follow(XDEVELOPERS)
    alice_oauth1.follow(BOB)
    with Plan.create(_name("back"), ALICE) as plan:
        assert plan.follow_back(alice_oauth1) == 1
        assert plan.dry_run() == [("follow", ERIN)]
    with Plan.create(_name("prune"), ALICE) as plan:
        assert plan.unfollow_non_followers(alice_oauth1, keep=[XDEVELOPERS]) == 0
        assert plan.unfollow_non_followers(alice_oauth1) == 1
        assert plan.dry_run() == [("unfollow", XDEVELOPERS)]
        assert alice_oauth1.run_plan(plan, pace=FAST) == PlanRun("finished", 1)
        assert plan.status() == PlanStatus(0, 1, 0, 0, 0)
    assert (ALICE, XDEVELOPERS) not in _follows(emulator)
    assert (ALICE, BOB) in _follows(emulator)


class Boom(Exception):
    pass


def test_a_progress_callable_that_raises_stops_the_run_and_is_raised(alice_oauth1, emulator):
    with Plan.create(_name("boom"), ALICE) as plan:
        plan.add([BOB, ERIN, XDEVELOPERS])
        calls = []

        def progress(p: PlanProgress) -> None:
            calls.append(p.target)
            raise Boom(f"stop after {p.target}")

        with pytest.raises(Boom, match=f"stop after {BOB}"):
            alice_oauth1.run_plan(plan, progress, pace=FAST)
        assert calls == [BOB], "the run stops after the intent the callable reported"
        assert plan.status() == PlanStatus(queued=2, done=1, pending=0, skipped=0, failed=0)
        assert _follow_requests(emulator) == [BOB]
        # The client was never cancelled: it and the plan work on.
        assert alice_oauth1.me().id == ALICE
        assert alice_oauth1.run_plan(plan, pace=FAST) == PlanRun("finished", 2)
        assert plan.status() == PlanStatus(0, 3, 0, 0, 0)


def test_a_raising_progress_callable_leaves_the_clients_cancel_switch_alone(alice_oauth1):
    with Plan.create(_name("boomcancel"), ALICE) as plan:
        plan.add([BOB, ERIN])

        def progress(p: PlanProgress) -> None:
            alice_oauth1.cancel()  # the program shuts down, then the callable fails
            raise Boom("stop")

        with pytest.raises(Boom):
            alice_oauth1.run_plan(plan, progress, pace=FAST)
        # The program's cancel stands until it resets it.
        with pytest.raises(xfollow.Cancelled):
            alice_oauth1.me()
        alice_oauth1.reset_cancel()
        assert alice_oauth1.me().id == ALICE
        assert plan.status() == PlanStatus(queued=1, done=1, pending=0, skipped=0, failed=0)


def test_max_seconds_ends_a_run_at_its_deadline(alice_oauth1):
    with Plan.create(_name("slow"), ALICE) as plan:
        plan.add([BOB, ERIN])
        run = alice_oauth1.run_plan(plan, pace="1/hour", max_seconds=1)
        assert run == PlanRun("deadline", 1)
        assert plan.status() == PlanStatus(1, 1, 0, 0, 0)
