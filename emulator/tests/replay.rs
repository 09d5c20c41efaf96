//! Replays the recorded exchanges of `../shared/xapi/recorded/` (beside the repository)
//! against the emulator: same status, same body structure and field types, same rate-limit
//! header names and limits, gzip when the client asked for it.

mod common;
use base64::Engine;
use common::*;
use serde_json::{json, Value};
use std::io::Read;
use std::path::PathBuf;
use yaml_rust2::{Yaml, YamlLoader};

const TWEEPY: &str = "1072250532645998596";
const TOKEN: &str = "1072250532645998596-replayAccessToken";
const SECRET: &str = "replay-token-secret";
const APP_BEARER: &str = "replay-app-only";

fn recorded_dir() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf();
    root.join("../shared/xapi/recorded")
}

struct Exchange {
    file: String,
    method: String,
    uri: String,
    body: Option<String>,
    accept_gzip: bool,
    status: u16,
    resp_body: Value,
    resp_headers: Vec<(String, String)>,
}

fn yaml_str(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        _ => None,
    }
}

fn response_body(y: &Yaml) -> Value {
    let s = &y["string"];
    let bytes = match s {
        Yaml::String(text)
            if text.starts_with("H4sI")
                || text.contains("\n") && !text.trim_start().starts_with('{') =>
        {
            let raw = base64::engine::general_purpose::STANDARD
                .decode(text.split_whitespace().collect::<String>())
                .unwrap();
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&raw[..])
                .read_to_end(&mut out)
                .unwrap();
            out
        }
        Yaml::String(text) => text.as_bytes().to_vec(),
        other => panic!("unexpected body {other:?}"),
    };
    serde_json::from_slice(&bytes).unwrap()
}

fn load() -> Vec<Exchange> {
    let dir = recorded_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 6, "recorded fixtures in {}", dir.display());
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let docs = YamlLoader::load_from_str(&text).unwrap();
        for i in docs[0]["interactions"].as_vec().unwrap() {
            let req = &i["request"];
            let body = match &req["body"] {
                Yaml::Null | Yaml::BadValue => None,
                Yaml::String(s) => Some(s.clone()),
                Yaml::Hash(h) => {
                    let mut m = serde_json::Map::new();
                    for (k, v) in h {
                        m.insert(yaml_str(k).unwrap(), Value::String(yaml_str(v).unwrap()));
                    }
                    Some(Value::Object(m).to_string())
                }
                other => panic!("request body {other:?}"),
            };
            let accept_gzip = req["headers"]["Accept-Encoding"].as_vec().is_some_and(|v| {
                v.iter()
                    .any(|x| x.as_str().is_some_and(|s| s.contains("gzip")))
            });
            let resp = &i["response"];
            let mut resp_headers = Vec::new();
            for (k, v) in resp["headers"].as_hash().unwrap() {
                let val = v
                    .as_vec()
                    .and_then(|a| a.first())
                    .and_then(yaml_str)
                    .unwrap_or_default();
                resp_headers.push((k.as_str().unwrap().to_string(), val));
            }
            out.push(Exchange {
                file: f.file_name().unwrap().to_string_lossy().into_owned(),
                method: req["method"].as_str().unwrap().to_string(),
                uri: req["uri"].as_str().unwrap().to_string(),
                body,
                accept_gzip,
                status: resp["status"]["code"].as_i64().unwrap() as u16,
                resp_body: response_body(&resp["body"]),
                resp_headers,
            });
        }
    }
    out
}

/// A world holding the recorded users and follow edges, with one more follower/followee
/// than a page so that `next_token` appears as in the recordings.
fn world(exchanges: &[Exchange]) -> String {
    let mut users = vec![
        json!({"id": TWEEPY, "username": "TweepyDev", "name": "Tweepy Testing"}),
        json!({"id": "17874544", "username": "TwitterSupport", "name": "Twitter Support"}),
        json!({"id": "783214", "username": "Twitter", "name": "Twitter"}),
        json!({"id": "2244994945", "username": "TwitterDev", "name": "Twitter Dev"}),
    ];
    let mut seen: std::collections::HashSet<String> = users
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect();
    let mut follows = Vec::new();
    for x in exchanges {
        let followers = x.uri.ends_with("/followers");
        if !(followers || x.uri.ends_with("/following")) || x.method != "GET" {
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
        "limits": {"follows_lookup_per_15min": 15}
    })
    .to_string()
}

