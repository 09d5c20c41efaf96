//! Replays the X API exchanges of `tests/data/xapi/` (fixtures written from X's documented
//! behaviour; see the README there) against the emulator: same status, same body structure and
//! field types, the same values where they are facts of the world, the same content type and
//! rate-limit header values, gzip when the client asked for it.

mod common;
use base64::Engine;
use common::*;
use serde_json::{json, Map, Value};
use std::io::Read;
use std::path::PathBuf;

const TWEEPY: &str = "1072250532645998596";
const PROTECTED: &str = "1600000000000000099";
const TOKEN: &str = "1072250532645998596-replayAccessToken";
const SECRET: &str = "replay-token-secret";
const APP_BEARER: &str = "replay-app-only";

/// The fixtures the emulator answers the same way, in the order they are replayed.
const EMULATED: &[&str] = &[
    "me.json",
    "user_by_username.json",
    "user_by_username_not_found.json",
    "followers_page.json",
    "following_page.json",
    "follow_and_unfollow.json",
    "follow_and_unfollow_gzip.json",
    "follow_pending.json",
    "error_400_invalid_request.json",
    "error_401_unauthorized.json",
    "error_403_forbidden.json",
    "error_403_unsupported_authentication.json",
    "error_404_resource_not_found.json",
    "error_429_too_many_requests.json",
];

/// Fixtures for clients only: answers X gives in situations the emulator does not model
/// (the bindings' replay tests read them).
const CLIENT_ONLY: &[&str] = &[
    "error_403_client_forbidden.json",
    "error_429_legacy_code_88.json",
    "follow_partial_errors.json",
];

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .join("tests/data/xapi")
}

struct Exchange {
    file: &'static str,
    method: String,
    uri: String,
    auth: String,
    body: Option<String>,
    accept_gzip: bool,
    status: u16,
    resp_headers: Map<String, Value>,
    resp_body: Value,
}

fn str_of<'a>(v: &'a Value, what: &str) -> &'a str {
    v.as_str().unwrap_or_else(|| panic!("{what}: {v}"))
}

/// The response body, decoded from base64 and gunzipped when the fixture holds it compressed.
fn response_body(file: &str, resp: &Value) -> Value {
    let bytes = match (resp.get("body"), resp.get("body_gzip_base64")) {
        (Some(text), None) => str_of(text, file).as_bytes().to_vec(),
        (None, Some(b64)) => {
            let raw = base64::engine::general_purpose::STANDARD
                .decode(str_of(b64, file))
                .unwrap();
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&raw[..])
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(
                resp["headers"]["content-encoding"], "gzip",
                "{file}: a compressed body says so"
            );
            out
        }
        _ => panic!("{file}: a response has `body` or `body_gzip_base64`"),
    };
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{file}: body: {e}"))
}

fn load(file: &'static str) -> Vec<Exchange> {
    let path = fixtures_dir().join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc: Value = serde_json::from_str(&text).unwrap();
    let interactions = doc["interactions"].as_array().unwrap();
    assert!(!interactions.is_empty(), "{file}");
    interactions
        .iter()
        .map(|i| {
            let (req, resp) = (&i["request"], &i["response"]);
            Exchange {
                file,
                method: str_of(&req["method"], file).to_string(),
                uri: str_of(&req["uri"], file).to_string(),
                auth: str_of(&req["auth"], file).to_string(),
                body: req["body"].as_str().map(str::to_string),
                accept_gzip: req["headers"]["Accept-Encoding"]
                    .as_str()
                    .is_some_and(|v| v.contains("gzip")),
                status: resp["status"].as_u64().unwrap() as u16,
                resp_headers: resp["headers"].as_object().unwrap().clone(),
                resp_body: response_body(file, resp),
            }
        })
        .collect()
}

#[test]
fn the_fixture_folder_holds_exactly_the_known_fixtures() {
    let mut found: Vec<String> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    found.sort();
    let mut known: Vec<String> = EMULATED
        .iter()
        .chain(CLIENT_ONLY)
        .map(|s| s.to_string())
        .collect();
    known.sort();
    assert_eq!(found, known);
    // Every client-only fixture is a well-formed exchange too.
    for f in CLIENT_ONLY {
        assert_eq!(load(f).len(), 1, "{f}");
    }
}

