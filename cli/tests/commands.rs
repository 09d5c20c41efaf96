//! Every command against the emulator, with credentials from the environment (both auth
//! modes), human output line by line and `--json` field by field.

mod support;

use serde_json::{json, Value};
use support::*;

fn oauth1_env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("X_CONSUMER_KEY", "demo-consumer-key"),
        ("X_CONSUMER_SECRET", "demo-consumer-secret"),
        ("X_ACCESS_TOKEN", ALICE_TOKEN),
        ("X_ACCESS_TOKEN_SECRET", ALICE_SECRET),
    ]
}

fn oauth2_env() -> Vec<(&'static str, &'static str)> {
    vec![("X_OAUTH2_ACCESS_TOKEN", ALICE_OAUTH2)]
}

#[test]
fn whoami_in_both_auth_modes() {
    let emu = Emulator::start();
    let home = Home::new();
    for (env, auth) in [(oauth2_env(), "oauth2"), (oauth1_env(), "oauth1")] {
        let r = home.run(&["--base-url", &emu.base, "whoami"], &env);
        r.expect(0);
        assert_eq!(
            r.stdout,
            format!("@alice ({ALICE}) Alice [environment, {auth}]\n")
        );
        let r = home.run(&["--base-url", &emu.base, "--json", "whoami"], &env);
        r.expect(0);
        assert_eq!(
            r.json(),
            vec![
                json!({"id": ALICE, "username": "alice", "name": "Alice", "auth": auth, "profile": null})
            ]
        );
    }
    // X_API_BASE_URL works as --base-url does.
    let mut env = oauth2_env();
    env.push(("X_API_BASE_URL", &emu.base));
    home.run(&["whoami"], &env).expect(0);
}

#[test]
fn follow_and_unfollow_print_each_outcome() {
    let emu = Emulator::start();
    let home = Home::new();
    let b = emu.base.as_str();
    let r = home.run(
        &[
            "--base-url",
            b,
            "follow",
            "@bob",
            CAROL,
            "@nobody",
            "99",
            "@BOB",
        ],
        &oauth1_env(),
    );
    // A target not found fails the run (exit 1); the others are done.
    r.expect(1);
    assert_eq!(
        r.lines(),
        vec![
            format!("followed @bob ({BOB})"),
            format!("pending {CAROL}"),
            "not found @nobody".to_owned(),
            "not found 99: HTTP 404 Not Found Error: Could not find user with target_user_id: [99]."
                .to_owned(),
            format!("already following @bob ({BOB}) (earlier in this run)"),
        ]
    );
    assert!(emu.follows(ALICE, BOB));
    assert!(emu.pending(ALICE, CAROL));
    // @bob and @BOB: one follow, and one lookup (two in all, with @nobody's).
    assert_eq!(emu.user_counter(ALICE, "follows_24h"), 2);
    let r = home.run(&["--base-url", b, "--json", "status"], &oauth1_env());
    let lookups = r
        .json()
        .into_iter()
        .find(|v| v["endpoint"] == "user_by_username")
        .unwrap();
    assert_eq!(
        lookups["limit"].as_u64().unwrap() - lookups["remaining"].as_u64().unwrap(),
        2
    );

    let r = home.run(&["--base-url", b, "unfollow", "@bob"], &oauth2_env());
    r.expect(0);
    assert_eq!(r.stdout, format!("unfollowed @bob ({BOB})\n"));
    assert!(!emu.follows(ALICE, BOB));
}

#[test]
fn follow_json_fields() {
    let emu = Emulator::start();
    let home = Home::new();
    let r = home.run(
        &[
            "--base-url",
            &emu.base,
            "--json",
            "follow",
            "@bob",
            CAROL,
            "@nobody",
        ],
        &oauth2_env(),
    );
    r.expect(1);
    let v = r.json();
    assert_eq!(v.len(), 3);
    assert_eq!(
        v[0],
        json!({"action": "follow", "target": "@bob", "id": BOB, "username": "bob",
               "outcome": "followed", "following": true, "pending_follow": false})
    );
    assert_eq!(
        v[1],
        json!({"action": "follow", "target": CAROL, "id": CAROL, "username": null,
               "outcome": "pending", "following": false, "pending_follow": true})
    );
    assert_eq!(
        v[2],
        json!({"action": "follow", "target": "@nobody", "id": null, "username": null,
               "outcome": "not_found"})
    );
    // A failed target carries the error object.
    let r = home.run(
        &["--base-url", &emu.base, "--json", "unfollow", "99"],
        &oauth2_env(),
    );
    r.expect(1);
    let v = r.json();
    assert_eq!(v.len(), 1);
    assert_eq!(v[0]["outcome"], "not_found");
    let e = &v[0]["error"];
    assert_eq!(e["exit"], 1);
    assert_eq!(e["kind"], "not_found");
    assert_eq!(e["http_status"], 404);
    assert_eq!(e["may_have_reached_server"], true);
    assert_eq!(
        e["detail"],
        "Could not find user with target_user_id: [99]."
    );
    assert_eq!(
        e["message"],
        "unfollow 99: HTTP 404 Not Found Error: Could not find user with target_user_id: [99]."
    );
}

