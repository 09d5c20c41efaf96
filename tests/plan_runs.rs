//! Follow plans run against the emulator in one process: exact end states, pacing, pauses on
//! 429 and on the ledger's caps, server errors left queued, computed plans (issue 14).

mod plan_support;
mod quota_support;
mod support;

use plan_support::{follow_requests, requests_since, virtual_time};
use serde_json::json;
use std::sync::Arc;
use support::*;
use xfollow::plan::{Counts, Failure, Intent, Pace, PlanStore, RunOptions, Runner, State, Stop};
use xfollow::quota::{Clock, QuotaLimits};
use xfollow::{ErrorKind, RetryPolicy};

/// A name of its own for each test's plan in the process-wide `memory:` store.
fn unique(tag: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!("{tag}-{}", N.fetch_add(1, Ordering::Relaxed))
}

/// Alice's OAuth 1.0a client, without retries, on the virtual `clock`.
fn alice(emu: &Emulator, clock: &Arc<dyn Clock>) -> xfollow::ClientBuilder {
    emu.builder()
        .oauth1(CONSUMER_KEY, CONSUMER_SECRET, ALICE_TOKEN, ALICE_SECRET)
        .retry(RetryPolicy::never())
        .clock(clock.clone())
}

/// A new plan of Alice's in the store at `url`, named after `tag`.
fn new_plan(url: &str, tag: &str) -> xfollow::Plan {
    PlanStore::open(url)
        .unwrap()
        .create(&unique(tag), ALICE)
        .unwrap()
}

fn record_of(plan: &xfollow::Plan, target: &str) -> xfollow::plan::IntentRecord {
    let want = Intent::follow(target).unwrap();
    plan.intents()
        .unwrap()
        .into_iter()
        .find(|r| r.intent == want)
        .unwrap_or_else(|| panic!("no intent for {target}"))
}

/// Following, pending (protected), not found, suspended, already following, and usernames
/// resolved once: each intent ends in its exact state, and only what had to be sent was sent.
#[test]
fn a_mixed_plan_ends_in_exact_states_in_memory() {
    mixed_plan("memory:");
}

#[test]
fn a_mixed_plan_ends_in_exact_states_in_sqlite() {
    let dir = quota_support::TempDir::new("plan-mixed");
    mixed_plan(&format!("sqlite:{}", dir.path().join("plans.db").display()));
}

#[test]
fn a_mixed_plan_ends_in_exact_states_in_redis() {
    let redis = quota_support::RedisServer::start();
    mixed_plan(&redis.url());
}

