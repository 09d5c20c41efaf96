//! Login end to end with the test playing the browser (OAuth 2.0 PKCE) and typing the PIN
//! (OAuth 1.0a); profiles on disk; logout; two processes sharing one profile across a token
//! rotation.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;

use serde_json::{json, Value};
use support::*;

fn mode(p: &std::path::Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn read_json(p: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

#[test]
fn pkce_login_then_commands_then_logout() {
    let redirect = format!("http://127.0.0.1:{}/callback", free_port());
    let emu = Emulator::with_redirect(&redirect);
    let home = Home::new();
    let r = home.login_pkce(&emu, &redirect, "default", "alice");
    r.expect(0);
    let v = r.json();
    let url = v[0]["authorize_url"].as_str().unwrap();
    assert!(url.starts_with(&format!(
        "{}/i/oauth2/authorize?response_type=code&client_id=demo-client-id&redirect_uri=",
        emu.base
    )));
    assert!(url.contains(
        "&scope=tweet.read%20users.read%20follows.read%20follows.write%20offline.access&"
    ));
    assert!(url.contains("&code_challenge_method=S256"));
    assert_eq!(
        v[1],
        json!({"logged_in": true, "profile": "default", "auth": "oauth2", "id": ALICE,
               "username": "alice", "name": "Alice"})
    );
    assert_eq!(v.len(), 2);

    let dir = home.profile_dir();
    let profile = dir.join("default.json");
    let tokens = dir.join("default.tokens.json");
    assert_eq!(mode(&profile), 0o600);
    assert_eq!(mode(&tokens), 0o600);
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(
        read_json(&profile),
        json!({"version": 1, "auth": "oauth2", "base_url": emu.base, "user_id": ALICE,
               "username": "alice", "client_id": "demo-client-id"})
    );
    let set = read_json(&tokens);
    let access = set["access_token"].as_str().unwrap().to_owned();
    let refresh = set["refresh_token"].as_str().unwrap().to_owned();
    for secret in [&access, &refresh] {
        assert!(!r.stdout.contains(secret.as_str()) && !r.stderr.contains(secret.as_str()));
    }

    // The profile is the default: no flag, no variable (its base URL is kept in it).
    let r = home.run(&["whoami"], &[]);
    r.expect(0);
    assert_eq!(
        r.stdout,
        format!("@alice ({ALICE}) Alice [profile default, oauth2]\n")
    );
    home.run(&["follow", "@erin"], &[]).expect(0);
    assert!(emu.follows(ALICE, ERIN));
    let r = home.run(&["--json", "status"], &[]);
    r.expect(0);
    assert_eq!(
        r.json()[0],
        json!({"type": "user", "id": ALICE, "username": "alice", "profile": "default", "auth": "oauth2"})
    );
    assert_eq!(r.json()[1]["used"], 1);

    let r = home.run(&["--json", "logout"], &[]);
    r.expect(0);
    assert_eq!(
        r.json(),
        vec![json!({"logged_out": true, "profile": "default", "revoked": true})]
    );
    assert!(!profile.exists() && !tokens.exists());
    // The revoked token is refused by the server.
    let r = home.run(
        &["--base-url", &emu.base, "whoami"],
        &[("X_OAUTH2_ACCESS_TOKEN", &access)],
    );
    r.expect(4);
    home.run(&["whoami"], &[]).expect(4);
}

#[test]
fn pin_login_then_commands_then_logout() {
    let emu = Emulator::start();
    let home = Home::new();
    let r = home.login_pin(&emu, "erin", "erin");
    r.expect(0);
    let lines = r.lines();
    assert_eq!(lines.len(), 2, "{r:?}");
    assert_eq!(
        lines[1],
        format!("logged in as @erin ({ERIN}): profile erin, oauth1")
    );
    assert!(r.stderr.contains("PIN: "), "{}", r.stderr);
    let file = home.profile_dir().join("erin.json");
    assert_eq!(mode(&file), 0o600);
    let p = read_json(&file);
    assert_eq!(p["auth"], "oauth1");
    assert_eq!(p["user_id"], ERIN);
    assert_eq!(p["consumer_key"], "demo-consumer-key");
    let token = p["access_token"].as_str().unwrap();
    assert!(token.starts_with(&format!("{ERIN}-")), "{token}");
    assert!(!r.stdout.contains(token) && !r.stderr.contains(token));

    let r = home.run(&["--profile", "erin", "--json", "follow", "@bob"], &[]);
    r.expect(0);
    assert_eq!(r.json()[0]["outcome"], "followed");
    assert!(emu.follows(ERIN, BOB));
    // XFOLLOW_PROFILE names it too.
    let r = home.run(&["whoami"], &[("XFOLLOW_PROFILE", "erin")]);
    r.expect(0);
    assert_eq!(
        r.stdout,
        format!("@erin ({ERIN}) Erin [profile erin, oauth1]\n")
    );
    let r = home.run(&["--profile", "erin", "logout"], &[]);
    r.expect(0);
    assert_eq!(
        r.stdout,
        "logged out: profile erin deleted (OAuth 1.0a tokens stay valid until you revoke the app in your X settings)\n"
    );
    assert!(!file.exists());
}

#[test]
fn logout_keeps_the_profile_when_revoking_fails() {
    let redirect = format!("http://127.0.0.1:{}/callback", free_port());
    let emu = Emulator::with_redirect(&redirect);
    let home = Home::new();
    home.login_pkce(&emu, &redirect, "p1", "alice").expect(0);
    emu.fault(json!({"route": "/2/oauth2/revoke", "kind": "status", "status": 503, "count": 10}));
    let r = home.run(&["--profile", "p1", "logout"], &[]);
    r.expect(1);
    assert!(
        r.stderr
            .trim_end()
            .ends_with("; profile p1 kept (xfollow logout --force deletes it without revoking)"),
        "{}",
        r.stderr
    );
    assert!(home.profile_dir().join("p1.json").exists());
    let r = home.run(&["--profile", "p1", "--json", "logout", "--force"], &[]);
    r.expect(0);
    assert_eq!(r.json()[0]["revoked"], false);
    assert!(!home.profile_dir().join("p1.json").exists());
}

#[test]
fn two_processes_share_one_profile_across_a_token_rotation() {
    let redirect = format!("http://127.0.0.1:{}/callback", free_port());
    let emu = Emulator::with_redirect(&redirect);
    let home = Home::new();
    home.login_pkce(&emu, &redirect, "shared", "alice")
        .expect(0);
    let tokens = home.profile_dir().join("shared.tokens.json");
    let before = read_json(&tokens);
    // Every access token issued so far is now expired on the server: the next request of
    // each process gets a 401 and the profile's refresh token has to be used, once.
    emu.advance(7300);
    let spawn = |target: &str| {
        home.cmd(&["--profile", "shared", "--json", "follow", target], &[])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(BOB), spawn(ERIN));
    let (a, b) = (
        Run::from(a.wait_with_output().unwrap()),
        Run::from(b.wait_with_output().unwrap()),
    );
    // A refresh token used twice would be refused (exit 4).
    a.expect(0);
    b.expect(0);
    assert_eq!(a.json()[0]["outcome"], "followed");
    assert_eq!(b.json()[0]["outcome"], "followed");
    assert!(emu.follows(ALICE, BOB) && emu.follows(ALICE, ERIN));
    let after = read_json(&tokens);
    assert_ne!(after["access_token"], before["access_token"]);
    assert_ne!(after["refresh_token"], before["refresh_token"]);
    assert_eq!(mode(&tokens), 0o600);
    // The rotated set in the profile is the live one: a later run (a cron job) uses it.
    home.run(&["--profile", "shared", "whoami"], &[]).expect(0);
    assert_eq!(read_json(&tokens)["refresh_token"], after["refresh_token"]);
}