#[test]
fn targets_from_stdin_and_dry_run_send_nothing() {
    let emu = Emulator::start();
    let home = Home::new();
    let r = home.run_with_input(
        &["--base-url", &emu.base, "follow", "--dry-run", XDEV, "-"],
        &oauth1_env(),
        "# my list\n@bob\n\n  @erin  \n",
    );
    r.expect(0);
    let path = format!("/2/users/{ALICE}/following");
    assert_eq!(
        r.lines(),
        vec![
            format!("would follow {XDEV}: POST {path} {{\"target_user_id\":\"{XDEV}\"}}"),
            format!("would follow @bob ({BOB}): POST {path} {{\"target_user_id\":\"{BOB}\"}}"),
            format!("would follow @erin ({ERIN}): POST {path} {{\"target_user_id\":\"{ERIN}\"}}"),
        ]
    );
    let r = home.run(
        &[
            "--base-url",
            &emu.base,
            "--json",
            "unfollow",
            "--dry-run",
            "@bob",
        ],
        &oauth2_env(),
    );
    r.expect(0);
    assert_eq!(
        r.json(),
        vec![
            json!({"action": "unfollow", "target": "@bob", "id": BOB, "username": "bob",
                    "outcome": "would_unfollow",
                    "request": {"method": "DELETE", "path": format!("{path}/{BOB}"), "body": null}})
        ]
    );
    assert_eq!(emu.user_counter(ALICE, "follows_24h"), 0);
    assert!(emu.state()["follows"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["source"] != ALICE || (e["target"] != BOB && e["target"] != ERIN)));
}

#[test]
fn status_shows_the_ledger_and_the_last_known_windows() {
    let emu = Emulator::start();
    let home = Home::new();
    let b = emu.base.as_str();
    home.run(&["--base-url", b, "follow", "@bob", ERIN], &oauth1_env())
        .expect(0);
    home.run(&["--base-url", b, "unfollow", ERIN], &oauth1_env())
        .expect(0);
    let r = home.run(&["--base-url", b, "--json", "status"], &oauth1_env());
    r.expect(0);
    let v = r.json();
    assert_eq!(
        v[0],
        json!({"type": "user", "id": ALICE, "username": null, "profile": null, "auth": "oauth1"})
    );
    let quota: Vec<&Value> = v.iter().filter(|x| x["type"] == "quota").collect();
    assert_eq!(
        quota,
        vec![
            &json!({"type": "quota", "window": "follows_user", "used": 2, "limit": 400, "remaining": 398, "next_free_at": null}),
            &json!({"type": "quota", "window": "follows_app", "used": 2, "limit": 1000, "remaining": 998, "next_free_at": null}),
            &json!({"type": "quota", "window": "unfollows_app", "used": 1, "limit": 500, "remaining": 499, "next_free_at": null}),
        ]
    );
    let windows: Vec<&Value> = v.iter().filter(|x| x["type"] == "rate_limit").collect();
    let find = |ep: &str, w: &str| {
        windows
            .iter()
            .find(|x| x["endpoint"] == ep && x["window"] == w)
            .unwrap_or_else(|| panic!("no {ep} {w} in {windows:?}"))
    };
    // The emulator's follow window is 50 per 15 minutes; two follows were made.
    let f = find("follow", "endpoint");
    assert_eq!(
        (f["limit"].as_u64(), f["remaining"].as_u64()),
        (Some(50), Some(48))
    );
    assert!(f["reset"].as_u64().unwrap() > f["seen_at"].as_u64().unwrap());
    let u = find("follow", "user_24h");
    assert_eq!(
        (u["limit"].as_u64(), u["remaining"].as_u64()),
        (Some(400), Some(398))
    );
    let un = find("unfollow", "endpoint");
    assert_eq!(un["remaining"].as_u64(), Some(49));
    find("user_by_username", "endpoint");
    // The ledger is an SQLite file in the state directory.
    assert!(home.state_dir().join("quota.sqlite").exists());

    let r = home.run(&["--base-url", b, "status"], &oauth1_env());
    r.expect(0);
    let lines = r.lines();
    assert_eq!(lines[0], format!("user {ALICE}, environment [oauth1]"));
    assert_eq!(
        lines[1],
        "quota (24 h)       used  limit  remaining  next free"
    );
    assert_eq!(lines[2], "follows (user)        2    400        398  now");
    assert_eq!(lines[3], "follows (app)         2   1000        998  now");
    assert_eq!(lines[4], "unfollows (app)       1    500        499  now");
    assert!(lines[5].starts_with("rate limits      window     limit  remaining  resets"));
    assert!(lines
        .iter()
        .any(|l| l.starts_with("follow           endpoint      50         48  ")));

    // The windows file is a cache: a corrupt one is read as empty, and rewritten.
    let windows = home.state_dir().join("_env.windows.json");
    std::fs::write(&windows, "{\"endpoints\": 7").unwrap();
    let r = home.run(&["--base-url", b, "--json", "status"], &oauth1_env());
    r.expect(0);
    assert!(r.json().iter().all(|v| v["type"] != "rate_limit"));
    home.run(&["--base-url", b, "whoami"], &oauth1_env())
        .expect(0);
    let r = home.run(&["--base-url", b, "--json", "status"], &oauth1_env());
    let seen: Vec<Value> = r
        .json()
        .into_iter()
        .filter(|v| v["type"] == "rate_limit")
        .collect();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0]["endpoint"], "me");

    // --quota off: no ledger.
    let r = home.run(
        &["--base-url", b, "--quota", "off", "--json", "status"],
        &oauth1_env(),
    );
    r.expect(0);
    assert_eq!(
        r.json()[1],
        json!({"type": "quota", "window": null, "ledger": "off"})
    );
}

