//! The last-known rate-limit windows of a profile, kept between runs in
//! `$XDG_STATE_HOME/xfollow/<profile>.windows.json` for `xfollow status`: each endpoint's
//! latest windows and when they were seen. Written atomically; two runs ending together keep
//! the windows of the last one to finish.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use xfollow::{Client, Endpoint, RateLimit, Window};

use crate::failure::Failure;
use crate::profile::{state_dir, write_private};

/// Largest windows file read.
const MAX_LEN: u64 = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seen {
    pub limit: u64,
    pub remaining: u64,
    pub reset: u64,
}

/// One endpoint's windows as last seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointWindows {
    pub seen_at: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<Seen>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_24h: Option<Seen>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_24h: Option<Seen>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Windows {
    /// By endpoint name (`follow`, `unfollow`, `me`, `user_by_username`, `followers`,
    /// `following`).
    pub endpoints: BTreeMap<String, EndpointWindows>,
}

fn seen(w: Option<Window>) -> Option<Seen> {
    w.map(|w| Seen {
        limit: w.limit,
        remaining: w.remaining,
        reset: w.reset,
    })
}

/// The file for `key` (a profile name, or `_env` for credentials from the environment).
pub fn path(key: &str) -> Result<PathBuf, Failure> {
    Ok(state_dir()?.join(format!("{key}.windows.json")))
}

/// Reads the windows; a missing, oversized or unreadable file is an empty set (it is only a
/// cache of what the server said).
pub fn load(key: &str) -> Windows {
    let Ok(p) = path(key) else {
        return Windows::default();
    };
    let Ok(f) = std::fs::File::open(p) else {
        return Windows::default();
    };
    let mut text = Vec::new();
    if f.take(MAX_LEN + 1).read_to_end(&mut text).is_err() || text.len() as u64 > MAX_LEN {
        return Windows::default();
    }
    serde_json::from_slice(&text).unwrap_or_default()
}

/// Adds the windows `client` saw in this run (stamped `now`) to the file of `key`.
pub fn record(key: &str, client: &Client, now: u64) -> Result<(), Failure> {
    let seen_now: Vec<(Endpoint, RateLimit)> = client.rate_limits();
    if seen_now.is_empty() {
        return Ok(());
    }
    let mut w = load(key);
    for (e, rl) in seen_now {
        w.endpoints.insert(
            e.as_str().to_owned(),
            EndpointWindows {
                seen_at: now,
                endpoint: seen(rl.endpoint),
                user_24h: seen(rl.user_24h),
                app_24h: seen(rl.app_24h),
            },
        );
    }
    let text = serde_json::to_string_pretty(&w).unwrap_or_default() + "\n";
    // A cache: a file lost to a power cut is read as empty, so no fsync on every run.
    write_private(&path(key)?, text.as_bytes(), false)
}