fn mixed_plan(url: &str) {
    let emu = Emulator::start_with(json!({
        "follows": [
            {"source": BOB, "target": ALICE},
            {"source": ERIN, "target": ALICE},
            {"source": ALICE, "target": XDEV}
        ]
    }));
    let (_, clock, sleep) = virtual_time(&emu.base);
    let client = alice(&emu, &clock).build().unwrap();
    let plan = new_plan(url, "mixed");
    let added = plan
        .follow(&[
            BOB,
            CAROL,
            "9999999999",
            DAVE,
            "@erin",
            XDEV,
            "@nosuchuser",
            BOB,
        ])
        .unwrap();
    assert_eq!(added, 7, "the second follow of bob is kept once");
    assert_eq!(plan.unfollow(&["1500000000000000009"]).unwrap(), 1);
    assert_eq!(plan.status().unwrap().queued, 8);
    let dry = plan.dry_run(100).unwrap();
    assert_eq!(dry.len(), 8);
    assert_eq!(dry[0], Intent::follow(BOB).unwrap());
    assert_eq!(dry[4], Intent::follow("@erin").unwrap());
    assert_eq!(dry[7], Intent::unfollow("1500000000000000009").unwrap());
    assert!(
        requests_since(&emu.base, 0).is_empty(),
        "a dry run sends nothing"
    );

    let runner = Runner::new(
        RunOptions::new()
            .pace(Pace::per_hour(3600).unwrap())
            .clock(clock)
            .sleep(sleep),
    )
    .unwrap();
    let mut seen = Vec::new();
    let report = runner
        .run(&plan, &client, |p| {
            seen.push((p.intent.clone(), p.state, p.counts));
        })
        .unwrap();
    assert_eq!(report.stop, Stop::Finished);
    assert_eq!(report.sent, 5);
    let want = Counts {
        queued: 0,
        done: 2,
        pending: 1,
        skipped: 2,
        failed: 3,
    };
    assert_eq!(report.counts, want);
    assert_eq!(plan.status().unwrap(), want);
    assert_eq!(seen.len(), 8, "one progress call per intent");
    assert_eq!(seen.last().unwrap().2, want);
    assert_eq!(
        seen[0],
        (
            Intent::follow(BOB).unwrap(),
            State::Done,
            Counts {
                queued: 7,
                done: 1,
                ..Counts::default()
            }
        )
    );

    assert_eq!(record_of(&plan, BOB).state, State::Done);
    assert_eq!(record_of(&plan, CAROL).state, State::Pending);
    assert_eq!(record_of(&plan, XDEV).state, State::Skipped);
    let erin = record_of(&plan, "@erin");
    assert_eq!(erin.state, State::Done);
    assert_eq!(erin.resolved_id.as_deref(), Some(ERIN));
    let nf = record_of(&plan, "9999999999");
    assert_eq!(nf.state, State::Failed);
    assert_eq!(nf.failure.as_ref().unwrap().kind, ErrorKind::NotFound);
    let dave = record_of(&plan, DAVE);
    assert_eq!(
        dave.failure,
        Some(Failure {
            kind: ErrorKind::Forbidden,
            message: dave.failure.as_ref().unwrap().message.clone()
        })
    );
    assert!(dave.failure.unwrap().message.contains("suspended"));
    let nobody = record_of(&plan, "@nosuchuser");
    assert_eq!(nobody.state, State::Failed);
    assert_eq!(nobody.failure.unwrap().kind, ErrorKind::NotFound);
    assert_eq!(nobody.resolved_id, None);

    assert!(emu.follows(ALICE, BOB));
    assert!(emu.follows(ALICE, ERIN));
    assert!(emu.follows(ALICE, XDEV));
    assert!(emu.pending(ALICE, CAROL));
    let log = requests_since(&emu.base, 0);
    let sent: Vec<&str> = follow_requests(&log)
        .iter()
        .map(|r| r.target.as_deref().unwrap())
        .collect();
    assert_eq!(sent, [BOB, CAROL, "9999999999", DAVE, ERIN]);
    let lookups: Vec<&str> = log
        .iter()
        .filter(|r| r.path.starts_with("/2/users/by/username/"))
        .map(|r| r.path.as_str())
        .collect();
    assert_eq!(
        lookups,
        [
            "/2/users/by/username/erin",
            "/2/users/by/username/nosuchuser"
        ]
    );

    // A second run finds nothing to do and sends nothing.
    let before = log.len();
    let report = runner.run(&plan, &client, |_| {}).unwrap();
    assert_eq!((report.stop, report.sent), (Stop::Finished, 0));
    assert_eq!(requests_since(&emu.base, 0).len(), before);
}