/// A world holding the fixtures' users and follow edges, with one more follower/followee
/// than a page so that `next_token` appears as in the fixtures.
fn world(exchanges: &[Exchange]) -> String {
    let mut users = vec![
        json!({"id": TWEEPY, "username": "TweepyDev", "name": "Tweepy Testing"}),
        json!({"id": "17874544", "username": "TwitterSupport", "name": "Twitter Support"}),
        json!({"id": "783214", "username": "Twitter", "name": "Twitter"}),
        json!({"id": "2244994945", "username": "TwitterDev", "name": "Twitter Dev"}),
        json!({"id": PROTECTED, "username": "quiet_account", "name": "Quiet", "protected": true}),
    ];
    let mut seen: std::collections::HashSet<String> = users
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect();
    let mut follows = Vec::new();
    for x in exchanges {
        let followers = x.uri.ends_with("/followers");
        if !(followers || x.uri.ends_with("/following")) || x.method != "GET" || x.status != 200 {
            continue;
        }
        let owner = x.uri.rsplit('/').nth(1).unwrap().to_string();
        // Oldest edge first: the API lists newest first.
        let extra = json!({"id": format!("9{owner}"), "username": format!("extra{}", &owner[..4]), "name": "Extra"});
        let mut listed: Vec<Value> = x.resp_body["data"].as_array().unwrap().clone();
        listed.push(extra);
        for u in listed.iter().rev() {
            let id = u["id"].as_str().unwrap().to_string();
            if seen.insert(id.clone()) {
                users.push(json!({"id": id, "username": u["username"], "name": u["name"]}));
            }
            let (s, t) = if followers {
                (id.clone(), owner.clone())
            } else {
                (owner.clone(), id.clone())
            };
            follows.push(json!({"source": s, "target": t}));
        }
    }
    json!({
        "apps": [{"id": "replay", "consumer_key": "replay-ck", "consumer_secret": "replay-cs",
                  "client_id": "replay-client", "client_secret": null, "redirect_uris": []}],
        "users": users,
        "follows": follows,
        "oauth1_tokens": [{"app": "replay", "token": TOKEN, "secret": SECRET, "user_id": TWEEPY}],
        "app_only_tokens": [{"app": "replay", "bearer": APP_BEARER}],
        "limits": {"follows_lookup_per_15min": 15, "by_username_app_per_15min": 300}
    })
    .to_string()
}

/// Same JSON types, same object keys, recursively; arrays of the same length.
fn same_shape(path: &str, got: &Value, want: &Value) {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => {
            let mut gk: Vec<&String> = g.keys().collect();
            let mut wk: Vec<&String> = w.keys().collect();
            gk.sort();
            wk.sort();
            assert_eq!(gk, wk, "keys at {path}");
            for k in wk {
                same_shape(&format!("{path}.{k}"), &g[k], &w[k]);
            }
        }
        (Value::Array(g), Value::Array(w)) => {
            assert_eq!(g.len(), w.len(), "length at {path}");
            for (i, item) in g.iter().enumerate() {
                same_shape(&format!("{path}[{i}]"), item, &w[i]);
            }
        }
        (Value::String(_), Value::String(_))
        | (Value::Bool(_), Value::Bool(_))
        | (Value::Null, Value::Null)
        | (Value::Number(_), Value::Number(_)) => {}
        _ => panic!("type at {path}: got {got}, fixture {want}"),
    }
}

