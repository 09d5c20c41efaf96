//! `xfollow plan ...` against the emulator: every subcommand, `--json` field by field, a
//! mixed plan's exact end states, dry runs, paces, limits, Ctrl-C and resume, computed plans.
//! Runs use `--pace 360000/hour` (10 to 15 ms between requests), so each takes well under a
//! second.

mod support;

use serde_json::{json, Value};
use support::*;

const DAVE: &str = "1500000000000000004"; // suspended
const FAST: &str = "360000/hour";

fn alice() -> Vec<(&'static str, &'static str)> {
    vec![("X_OAUTH2_ACCESS_TOKEN", ALICE_OAUTH2)]
}

fn bob_oauth1() -> Vec<(&'static str, &'static str)> {
    vec![
        ("X_CONSUMER_KEY", "demo-consumer-key"),
        ("X_CONSUMER_SECRET", "demo-consumer-secret"),
        ("X_ACCESS_TOKEN", "1500000000000000002-bobDemoAccessToken"),
        ("X_ACCESS_TOKEN_SECRET", "bob-demo-token-secret"),
    ]
}

/// `xfollow --base-url BASE --json ARGS` as alice.
fn plan(home: &Home, emu: &Emulator, args: &[&str]) -> Run {
    let mut a = vec!["--base-url", &emu.base, "--json", "plan"];
    a.extend_from_slice(args);
    home.run(&a, &alice())
}

fn status(home: &Home, emu: &Emulator, name: &str) -> Value {
    let r = plan(home, emu, &["status", name, "--intents"]);
    r.expect(0);
    let v = r.json();
    assert_eq!(v.len(), 1, "{r:#?}");
    v[0].clone()
}