/// The default pace spreads X's 400 follows a day evenly: every gap is between 216 s and
/// 1.5 times that; and the ledger's cap (5 a day here) is never passed: the run waits for
/// the window to free.
#[test]
fn pacing_follows_the_pace_within_jitter_and_never_passes_the_ledger() {
    let emu = Emulator::start();
    let (_, clock, sleep) = virtual_time(&emu.base);
    let dir = quota_support::TempDir::new("plan-pace");
    let client = alice(&emu, &clock)
        .quota_limits(QuotaLimits {
            follows_per_user: 5,
            follows_per_app: 1000,
            unfollows_per_app: 500,
        })
        .quota(format!("sqlite:{}", dir.path().join("q.db").display()))
        .build()
        .unwrap();
    let plan = new_plan("memory:", "pace");
    let targets: Vec<String> = (0..12)
        .map(|i| format!("{}", 1_700_000_000_000_000_000u64 + i))
        .collect();
    let refs: Vec<&str> = targets.iter().map(String::as_str).collect();
    plan.follow(&refs).unwrap();
    let runner = Runner::new(
        RunOptions::new()
            .check_current(false)
            .clock(clock)
            .sleep(sleep),
    )
    .unwrap();
    let report = runner.run(&plan, &client, |_| {}).unwrap();
    assert_eq!(report.stop, Stop::Finished);
    assert_eq!(report.sent, 12);
    assert_eq!(
        report.counts.failed, 12,
        "the targets do not exist: 404 each"
    );
    let log = requests_since(&emu.base, 0);
    let times: Vec<i64> = follow_requests(&log).iter().map(|r| r.time).collect();
    assert_eq!(times.len(), 12);
    let spacing = Pace::default().spacing().as_secs() as i64;
    assert_eq!(spacing, 216);
    for (i, w) in times.windows(2).enumerate() {
        let gap = w[1] - w[0];
        if i % 5 == 4 {
            // The sixth and eleventh wait for the ledger's window (a day after the first of
            // the five before them).
            assert!(gap >= 86_400 - 4 * 324 - 2, "gap {i}: {gap}");
        } else {
            assert!(
                (spacing - 1..=spacing * 3 / 2 + 1).contains(&gap),
                "gap {i}: {gap}"
            );
        }
    }
    for (i, &t) in times.iter().enumerate() {
        let in_day = times[..=i].iter().filter(|&&s| s > t - 86_400).count();
        assert!(
            in_day <= 5,
            "{in_day} follows in the 24 hours before request {i}"
        );
    }
}

/// A 429 pauses the plan until the window's reset; a deadline before it makes the run return
/// with the intent still queued. A 503 leaves the intent queued and it is sent again later.
#[test]
fn rate_limits_pause_and_server_errors_leave_intents_queued() {
    let emu = Emulator::start();
    let (_, clock, sleep) = virtual_time(&emu.base);
    let client = alice(&emu, &clock).build().unwrap();
    let plan = new_plan("memory:", "pause");
    plan.follow(&[BOB, ERIN]).unwrap();
    emu.fault(json!({"route": "POST /2/users/*/following", "kind": "status", "status": 429}));
    let options = RunOptions::new()
        .pace(Pace::per_hour(3600).unwrap())
        .check_current(false)
        .clock(clock.clone())
        .sleep(sleep);
    let runner = Runner::new(options.clone().max_seconds(60)).unwrap();
    let mut states = Vec::new();
    let report = runner
        .run(&plan, &client, |p| {
            states.push((p.intent.clone(), p.state, p.next_request_at))
        })
        .unwrap();
    assert_eq!(report.stop, Stop::Deadline);
    assert_eq!(report.counts.queued, 2);
    assert_eq!(states.len(), 1);
    assert_eq!(states[0].1, State::Queued);
    let log = requests_since(&emu.base, 0);
    let first = follow_requests(&log)[0].clone();
    assert_eq!(first.status, 429);
    let reset = xfollow::quota::epoch_secs(states[0].2);
    assert!(
        reset > first.time + 60,
        "paused until the window's reset ({reset})"
    );

    emu.fault(json!({"route": "POST /2/users/*/following", "kind": "status", "status": 503}));
    let report = Runner::new(options)
        .unwrap()
        .run(&plan, &client, |_| {})
        .unwrap();
    assert_eq!(report.stop, Stop::Finished);
    assert_eq!(report.counts.done, 2);
    let log = requests_since(&emu.base, first.seq);
    let follows = follow_requests(&log);
    let seen: Vec<(&str, u16)> = follows
        .iter()
        .map(|r| (r.target.as_deref().unwrap(), r.status))
        .collect();
    // After the 429 Bob went to the back: Erin waits for the reset, gets the 503 and goes
    // to the back in turn; then Bob, then Erin again.
    assert_eq!(seen, [(ERIN, 503), (BOB, 200), (ERIN, 200)]);
    assert!(follows[0].time >= reset, "nothing sent before the reset");
    assert!(emu.follows(ALICE, BOB) && emu.follows(ALICE, ERIN));
}

