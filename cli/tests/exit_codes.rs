//! Each exit code provoked, with its one-line message (naming the argument or file at fault)
//! on stderr and, with `--json`, its `error` object on stdout.

mod support;

use std::time::Duration;

use serde_json::json;
use support::*;

fn oauth2() -> Vec<(&'static str, &'static str)> {
    vec![("X_OAUTH2_ACCESS_TOKEN", ALICE_OAUTH2)]
}

fn one_line(r: &Run) -> &str {
    assert_eq!(r.stderr.lines().count(), 1, "{r:#?}");
    r.stderr.trim_end()
}

#[test]
fn usage_and_configuration_errors_exit_2_naming_the_argument() {
    let home = Home::new();
    let env = oauth2();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["follow", "bob"],
            "xfollow: TARGET \"bob\": a target is a user id (1 to 19 digits) or @username (1 to 15 of A-Z, a-z, 0-9, _)",
        ),
        (
            vec!["follow", "@this_is_too_long_"],
            "xfollow: TARGET \"@this_is_too_long_\": a target is a user id (1 to 19 digits) or @username (1 to 15 of A-Z, a-z, 0-9, _)",
        ),
        (
            vec!["followers", "12x"],
            "xfollow: USER \"12x\": a user is a user id (1 to 19 digits) or @username (1 to 15 of A-Z, a-z, 0-9, _)",
        ),
        (
            vec!["--timeout", "0", "whoami"],
            "xfollow: invalid value '0' for '--timeout <SECONDS>': 0 is not in 1..=600",
        ),
        (
            vec!["--base-url", "ftp://example.com", "whoami"],
            "xfollow: --base-url: invalid base URL: the scheme must be https",
        ),
        (
            vec!["--proxy", "gopher://p", "whoami"],
            "xfollow: --proxy: invalid proxy URL: expected http://, https://, socks4://, socks4a:// or socks5:// and a host",
        ),
        (
            vec!["--ca-file", "/nonexistent/ca.pem", "whoami"],
            "xfollow: --ca-file /nonexistent/ca.pem: no such file",
        ),
        (
            vec!["--quota", "postgres://x", "whoami"],
            "xfollow: --quota: invalid quota store URL: unknown scheme 'postgres': expected memory:, sqlite:PATH, redis://host:port[/db] or rediss://host:port[/db]",
        ),
        (
            vec!["--profile", "../etc", "whoami"],
            "xfollow: --profile \"../etc\": a profile name is 1 to 64 characters of A-Z, a-z, 0-9, _ and -, starting with a letter or digit",
        ),
        (
            vec!["frobnicate"],
            "xfollow: unrecognized subcommand 'frobnicate'",
        ),
        (
            vec!["follow"],
            "xfollow: the following required arguments were not provided: <TARGET>...",
        ),
        (
            vec!["login", "--oauth1", "--oauth2"],
            "xfollow: the argument '--oauth1' cannot be used with '--oauth2'",
        ),
    ];
    for (args, want) in cases {
        let r = home.run(&args, &env);
        r.expect(2);
        assert_eq!(one_line(&r), want, "{args:?}");
        assert_eq!(r.stdout, "");
    }
    // With --json, the error object too.
    let r = home.run(&["--json", "follow", "x"], &env);
    r.expect(2);
    assert_eq!(
        r.json(),
        vec![
            json!({"error": {"exit": 2, "message": "TARGET \"x\": a target is a user id (1 to 19 digits) or @username (1 to 15 of A-Z, a-z, 0-9, _)"}})
        ]
    );
    let r = home.run(&["--json", "--timeout", "x", "whoami"], &env);
    r.expect(2);
    assert_eq!(r.json()[0]["error"]["exit"], 2);
}