/// Values that are facts of the world rather than of the moment match exactly.
fn same_facts(what: &str, x: &Exchange, got: &Value) {
    let want = &x.resp_body;
    match got.get("data") {
        Some(Value::Object(_)) if x.method != "GET" => assert_eq!(got, want, "{what}"),
        Some(Value::Object(_)) => assert_eq!(got["data"], want["data"], "{what}"),
        Some(Value::Array(a)) => {
            assert_eq!(
                got["meta"]["result_count"], want["meta"]["result_count"],
                "{what}"
            );
            let ids: Vec<&Value> = a.iter().map(|u| &u["id"]).collect();
            let want_ids: Vec<&Value> = want["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| &u["id"])
                .collect();
            assert_eq!(ids, want_ids, "{what}: newest first, as in the fixture");
        }
        // An error answer: everything but the free-text `detail` (clients never branch on it).
        _ => {
            let strip = |v: &Value| {
                let mut v = v.clone();
                v.as_object_mut().unwrap().remove("detail");
                v
            };
            assert_eq!(strip(got), strip(want), "{what}");
        }
    }
}

fn auth_for(x: &Exchange) -> String {
    match x.auth.as_str() {
        // Signed over the fixture's URL: the emulator verifies against --public-base.
        "oauth1_user" => sign(
            &x.method,
            &x.uri,
            &[],
            "replay-ck",
            "replay-cs",
            Some((TOKEN, SECRET)),
        ),
        "oauth2_unknown_bearer" => bearer("revoked-replay-token"),
        "oauth2_app_only" => bearer(APP_BEARER),
        other => panic!("{}: unknown auth {other:?}", x.file),
    }
}

fn send(emu: &Emu, x: &Exchange, path: &str) -> Resp {
    let mut headers = vec![("Authorization", auth_for(x))];
    if x.body.is_some() {
        headers.push(("Content-Type", "application/json".into()));
    }
    if x.accept_gzip {
        headers.push(("Accept-Encoding", "gzip, deflate".into()));
    }
    emu.client().request(
        &x.method,
        path,
        &headers,
        x.body.as_deref().unwrap_or("").as_bytes(),
    )
}

#[test]
fn fixtures_replay_against_the_emulator_with_the_same_shapes() {
    let exchanges: Vec<Exchange> = EMULATED.iter().flat_map(|f| load(f)).collect();
    assert_eq!(exchanges.len(), 16);
    let emu = Emu::with_config_args(&world(&exchanges), &["--public-base", "https://api.x.com"]);
    for x in &exchanges {
        let path = x.uri.strip_prefix("https://api.x.com").unwrap();
        // X fills a page after filtering, so a page may hold fewer than the default 100 and
        // still have a next_token; ask for a page of the fixture's size then.
        let mut path = path.to_string();
        if let Some(n) = x.resp_body["meta"]["result_count"]
            .as_u64()
            .filter(|&n| n < 100)
        {
            path.push_str(&format!("?max_results={n}"));
        }
        let what = format!("{} {} {}", x.file, x.method, path);
        let rec = |k: &str| x.resp_headers.get(k).and_then(Value::as_str);
        if x.status == 429 {
            // A fresh window, used up.
            emu.advance(900);
            let limit: u32 = rec("x-rate-limit-limit").unwrap().parse().unwrap();
            for _ in 0..limit {
                assert_eq!(send(&emu, x, &path).status, 200, "{what}");
            }
        }
        let r = send(&emu, x, &path);
        assert_eq!(r.status, x.status, "{what}: {}", r.text());
        let got = r.json();
        same_shape(&what, &got, &x.resp_body);
        same_facts(&what, x, &got);
        assert_eq!(r.header("content-type"), rec("content-type"), "{what}");
        for h in ["x-rate-limit-limit", "x-rate-limit-remaining"] {
            if h == "x-rate-limit-limit" || x.status == 429 {
                assert_eq!(r.header(h), rec(h), "{what}: {h}");
            }
        }
        if x.accept_gzip {
            assert_eq!(r.header("content-encoding"), Some("gzip"), "{what}");
        }
        if x.status == 429 {
            emu.advance(900);
        }
    }
    // The follows took effect, the unfollows undid them, the protected account has a request.
    let st = emu.state();
    let edge = json!({"source": TWEEPY, "target": "17874544"});
    assert!(!st["follows"].as_array().unwrap().contains(&edge));
    assert_eq!(
        st["pending"],
        json!([{"source": TWEEPY, "target": PROTECTED}])
    );
    assert_eq!(st["counters"]["users"][TWEEPY]["follow_requests"], 5);
    assert_eq!(st["counters"]["users"][TWEEPY]["follows_24h"], 3);
    assert_eq!(st["counters"]["users"][TWEEPY]["unfollow_requests"], 2);
}