/// unfollow-non-followers (with a keep-list) and follow-back, from the lookups.
#[test]
fn computed_plans_come_from_the_lookups() {
    let emu = Emulator::start_with(json!({
        "follows": [
            {"source": BOB, "target": ALICE},
            {"source": ERIN, "target": ALICE},
            {"source": ALICE, "target": ERIN},
            {"source": ALICE, "target": XDEV},
            {"source": ALICE, "target": CAROL}
        ]
    }));
    let client = emu.alice_oauth1();
    let plan = new_plan("memory:", "computed");
    assert_eq!(
        plan.unfollow_non_followers(&client, &["@carol"]).unwrap(),
        1
    );
    assert_eq!(plan.follow_back(&client).unwrap(), 1);
    assert_eq!(
        plan.follow_back(&client).unwrap(),
        0,
        "adding twice keeps one"
    );
    let mut dry = plan.dry_run(10).unwrap();
    dry.sort_by_key(|i| i.target.to_string());
    assert_eq!(
        dry,
        [
            Intent::follow(BOB).unwrap(),
            Intent::unfollow(XDEV).unwrap()
        ]
    );
    let other = emu
        .builder()
        .oauth2_token("bob-demo-oauth2-readonly")
        .build()
        .unwrap();
    assert_eq!(
        plan.follow_back(&other).unwrap_err(),
        xfollow::PlanError::WrongClient
    );
}

/// An intent that sends nothing (skipped, or refused by the ledger) takes no pace slot: the
/// next one goes at once, or as soon as the ledger's window frees, not a pace gap later.
#[test]
fn intents_that_send_nothing_take_no_pace_slot() {
    let emu = Emulator::start_with(json!({
        "follows": [{"source": ALICE, "target": XDEV}]
    }));
    let (manual, clock, sleep) = virtual_time(&emu.base);
    let start = manual.epoch_secs();
    let dir = quota_support::TempDir::new("plan-slot");
    let quota = format!("sqlite:{}", dir.path().join("q.db").display());
    let limits = QuotaLimits {
        follows_per_user: 1,
        follows_per_app: 1000,
        unfollows_per_app: 500,
    };
    // Another process took Alice's one follow of the day 86,000 s ago: it frees in 400 s.
    let earlier = xfollow::quota::ManualClock::at_epoch(start - 86_000);
    xfollow::quota::Ledger::open_with_clock(&quota, limits, Arc::new(earlier))
        .unwrap()
        .reserve(
            &xfollow::quota::AppId::from_key(CONSUMER_KEY),
            ALICE,
            xfollow::quota::Action::Follow,
        )
        .unwrap()
        .commit();
    let client = emu
        .builder()
        .oauth1(CONSUMER_KEY, CONSUMER_SECRET, ALICE_TOKEN, ALICE_SECRET)
        .retry(RetryPolicy::never())
        .quota_limits(limits)
        .quota(quota)
        .clock(clock.clone())
        .build()
        .unwrap();
    let plan = new_plan("memory:", "slot");
    plan.follow(&[XDEV, BOB]).unwrap();
    let runner = Runner::new(
        RunOptions::new()
            .pace(Pace::per_day(2).unwrap().with_jitter(0.0).unwrap())
            .clock(clock)
            .sleep(sleep),
    )
    .unwrap();
    let mut seen = Vec::new();
    let report = runner
        .run(&plan, &client, |p| {
            seen.push((p.state, xfollow::quota::epoch_secs(p.next_request_at)))
        })
        .unwrap();
    assert_eq!(report.stop, Stop::Finished);
    assert_eq!(report.sent, 1);
    // Skipped (already following): the next request may go at once. Refused by the ledger:
    // the plan waits for the slot, not for the pace's 43,200 s.
    assert_eq!(seen[0], (State::Skipped, start));
    assert_eq!(seen[1], (State::Queued, start + 400));
    assert_eq!(seen[2].0, State::Done);
    let log = requests_since(&emu.base, 0);
    let follows = follow_requests(&log);
    assert_eq!(follows.len(), 1);
    assert!(
        (start + 400..=start + 402).contains(&follows[0].time),
        "sent at {} (start {start})",
        follows[0].time
    );
}