#[test]
fn profile_errors_exit_2_and_say_which_file_and_what_to_do() {
    let home = Home::new();
    let dir = home.profile_dir();
    let r = home.run(&["--profile", "work", "whoami"], &[]);
    r.expect(2);
    assert_eq!(
        one_line(&r),
        format!(
            "xfollow: --profile work: unknown profile (no {}/work.json); log in first: xfollow login --profile work",
            dir.display()
        )
    );
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("work.json");
    std::fs::write(&file, "{\"version\":1,").unwrap();
    set_mode(&file, 0o600);
    let r = home.run(&["--profile", "work", "whoami"], &[]);
    r.expect(2);
    assert_eq!(
        one_line(&r),
        format!(
            "xfollow: profile file {}: is not an xfollow profile (invalid JSON or fields); delete it and log in again (xfollow login --profile work)",
            file.display()
        )
    );
    std::fs::write(
        &file,
        r#"{"version":1,"auth":"oauth2","base_url":"http://127.0.0.1:1","user_id":"1","username":"a","client_id":"c"}"#,
    )
    .unwrap();
    set_mode(&file, 0o644);
    let r = home.run(&["--profile", "work", "whoami"], &[]);
    r.expect(2);
    assert_eq!(
        one_line(&r),
        format!(
            "xfollow: profile file {}: is readable or writable by others and its secrets may have leaked; run chmod 600 on it, or delete it and log in again",
            file.display()
        )
    );
    // An OAuth 2.0 profile whose token store is corrupt.
    set_mode(&file, 0o600);
    let store = dir.join("work.tokens.json");
    std::fs::write(&store, "not json").unwrap();
    set_mode(&store, 0o600);
    let r = home.run(&["--profile", "work", "whoami"], &[]);
    r.expect(2);
    let line = one_line(&r);
    assert!(
        line.starts_with("xfollow: profile work: ") && line.contains(&store.display().to_string()),
        "{line}"
    );
    // The profile is kept as it was.
    assert_eq!(std::fs::read_to_string(&store).unwrap(), "not json");
}