#[test]
fn followers_and_following_list_every_page() {
    let emu = Emulator::start();
    let home = Home::new();
    let b = emu.base.as_str();
    home.run(
        &["--base-url", b, "follow", "@bob", ERIN, XDEV],
        &oauth2_env(),
    )
    .expect(0);
    // One user per page: every page is fetched.
    let r = home.run(
        &["--base-url", b, "--json", "following", "--page-size", "1"],
        &oauth2_env(),
    );
    r.expect(0);
    let mut ids: Vec<String> = r
        .json()
        .iter()
        .map(|u| {
            assert_eq!(u.as_object().unwrap().len(), 3, "{u}");
            assert!(u["username"].is_string() && u["name"].is_string());
            u["id"].as_str().unwrap().to_owned()
        })
        .collect();
    ids.sort();
    let mut want = vec![BOB.to_owned(), ERIN.to_owned(), XDEV.to_owned()];
    want.sort();
    assert_eq!(ids, want);
    let r = home.run(&["--base-url", b, "followers", "@bob"], &oauth1_env());
    r.expect(0);
    assert!(
        r.lines()
            .contains(&format!("@alice ({ALICE}) Alice").as_str()),
        "{r:?}"
    );
    let r = home.run(
        &["--base-url", b, "--json", "followers", ERIN],
        &oauth1_env(),
    );
    r.expect(0);
    assert!(r
        .json()
        .contains(&json!({"id": ALICE, "username": "alice", "name": "Alice"})));
    let r = home.run(&["--base-url", b, "following", "@nobody"], &oauth1_env());
    r.expect(1);
    assert_eq!(r.stderr, "xfollow: USER @nobody: not found\n");
}

#[test]
fn completions_and_man_page_come_from_the_same_definitions() {
    let home = Home::new();
    for shell in ["bash", "zsh", "fish"] {
        let r = home.run(&["completions", shell], &[]);
        r.expect(0);
        // fish names long options without their dashes.
        for word in [
            "xfollow",
            "follow",
            "unfollow",
            "followers",
            "dry-run",
            "profile",
        ] {
            assert!(r.stdout.contains(word), "{shell} lacks {word}");
        }
    }
    let r = home.run(&["man"], &[]);
    r.expect(0);
    assert!(r.stdout.starts_with(".ie"), "{}", &r.stdout[..40]);
    assert!(r.stdout.contains(".TH xfollow 1 "));
    assert!(r.stdout.contains("\\-\\-base\\-url"));
    // Every page, one per subcommand, into a directory.
    let dir = home.dir.join("man1");
    std::fs::create_dir_all(&dir).unwrap();
    home.run(&["man", dir.to_str().unwrap()], &[]).expect(0);
    let mut pages: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    pages.sort();
    assert_eq!(
        pages,
        [
            "xfollow-completions.1",
            "xfollow-follow.1",
            "xfollow-followers.1",
            "xfollow-following.1",
            "xfollow-login.1",
            "xfollow-logout.1",
            "xfollow-plan-add.1",
            "xfollow-plan-create.1",
            "xfollow-plan-drop.1",
            "xfollow-plan-follow-back.1",
            "xfollow-plan-list.1",
            "xfollow-plan-run.1",
            "xfollow-plan-status.1",
            "xfollow-plan-unfollow-non-followers.1",
            "xfollow-plan.1",
            "xfollow-status.1",
            "xfollow-unfollow.1",
            "xfollow-whoami.1",
            "xfollow.1",
        ]
    );
    let login = std::fs::read_to_string(dir.join("xfollow-login.1")).unwrap();
    assert!(login.contains("\\-\\-no\\-browser"), "{login}");
    let r = home.run(&["completions", "tcsh"], &[]);
    r.expect(2);
    assert!(
        r.stderr
            .starts_with("xfollow: invalid value 'tcsh' for '<SHELL>'"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr.lines().count(), 1);
}