/// A request that fails before a follow could be sent (here the following-list lookup, its
/// connection reset) keeps the pace's wait: the plan is not retried in a loop.
#[test]
fn failures_before_sending_still_wait_for_the_pace() {
    let emu = Emulator::start();
    let (manual, clock, sleep) = virtual_time(&emu.base);
    let client = alice(&emu, &clock).build().unwrap();
    emu.fault(json!({"route": "GET /2/users/*/following", "kind": "reset", "count": 3}));
    let plan = new_plan("memory:", "reset");
    plan.follow(&[BOB]).unwrap();
    let runner = Runner::new(
        RunOptions::new()
            .pace(Pace::per_hour(60).unwrap().with_jitter(0.0).unwrap())
            .clock(clock)
            .sleep(sleep),
    )
    .unwrap();
    let start = manual.epoch_secs();
    let mut states = Vec::new();
    let report = runner
        .run(&plan, &client, |p| states.push(p.state))
        .unwrap();
    assert_eq!((report.stop, report.sent), (Stop::Finished, 1));
    assert_eq!(
        states,
        [State::Queued, State::Queued, State::Queued, State::Done]
    );
    let log = requests_since(&emu.base, 0);
    let lookups: Vec<i64> = log
        .iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/following"))
        .map(|r| r.time - start)
        .collect();
    assert_eq!(lookups.len(), 4);
    for (i, t) in lookups.iter().enumerate() {
        let want = 60 * i as i64;
        assert!((want..=want + 1).contains(t), "lookup {i} at +{t}");
    }
}

/// Alice's client on virtual time, her plan to follow bob and erin, and a runner at 60 an hour.
fn bob_and_erin(emu: &Emulator, tag: &str) -> (xfollow::Client, xfollow::Plan, Runner) {
    let (_, clock, sleep) = virtual_time(&emu.base);
    let client = alice(emu, &clock).build().unwrap();
    let plan = new_plan("memory:", tag);
    plan.follow(&[BOB, ERIN]).unwrap();
    let runner = Runner::new(
        RunOptions::new()
            .pace(Pace::per_hour(60).unwrap())
            .check_current(false)
            .clock(clock)
            .sleep(sleep),
    )
    .unwrap();
    (client, plan, runner)
}

/// Cancelling the client stops the run (the intent it was on stays queued); once the client's
/// switch is reset the same runner works again.
#[test]
fn a_cancelled_client_stops_the_run_and_the_runner_works_again_after_a_reset() {
    let emu = Emulator::start();
    let (client, plan, runner) = bob_and_erin(&emu, "cancel");
    let mut states = Vec::new();
    let report = runner
        .run(&plan, &client, |p| {
            states.push(p.state);
            client.cancel();
        })
        .unwrap();
    assert_eq!(report.stop, Stop::Cancelled);
    assert_eq!(states, [State::Done, State::Queued]);
    assert_eq!((report.counts.done, report.counts.queued), (1, 1));
    client.reset_cancel();
    let report = runner.run(&plan, &client, |_| {}).unwrap();
    assert_eq!((report.stop, report.sent), (Stop::Finished, 1));
    assert!(emu.follows(ALICE, BOB) && emu.follows(ALICE, ERIN));
}

/// A progress callback that calls `stop` ends the run after that intent and leaves the client
/// alone (not cancelled): it follows at once, and the next run sends the rest.
#[test]
fn a_progress_callback_stops_the_run_without_cancelling_the_client() {
    let emu = Emulator::start();
    let (client, plan, runner) = bob_and_erin(&emu, "stopped");
    let mut states = Vec::new();
    let report = runner
        .run(&plan, &client, |p| {
            states.push(p.state);
            p.stop();
        })
        .unwrap();
    assert_eq!((report.stop, report.sent), (Stop::Stopped, 1));
    assert_eq!(states, [State::Done]);
    assert_eq!((report.counts.done, report.counts.queued), (1, 1));
    assert!(client.follow(None, XDEV).unwrap().following);
    let report = runner.run(&plan, &client, |_| {}).unwrap();
    assert_eq!((report.stop, report.sent), (Stop::Finished, 1));
    assert!(emu.follows(ALICE, BOB) && emu.follows(ALICE, ERIN));
}