fn set_mode(p: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn missing_app_credentials_exit_2() {
    let home = Home::new();
    let r = home.run(&["login", "--no-browser"], &[]);
    r.expect(2);
    assert_eq!(
        one_line(&r),
        "xfollow: --client-id (or X_CLIENT_ID): missing: the OAuth 2.0 client id of your app (or use --oauth1 with a consumer key)"
    );
    let r = home.run(
        &["login", "--oauth1", "--no-browser"],
        &[("X_CONSUMER_KEY", "k")],
    );
    r.expect(2);
    assert_eq!(
        one_line(&r),
        "xfollow: --consumer-secret (or X_CONSUMER_SECRET): missing: the OAuth 1.0a consumer secret of your app"
    );
    // The secret given in the environment is never shown, not even by --help.
    let r = home.run(&["login", "--help"], &[("X_CLIENT_SECRET", "s3cr3t-value")]);
    r.expect(0);
    assert!(!r.stdout.contains("s3cr3t-value"));
}

#[test]
fn authentication_failures_exit_4() {
    let emu = Emulator::start();
    let home = Home::new();
    let r = home.run(&["--base-url", &emu.base, "whoami"], &[]);
    r.expect(4);
    assert_eq!(
        one_line(&r),
        "xfollow: not logged in: run `xfollow login`, or set X_OAUTH2_ACCESS_TOKEN, or the four OAuth 1.0a variables (X_CONSUMER_KEY, X_CONSUMER_SECRET, X_ACCESS_TOKEN, X_ACCESS_TOKEN_SECRET)"
    );
    let r = home.run(
        &["--base-url", &emu.base, "--json", "follow", BOB],
        &[("X_OAUTH2_ACCESS_TOKEN", "revoked-or-wrong")],
    );
    r.expect(4);
    assert!(
        one_line(&r).ends_with("(log in again: xfollow login)"),
        "{}",
        r.stderr
    );
    let v = r.json();
    assert_eq!(v[0]["outcome"], "error");
    assert_eq!(v[0]["error"]["kind"], "unauthorized");
    assert_eq!(v[0]["error"]["http_status"], 401);
    assert_eq!(v[0]["error"]["exit"], 4);
    assert_eq!(v[1]["error"]["exit"], 4);
    assert!(!emu.follows(ALICE, BOB));
}

#[test]
fn rate_limit_and_daily_quota_exit_3_with_the_time_it_frees() {
    let emu = Emulator::start();
    let home = Home::new();
    let reset = 2_000_000_000u64;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let reset = reset.min(now + 600);
    emu.fault(json!({
        "route": "POST /2/users/*/following", "kind": "status", "status": 429,
        "headers": {"x-rate-limit-limit": "50", "x-rate-limit-remaining": "0",
                    "x-rate-limit-reset": reset.to_string()}
    }));
    let r = home.run(
        &["--base-url", &emu.base, "--json", "follow", BOB, ERIN],
        &oauth2(),
    );
    r.expect(3);
    let v = r.json();
    assert_eq!(v.len(), 3, "{v:?}");
    assert_eq!(v[0]["outcome"], "error");
    assert_eq!(v[0]["error"]["kind"], "rate_limited");
    assert_eq!(v[0]["error"]["frees_at"], reset);
    // The run stops: the next target is not sent.
    assert_eq!(
        v[1],
        json!({"action": "follow", "target": ERIN, "id": null, "username": null, "outcome": "skipped"})
    );
    assert_eq!(v[2]["error"]["exit"], 3);
    assert_eq!(v[2]["error"]["frees_at"], reset);
    let line = one_line(&r);
    assert!(
        line.starts_with(&format!("xfollow: follow {BOB}: ")),
        "{line}"
    );
    assert!(line.ends_with(&format!(" ({reset})")), "{line}");
    assert!(line.contains("; frees at 20"), "{line}");
    assert!(!emu.follows(ALICE, ERIN));

    // X's daily cap (one follow a day in this world): refused by the server, then counted.
    let emu = Emulator::start_with(json!({"limits": {"follows_per_user_day": 1}}));
    let r = home.run(
        &["--base-url", &emu.base, "follow", BOB, ERIN, XDEV],
        &oauth2(),
    );
    r.expect(3);
    let lines = r.lines();
    assert_eq!(lines[0], format!("followed {BOB}"));
    assert!(
        lines[1].starts_with(&format!("failed {ERIN}: ")),
        "{lines:?}"
    );
    assert_eq!(lines[2], format!("skipped {XDEV} (not sent)"));
    assert!(one_line(&r).contains("; frees at "), "{}", r.stderr);
}

#[test]
fn api_and_network_failures_exit_1() {
    let emu = Emulator::start();
    let home = Home::new();
    // Three 503s: the retries are spent.
    emu.fault(json!({"route": "/2/users/me", "kind": "status", "status": 503, "count": 3}));
    let r = home.run(&["--base-url", &emu.base, "--json", "whoami"], &oauth2());
    r.expect(1);
    assert_eq!(r.json()[0]["error"]["kind"], "server");
    assert_eq!(r.json()[0]["error"]["http_status"], 503);
    // Nothing listens there.
    let port = free_port();
    let r = home.run(
        &["--base-url", &format!("http://127.0.0.1:{port}"), "whoami"],
        &oauth2(),
    );
    r.expect(1);
    assert!(
        one_line(&r).starts_with("xfollow: whoami: "),
        "{}",
        r.stderr
    );
    // TLS: the emulator's CA is not trusted without --ca-file.
    let tls = Emulator::start_tls();
    let r = home.run(&["--base-url", &tls.base, "--json", "whoami"], &oauth2());
    r.expect(1);
    assert_eq!(r.json()[0]["error"]["kind"], "tls");
    let ca = tls.ca_file.as_ref().unwrap().to_str().unwrap();
    home.run(
        &["--base-url", &tls.base, "--ca-file", ca, "whoami"],
        &oauth2(),
    )
    .expect(0);
}

#[test]
fn ctrl_c_stops_between_requests_and_exits_130() {
    let emu = Emulator::start();
    let home = Home::new();
    let r = home.interrupt_after_first_line(&emu, &["follow", BOB, ERIN, XDEV, CAROL], &oauth2());
    assert_eq!(r.code, Some(130));
    // The follow in flight finished (within its delay and a margin), nothing after it.
    assert!(r.took < Duration::from_millis(400 + 2000));
    let mut lines = r.lines;
    let err = lines.pop().unwrap();
    assert_eq!(err["error"]["exit"], 130);
    let done: Vec<&serde_json::Value> =
        lines.iter().filter(|l| l["outcome"] != "skipped").collect();
    let skipped = lines.len() - done.len();
    assert_eq!(lines.len(), 4);
    assert!(done.len() == 1 || done.len() == 2, "{lines:?}");
    assert!(skipped >= 2, "{lines:?}");
    // What was reported is what happened (each follow sent once), and the ledger counted
    // exactly that.
    let followed = done.iter().filter(|l| l["outcome"] == "followed").count() as u64;
    assert_eq!(emu.user_counter(ALICE, "follows_24h"), followed);
    let r = home.run(&["--base-url", &emu.base, "--json", "status"], &oauth2());
    r.expect(0);
    assert_eq!(r.json()[1]["used"], followed);
}