/// The intents of a `status --intents` object as `(action, target, state, error kind)`.
fn states(s: &Value) -> Vec<(String, String, String, Option<String>)> {
    s["intents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["action"].as_str().unwrap().to_owned(),
                i["target"].as_str().unwrap().to_owned(),
                i["state"].as_str().unwrap().to_owned(),
                i["error"]["kind"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

fn counts(v: &Value) -> [u64; 6] {
    ["queued", "done", "pending", "skipped", "failed", "total"].map(|k| {
        v[k].as_u64()
            .unwrap_or_else(|| panic!("{k} is not an integer in {v}"))
    })
}

fn follow_requests(emu: &Emulator) -> usize {
    emu.requests()
        .iter()
        .filter(|r| r["method"] == "POST" || r["method"] == "DELETE")
        .count()
}

#[test]
fn every_subcommand_with_json_field_by_field() {
    let emu = Emulator::start();
    let home = Home::new();
    let store = format!("sqlite:{}", home.state_dir().join("plans.sqlite").display());

    let r = plan(&home, &emu, &["create", "morning"]);
    r.expect(0);
    assert_eq!(
        r.json(),
        vec![json!({
            "plan": "morning", "created": true, "source_user_id": ALICE, "store": store,
            "queued": 0, "done": 0, "pending": 0, "skipped": 0, "failed": 0, "total": 0,
        })]
    );
    // Created again: opened, not emptied.
    let r = plan(&home, &emu, &["create", "morning"]);
    r.expect(0);
    assert_eq!(r.json()[0]["created"], false);

    let r = plan(&home, &emu, &["add", "morning", BOB, "@carol", BOB]);
    r.expect(0);
    assert_eq!(
        r.json(),
        vec![json!({
            "plan": "morning", "action": "follow", "given": 3, "added": 2,
            "queued": 2, "done": 0, "pending": 0, "skipped": 0, "failed": 0, "total": 2,
        })]
    );
    let r = home.run_with_input(
        &[
            "--base-url",
            &emu.base,
            "--json",
            "plan",
            "add",
            "morning",
            "--unfollow",
            "-",
        ],
        &alice(),
        "# keep this one\n783214\n\n@erin\n",
    );
    r.expect(0);
    assert_eq!(r.json()[0]["action"], "unfollow");
    assert_eq!(r.json()[0]["given"], 2);
    assert_eq!(r.json()[0]["added"], 2);
    assert_eq!(r.json()[0]["total"], 4);

    let s = status(&home, &emu, "morning");
    assert_eq!(s["plan"], "morning");
    assert_eq!(s["source_user_id"], ALICE);
    assert_eq!(s["store"], store);
    assert_eq!(counts(&s), [4, 0, 0, 0, 0, 4]);
    assert_eq!(
        s["intents"][0],
        json!({"action": "follow", "target": "1500000000000000002", "state": "queued", "resolved_id": null})
    );
    // Without --intents: one object, counts only.
    let r = plan(&home, &emu, &["status", "morning"]);
    r.expect(0);
    assert_eq!(r.json().len(), 1);
    assert!(r.json()[0].get("intents").is_none());

    let r = plan(&home, &emu, &["create", "evening"]);
    r.expect(0);
    let r = plan(&home, &emu, &["list"]);
    r.expect(0);
    let l = r.json();
    assert_eq!(l.len(), 2);
    assert_eq!(l[0]["plan"], "evening");
    assert_eq!(l[1]["plan"], "morning");
    assert_eq!(l[1]["source_user_id"], ALICE);
    assert_eq!(l[1]["store"], store);
    assert_eq!(counts(&l[1]), [4, 0, 0, 0, 0, 4]);

    let r = plan(&home, &emu, &["drop", "evening"]);
    r.expect(0);
    assert_eq!(
        r.json(),
        vec![json!({"plan": "evening", "dropped": true, "store": store})]
    );
    let r = plan(&home, &emu, &["drop", "evening"]);
    r.expect(2);
    assert_eq!(
        r.stderr.trim_end(),
        format!("xfollow: plan evening: no such plan in {store}")
    );
    let r = plan(&home, &emu, &["list"]);
    assert_eq!(r.json().len(), 1);

    // Run: one line per intent, then the summary.
    emu.advance(0);
    let r = plan(&home, &emu, &["run", "morning", "--pace", FAST]);
    r.expect(0);
    let lines = r.json();
    assert_eq!(lines.len(), 5, "{r:#?}");
    let first = &lines[0];
    assert_eq!(first["type"], "intent");
    assert_eq!(first["plan"], "morning");
    assert_eq!(first["action"], "follow");
    assert_eq!(first["target"], BOB);
    assert_eq!(first["state"], "done");
    assert!(first["next_request_at"].as_i64().unwrap() > 1_700_000_000);
    assert_eq!(counts(first), [3, 1, 0, 0, 0, 4]);
    assert_eq!(lines[1]["target"], "@carol");
    assert_eq!(lines[1]["state"], "pending");
    // Alice follows neither: both unfollows are skipped without a request.
    assert_eq!(lines[2]["state"], "skipped");
    assert_eq!(lines[3]["state"], "skipped");
    let summary = &lines[4];
    assert_eq!(
        *summary,
        json!({
            "type": "summary", "plan": "morning", "stop": "finished", "sent": 2,
            "failed_now": 0, "frees_at": null,
            "queued": 0, "done": 1, "pending": 1, "skipped": 2, "failed": 0, "total": 4,
        })
    );
    assert!(emu.follows(ALICE, BOB));
    assert!(emu.pending(ALICE, CAROL));
    // Nothing left: a second run sends nothing and exits 0.
    let before = follow_requests(&emu);
    let r = plan(&home, &emu, &["run", "morning", "--pace", FAST]);
    r.expect(0);
    assert_eq!(r.json().len(), 1);
    assert_eq!(r.json()[0]["sent"], 0);
    assert_eq!(follow_requests(&emu), before);
}

#[test]
fn human_output_is_one_line_per_intent_and_a_summary() {
    let emu = Emulator::start();
    let home = Home::new();
    let base = ["--base-url", emu.base.as_str(), "plan"];
    let run = |args: &[&str]| {
        let mut a = base.to_vec();
        a.extend_from_slice(args);
        home.run(&a, &alice())
    };
    run(&["create", "p"]).expect(0);
    let r = run(&["add", "p", BOB, "999"]);
    r.expect(0);
    assert_eq!(
        r.stdout,
        "added 2 follows to plan p (0 already in it); 2 queued of 2\n"
    );
    let r = run(&["run", "p", "--dry-run"]);
    r.expect(0);
    assert_eq!(
        r.lines(),
        vec![
            format!("would follow {BOB}: POST /2/users/{ALICE}/following {{\"target_user_id\":\"{BOB}\"}}"),
            format!("would follow 999: POST /2/users/{ALICE}/following {{\"target_user_id\":\"999\"}}"),
            "plan p: dry run; 2 would be sent; queued 2, done 0, pending 0, skipped 0, failed 0".to_owned(),
        ]
    );
    let r = run(&["run", "p", "--pace", FAST]);
    r.expect(1);
    assert_eq!(
        r.lines(),
        vec![
            format!("followed {BOB}"),
            "failed follow 999: HTTP 404 Not Found Error: Could not find user with target_user_id: [999].".to_owned(),
            "plan p: finished; 2 sent; queued 0, done 1, pending 0, skipped 0, failed 1".to_owned(),
        ]
    );
    assert_eq!(r.stderr, "");
}

#[test]
fn a_mixed_plan_ends_in_exact_states() {
    let emu = Emulator::start();
    let home = Home::new();
    // Already following XDevelopers before the plan runs.
    home.run(&["--base-url", &emu.base, "follow", XDEV], &alice())
        .expect(0);
    plan(&home, &emu, &["create", "mixed"]).expect(0);
    plan(
        &home,
        &emu,
        &[
            "add",
            "mixed",
            BOB,
            "@carol",
            "999",
            DAVE,
            "@XDevelopers",
            "@nobody",
        ],
    )
    .expect(0);
    let before = follow_requests(&emu);
    let r = plan(&home, &emu, &["run", "mixed", "--pace", FAST]);
    // Failures (not found, suspended): exit 1, after every intent was worked.
    r.expect(1);
    let lines = r.json();
    let summary = lines.last().unwrap();
    assert_eq!(summary["stop"], "finished");
    assert_eq!(summary["failed_now"], 3);
    // Follows sent: bob, carol, 999, dave (XDevelopers was skipped, @nobody never resolved).
    assert_eq!(summary["sent"], 4);
    assert_eq!(follow_requests(&emu) - before, 4);
    let s = status(&home, &emu, "mixed");
    assert_eq!(counts(&s), [0, 1, 1, 1, 3, 6]);
    let mut got = states(&s);
    got.sort();
    let f = |t: &str, st: &str, k: Option<&str>| {
        (
            "follow".to_owned(),
            t.to_owned(),
            st.to_owned(),
            k.map(str::to_owned),
        )
    };
    let mut want = vec![
        f(BOB, "done", None),
        f("@carol", "pending", None),
        f("999", "failed", Some("not_found")),
        f(DAVE, "failed", Some("forbidden")),
        f("@XDevelopers", "skipped", None),
        f("@nobody", "failed", Some("not_found")),
    ];
    want.sort();
    assert_eq!(got, want);
    let by_target = |t: &str| {
        s["intents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["target"] == t)
            .unwrap()
            .clone()
    };
    assert_eq!(by_target("@carol")["resolved_id"], CAROL);
    assert_eq!(by_target("@XDevelopers")["resolved_id"], XDEV);
    assert_eq!(
        by_target(DAVE)["error"]["message"],
        "HTTP 403 Forbidden: You cannot follow an account that is suspended."
    );
    assert!(emu.follows(ALICE, BOB));
    assert!(emu.pending(ALICE, CAROL));
    assert!(!emu.follows(ALICE, CAROL));
    assert!(!emu.follows(ALICE, DAVE));
    assert!(emu.follows(ALICE, XDEV));
}

#[test]
fn a_dry_run_sends_nothing() {
    let emu = Emulator::start();
    let home = Home::new();
    plan(&home, &emu, &["create", "d"]).expect(0);
    plan(&home, &emu, &["add", "d", BOB, "@carol"]).expect(0);
    plan(&home, &emu, &["add", "d", "--unfollow", ERIN]).expect(0);
    let before = emu.requests().len();
    let r = plan(&home, &emu, &["run", "d", "--dry-run", "--pace", FAST]);
    r.expect(0);
    let lines = r.json();
    assert_eq!(
        lines[0],
        json!({
            "type": "intent", "plan": "d", "action": "follow", "target": BOB, "state": "queued",
            "request": {"method": "POST", "path": format!("/2/users/{ALICE}/following"),
                        "body": {"target_user_id": BOB}},
        })
    );
    assert_eq!(lines[1]["target"], "@carol");
    assert_eq!(lines[1]["request"], Value::Null);
    assert_eq!(
        lines[2]["request"],
        json!({"method": "DELETE", "path": format!("/2/users/{ALICE}/following/{ERIN}"), "body": null})
    );
    assert_eq!(lines[3]["stop"], "dry_run");
    assert_eq!(lines[3]["sent"], 0);
    assert_eq!(counts(&lines[3]), [3, 0, 0, 0, 0, 3]);
    // Not a request of any kind, and the plan is as it was.
    assert_eq!(emu.requests().len(), before);
    assert_eq!(
        emu.state()["counters"]["users"][ALICE]["follow_requests"],
        0
    );
    assert_eq!(counts(&status(&home, &emu, "d")), [3, 0, 0, 0, 0, 3]);
}

#[test]
fn bad_paces_names_targets_and_plans_exit_2() {
    let emu = Emulator::start();
    let home = Home::new();
    plan(&home, &emu, &["create", "p"]).expect(0);
    let pace_msg =
        "invalid pace: expected N/hour (N up to 360000) or N/day (N up to 8640000), jitter 0 to 1";
    let cases: Vec<(Vec<&str>, String)> = vec![
        (vec!["run", "p", "--pace", "0/day"], format!("xfollow: --pace \"0/day\": {pace_msg}")),
        (vec!["run", "p", "--pace", "10"], format!("xfollow: --pace \"10\": {pace_msg}")),
        (vec!["run", "p", "--pace", "5/week"], format!("xfollow: --pace \"5/week\": {pace_msg}")),
        (vec!["run", "p", "--pace", "360001/hour"], format!("xfollow: --pace \"360001/hour\": {pace_msg}")),
        (vec!["run", "p", "--pace", "-1/day"], format!("xfollow: --pace \"-1/day\": {pace_msg}")),
        (
            vec!["run", "p", "--max-seconds", "0"],
            "xfollow: invalid value '0' for '--max-seconds <S>': 0 is not in 1..=2592000".to_owned(),
        ),
        (
            vec!["run", "nope"],
            format!(
                "xfollow: plan nope: no such plan in sqlite:{} (create it: xfollow plan create nope; a plan created with --store is found with the same --store)",
                home.state_dir().join("plans.sqlite").display()
            ),
        ),
        (
            vec!["status", "a/b"],
            "xfollow: NAME \"a/b\": invalid plan name: expected 1 to 64 ASCII letters, digits, '_', '-' or '.'".to_owned(),
        ),
        (
            vec!["add", "p", "bob"],
            "xfollow: TARGET \"bob\": a target is a user id (1 to 19 digits) or @username (1 to 15 of A-Z, a-z, 0-9, _)".to_owned(),
        ),
        (
            vec!["create", "p", "--store", "postgres://x"],
            "xfollow: --store postgres://x: invalid plan store URL: unknown scheme 'postgres': expected memory:, sqlite:PATH, redis://host:port[/db] or rediss://host:port[/db]".to_owned(),
        ),
    ];
    for (args, want) in cases {
        let r = plan(&home, &emu, &args);
        r.expect(2);
        assert_eq!(r.stderr.trim_end(), want, "{args:?}");
        let j = r.json();
        assert_eq!(j.last().unwrap()["error"]["exit"], 2, "{args:?}");
    }
    // Another user's credentials cannot run alice's plan.
    plan(&home, &emu, &["add", "p", ERIN]).expect(0);
    let r = home.run(
        &["--base-url", &emu.base, "plan", "run", "p", "--pace", FAST],
        &bob_oauth1(),
    );
    r.expect(2);
    assert_eq!(
        r.stderr.trim_end(),
        format!("xfollow: plan p: is for user {ALICE}; these credentials are another user's (choose --profile)")
    );
    assert_eq!(follow_requests(&emu), 0);
}

/// Plan `name` (follow bob, then erin) run with `--max-seconds 2` in a world with `limits`,
/// which allow one follow: it exits 3. The emulator, the home, the run and the emulator's
/// clock before it.
fn run_into_a_limit(limits: Value, name: &str) -> (Emulator, Home, Run, i64) {
    let emu = Emulator::start_with(json!({ "limits": limits }));
    let home = Home::new();
    plan(&home, &emu, &["create", name]).expect(0);
    plan(&home, &emu, &["add", name, BOB, ERIN]).expect(0);
    let now = emu.state()["now"].as_i64().unwrap();
    let r = plan(
        &home,
        &emu,
        &["run", name, "--pace", FAST, "--max-seconds", "2"],
    );
    r.expect(3);
    (emu, home, r, now)
}

#[test]
fn a_rate_limit_with_max_seconds_exits_3_with_the_time_it_frees() {
    // One follow per 15-minute window.
    let (emu, home, r, now) = run_into_a_limit(json!({"follow_per_15min": 1}), "slow");
    let lines = r.json();
    assert_eq!(lines[0]["state"], "done");
    assert_eq!(lines[1]["target"], ERIN);
    assert_eq!(lines[1]["state"], "queued");
    let summary = &lines[2];
    assert_eq!(summary["stop"], "deadline");
    assert_eq!(counts(summary), [1, 1, 0, 0, 0, 2]);
    let frees = summary["frees_at"].as_i64().unwrap();
    assert!(frees > now && frees <= now + 901, "{frees} vs {now}");
    let err = &lines[3]["error"];
    assert_eq!(err["exit"], 3);
    assert_eq!(err["frees_at"], frees);
    assert!(
        r.stderr.contains(
            "xfollow: plan slow: rate-limited or out of daily quota with 1 intents left; frees at "
        ) && r.stderr.trim_end().ends_with(&format!("({frees})")),
        "{}",
        r.stderr
    );
    // Run again at once: the plan is still paused; nothing is sent, exit 3 again.
    let before = follow_requests(&emu);
    let r = plan(
        &home,
        &emu,
        &["run", "slow", "--pace", FAST, "--max-seconds", "1"],
    );
    r.expect(3);
    assert_eq!(follow_requests(&emu), before);
    assert!(!emu.follows(ALICE, ERIN));
}

#[test]
fn the_daily_cap_with_max_seconds_exits_3_with_the_time_it_frees() {
    // One follow per user and day.
    let (emu, _home, r, now) = run_into_a_limit(json!({"follows_per_user_day": 1}), "capped");
    let lines = r.json();
    let summary = &lines[lines.len() - 2];
    assert_eq!(summary["stop"], "deadline");
    assert_eq!(counts(summary), [1, 1, 0, 0, 0, 2]);
    let frees = summary["frees_at"].as_i64().unwrap();
    assert!(
        frees > now + 86_000 && frees <= now + 86_401,
        "{frees} vs {now}"
    );
    assert_eq!(lines.last().unwrap()["error"]["frees_at"], frees);
    assert!(emu.follows(ALICE, BOB));
    assert!(!emu.follows(ALICE, ERIN));
}

#[test]
fn an_interrupted_run_exits_130_and_the_next_run_resumes() {
    let emu = Emulator::start();
    let home = Home::new();
    plan(&home, &emu, &["create", "long"]).expect(0);
    plan(&home, &emu, &["add", "long", BOB, ERIN, XDEV, CAROL]).expect(0);
    let r =
        home.interrupt_after_first_line(&emu, &["plan", "run", "long", "--pace", FAST], &alice());
    assert_eq!(r.code, Some(130));
    let lines = r.lines;
    let err = lines.last().unwrap();
    assert_eq!(err["error"]["exit"], 130);
    let summary = &lines[lines.len() - 2];
    assert_eq!(summary["stop"], "interrupted");
    // The follow in flight finished and was recorded; nothing was sent after it.
    let worked = lines.len() - 2;
    assert!(worked == 1 || worked == 2, "{lines:?}");
    let done = summary["done"].as_u64().unwrap() + summary["pending"].as_u64().unwrap();
    assert_eq!(done, worked as u64);
    assert_eq!(summary["queued"], 4 - worked as u64);
    assert_eq!(follow_requests(&emu), worked);

    // The next run sends the rest, each once.
    let r = plan(&home, &emu, &["run", "long", "--pace", FAST]);
    r.expect(0);
    let s = status(&home, &emu, "long");
    assert_eq!(counts(&s), [0, 3, 1, 0, 0, 4]);
    assert_eq!(follow_requests(&emu), 4);
    for t in [BOB, ERIN, XDEV] {
        assert!(emu.follows(ALICE, t), "{t}");
    }
    assert!(emu.pending(ALICE, CAROL));
}

#[test]
fn unfollow_non_followers_spares_the_keep_list() {
    // Alice follows bob and erin (who follow her back), XDevelopers and carol (who do not).
    let emu = Emulator::start_with(json!({"follows": [
        {"source": BOB, "target": ALICE},
        {"source": ERIN, "target": ALICE},
        {"source": ALICE, "target": BOB},
        {"source": ALICE, "target": ERIN},
        {"source": ALICE, "target": XDEV},
        {"source": ALICE, "target": CAROL},
    ]}));
    let home = Home::new();
    plan(&home, &emu, &["create", "tidy"]).expect(0);
    let keep = home.dir.join("keep.txt");
    let unfollow_non_followers = || {
        plan(
            &home,
            &emu,
            &[
                "unfollow-non-followers",
                "tidy",
                "--keep",
                keep.to_str().unwrap(),
            ],
        )
    };
    std::fs::write(&keep, "# never unfollow\n@xdevelopers\n").unwrap();
    let r = unfollow_non_followers();
    r.expect(0);
    assert_eq!(
        r.json(),
        vec![json!({
            "plan": "tidy", "action": "unfollow", "added": 1,
            "queued": 1, "done": 0, "pending": 0, "skipped": 0, "failed": 0, "total": 1,
        })]
    );
    let s = status(&home, &emu, "tidy");
    assert_eq!(
        states(&s),
        vec![("unfollow".into(), CAROL.into(), "queued".into(), None)]
    );
    // A bad keep file names the file and the line.
    std::fs::write(&keep, "123\nnot a target\n").unwrap();
    let r = unfollow_non_followers();
    r.expect(2);
    assert_eq!(
        r.stderr.trim_end(),
        format!(
            "xfollow: --keep {} line 2 \"not a target\": a target is a user id (1 to 19 digits) or @username (1 to 15 of A-Z, a-z, 0-9, _)",
            keep.display()
        )
    );
    let r = plan(&home, &emu, &["run", "tidy", "--pace", FAST]);
    r.expect(0);
    assert!(!emu.follows(ALICE, CAROL));
    assert!(emu.follows(ALICE, XDEV));
    assert!(emu.follows(ALICE, BOB));
    assert!(emu.follows(ALICE, ERIN));
}

#[test]
fn follow_back_follows_the_followers_not_followed_yet() {
    // Bob and erin follow alice; she follows bob already.
    let emu = Emulator::start_with(json!({"follows": [
        {"source": BOB, "target": ALICE},
        {"source": ERIN, "target": ALICE},
        {"source": ALICE, "target": BOB},
    ]}));
    let home = Home::new();
    plan(&home, &emu, &["create", "back"]).expect(0);
    let r = plan(&home, &emu, &["follow-back", "back"]);
    r.expect(0);
    assert_eq!(
        r.json(),
        vec![json!({
            "plan": "back", "action": "follow", "added": 1,
            "queued": 1, "done": 0, "pending": 0, "skipped": 0, "failed": 0, "total": 1,
        })]
    );
    plan(&home, &emu, &["run", "back", "--pace", FAST]).expect(0);
    assert!(emu.follows(ALICE, ERIN));
    assert_eq!(
        states(&status(&home, &emu, "back")),
        vec![("follow".into(), ERIN.into(), "done".into(), None)]
    );
}

#[test]
fn a_store_given_to_create_is_remembered_until_the_plan_is_dropped() {
    let emu = Emulator::start();
    let home = Home::new();
    let file = home.dir.join("elsewhere.sqlite");
    let url = format!("sqlite:{}", file.display());
    let r = plan(&home, &emu, &["create", "away", "--store", &url]);
    r.expect(0);
    assert_eq!(r.json()[0]["store"], url);
    // No --store: the remembered one.
    plan(&home, &emu, &["add", "away", BOB]).expect(0);
    assert_eq!(status(&home, &emu, "away")["store"], url);
    let remembered = std::fs::read_to_string(home.state_dir().join("plan-stores.json")).unwrap();
    assert!(remembered.contains(&url), "{remembered}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(home.state_dir().join("plan-stores.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // list shows it beside the default store's plans.
    plan(&home, &emu, &["create", "home"]).expect(0);
    let l = plan(&home, &emu, &["list"]).json();
    let names: Vec<&str> = l.iter().map(|p| p["plan"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["home", "away"]);
    assert_eq!(l[1]["store"], url);
    assert_eq!(l[1]["total"], 1);
    plan(&home, &emu, &["drop", "away"]).expect(0);
    let l = plan(&home, &emu, &["list"]).json();
    assert_eq!(l.len(), 1);
    plan(&home, &emu, &["status", "away"]).expect(2);
    // memory: keeps a plan for one process: a warning, and nothing remembered.
    let r = plan(&home, &emu, &["create", "brief", "--store", "memory:"]);
    r.expect(0);
    assert_eq!(
        r.stderr,
        "xfollow: warning: a memory: store keeps the plan for this process only\n"
    );
    assert_eq!(r.json()[0]["store"], "memory:");
    plan(&home, &emu, &["status", "brief"]).expect(2);
    // A Redis password never shows.
    let r = plan(
        &home,
        &emu,
        &["status", "x", "--store", "redis://:hunter2@127.0.0.1:1/0"],
    );
    assert!(
        !r.stderr.contains("hunter2") && !r.stdout.contains("hunter2"),
        "{r:#?}"
    );
    assert!(
        r.stderr
            .starts_with("xfollow: --store redis://<redacted>@127.0.0.1:1/0: "),
        "{r:#?}"
    );
}