/// A run holds the intent it claimed for its next request through the pace's wait. When the
/// run stops first (its deadline passed during a slow progress callback, or it was
/// cancelled), it hands that intent back before returning: a runner started right after
/// (leases of a day) sends it at once instead of waiting for the lease to end. On every store.
#[test]
fn a_run_stopped_before_its_next_request_leaves_nothing_claimed() {
    let emu = Emulator::start();
    let (_, clock, sleep) = virtual_time(&emu.base);
    let client = alice(&emu, &clock).build().unwrap();
    let dir = quota_support::TempDir::new("plan-release");
    let redis = quota_support::RedisServer::start();
    let options = RunOptions::new()
        .pace(Pace::per_hour(60).unwrap().with_jitter(0.0).unwrap())
        .lease(std::time::Duration::from_secs(86_400))
        .check_current(false)
        .clock(clock)
        .sleep(sleep.clone());
    for url in [
        "memory:".to_string(),
        format!("sqlite:{}", dir.path().join("plans.db").display()),
        redis.url(),
    ] {
        for how in [Stop::Deadline, Stop::Cancelled] {
            let plan = new_plan(&url, "release");
            plan.follow(&[BOB, ERIN]).unwrap();
            let cancel = xfollow::Cancel::new();
            let first =
                Runner::new(options.clone().max_seconds(100).cancel(cancel.clone())).unwrap();
            let mut seen = Vec::new();
            let report = first
                .run(&plan, &client, |p| {
                    seen.push((p.intent.clone(), p.state));
                    match how {
                        // Past the deadline, with ERIN claimed for a request in 60 s.
                        Stop::Deadline => sleep(std::time::Duration::from_secs(200)),
                        _ => cancel.cancel(),
                    }
                })
                .unwrap();
            assert_eq!((report.stop, report.sent), (how, 1), "{url} {how:?}");
            assert_eq!(seen, [(Intent::follow(BOB).unwrap(), State::Done)]);
            assert_eq!(
                report.counts,
                Counts {
                    queued: 1,
                    done: 1,
                    ..Counts::default()
                }
            );
            assert_eq!(plan.dry_run(10).unwrap(), [Intent::follow(ERIN).unwrap()]);
            if how == Stop::Cancelled {
                // The pace still holds: ERIN goes 60 s after BOB.
                sleep(std::time::Duration::from_secs(60));
            }
            let second = Runner::new(options.clone().max_seconds(120)).unwrap();
            let report = second.run(&plan, &client, |_| {}).unwrap();
            assert_eq!(
                (report.stop, report.sent),
                (Stop::Finished, 1),
                "{url} {how:?}: ERIN was left claimed"
            );
            assert_eq!(report.counts.done, 2);
            assert!(emu.follows(ALICE, ERIN));
        }
    }
}

/// An intent claimed ahead is held until its send time plus two leases, and sent only with a
/// whole lease left. A runner that comes back later (here its progress callback took 200 s,
/// leases of 60 s) finds that another runner took the intent over meanwhile: it does not
/// send it again.
#[test]
fn a_runner_back_too_late_for_its_lease_does_not_send_an_intent_taken_over() {
    let emu = Emulator::start();
    let (_, clock, sleep) = virtual_time(&emu.base);
    let client = alice(&emu, &clock).build().unwrap();
    let plan = new_plan("memory:", "late");
    plan.follow(&[BOB, ERIN]).unwrap();
    let options = RunOptions::new()
        .pace(Pace::per_hour(60).unwrap().with_jitter(0.0).unwrap())
        .lease(std::time::Duration::from_secs(60))
        .check_current(false)
        .clock(clock)
        .sleep(sleep.clone());
    let first = Runner::new(options.clone()).unwrap();
    let other = Runner::new(options.max_seconds(1)).unwrap();
    let mut other_sent = None;
    let report = first
        .run(&plan, &client, |p| {
            if p.intent == &Intent::follow(BOB).unwrap() {
                // ERIN is held until +60 (its send time) + 120; at +200 it is free.
                sleep(std::time::Duration::from_secs(200));
                other_sent = Some(other.run(&plan, &client, |_| {}).unwrap().sent);
            }
        })
        .unwrap();
    assert_eq!(other_sent, Some(1), "the other runner took ERIN over");
    assert_eq!((report.stop, report.sent), (Stop::Finished, 1));
    assert_eq!(report.counts.done, 2);
    let log = requests_since(&emu.base, 0);
    let erin: Vec<_> = follow_requests(&log)
        .into_iter()
        .filter(|r| r.target.as_deref() == Some(ERIN))
        .collect();
    assert_eq!(erin.len(), 1, "ERIN requested once: {erin:?}");
}