/// Same JSON types, same object keys, recursively; array elements against the recorded
/// first element; arrays of the same length.
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
        | (Value::Null, Value::Null) => {}
        (Value::Number(_), Value::Number(_)) => {}
        _ => panic!("type at {path}: got {got}, recorded {want}"),
    }
}

#[test]
fn recorded_exchanges_replay_with_the_same_shapes() {
    let exchanges = load();
    assert_eq!(exchanges.len(), 8);
    let emu = Emu::with_config_args(
        &world(&exchanges),
        &["--public-base", "https://api.twitter.com"],
    );
    for x in &exchanges {
        let mut c = emu.client();
        let path = x.uri.strip_prefix("https://api.twitter.com").unwrap();
        let user_context = x.method != "GET" || path == "/2/users/me";
        let auth = if user_context {
            // Signed over the recorded URL: the emulator verifies against --public-base.
            sign(
                &x.method,
                &x.uri,
                &[],
                "replay-ck",
                "replay-cs",
                Some((TOKEN, SECRET)),
            )
        } else {
            bearer(APP_BEARER)
        };
        let mut headers = vec![("Authorization", auth)];
        if x.body.is_some() {
            headers.push(("Content-Type", "application/json".into()));
        }
        if x.accept_gzip {
            headers.push(("Accept-Encoding", "gzip, deflate".into()));
        }
        // X fills a page after filtering, so a recorded page may hold fewer than the default
        // 100 and still have a next_token; ask for a page of the recorded size then.
        let mut path = path.to_string();
        if let Some(n) = x.resp_body["meta"]["result_count"]
            .as_u64()
            .filter(|&n| n < 100)
        {
            path.push_str(&format!("?max_results={n}"));
        }
        let path = path.as_str();
        let r = c.request(
            &x.method,
            path,
            &headers,
            x.body.as_deref().unwrap_or("").as_bytes(),
        );
        let what = format!("{} {} {}", x.file, x.method, path);
        assert_eq!(r.status, x.status, "{what}: {}", r.text());
        let got = r.json();
        same_shape(&what, &got, &x.resp_body);
        // Values that are facts of the world rather than of the moment match exactly.
        match (x.method.as_str(), got.get("data")) {
            ("POST" | "DELETE", Some(_)) => assert_eq!(got, x.resp_body, "{what}"),
            ("GET", Some(Value::Object(_))) => {
                assert_eq!(got["data"]["id"], x.resp_body["data"]["id"], "{what}")
            }
            ("GET", Some(Value::Array(a))) => {
                assert_eq!(
                    got["meta"]["result_count"], x.resp_body["meta"]["result_count"],
                    "{what}"
                );
                let ids: Vec<&Value> = a.iter().map(|u| &u["id"]).collect();
                let want: Vec<&Value> = x.resp_body["data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|u| &u["id"])
                    .collect();
                assert_eq!(ids, want, "{what}: newest first, as recorded");
            }
            _ => {}
        }
        let rec = |k: &str| {
            x.resp_headers
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(r.header("content-type"), rec("content-type"), "{what}");
        assert_eq!(
            r.header("x-rate-limit-limit"),
            rec("x-rate-limit-limit"),
            "{what}"
        );
        assert!(r.has_rate_headers(), "{what}");
        if x.accept_gzip {
            assert_eq!(r.header("content-encoding"), Some("gzip"), "{what}");
        }
    }
    // The follow took effect and the unfollow undid it.
    let st = emu.state();
    assert!(!st["follows"]
        .as_array()
        .unwrap()
        .contains(&json!({"source": TWEEPY, "target": "17874544"})));
    assert_eq!(st["counters"]["users"][TWEEPY]["follow_requests"], 2);
    assert_eq!(st["counters"]["users"][TWEEPY]["follows_24h"], 2);
}
