//! The request log: the API requests served (method, path, source and target user, virtual
//! time, status), numbered from 1, the newest `CAPACITY` kept. Tests read it to prove what a
//! client sent and when (`GET /__emulator/requests?since=N`).

use serde_json::{json, Value};
use std::collections::VecDeque;

/// Entries kept; older ones are dropped first.
pub const CAPACITY: usize = 200_000;
/// Entries in one answer at most.
pub const PAGE: usize = 10_000;

#[derive(Debug, Clone)]
pub struct Logged {
    pub seq: u64,
    pub method: String,
    pub path: String,
    /// The user whose credentials the request carries.
    pub source: Option<String>,
    /// A follow's `target_user_id`, or an unfollow's target in the path.
    pub target: Option<String>,
    /// Virtual epoch seconds when it was answered.
    pub time: i64,
    /// The status answered (0: the connection was reset instead).
    pub status: u16,
}

#[derive(Debug, Default)]
pub struct RequestLog {
    entries: VecDeque<Logged>,
    last: u64,
}

impl RequestLog {
    pub fn push(&mut self, mut e: Logged) {
        self.last += 1;
        e.seq = self.last;
        if self.entries.len() == CAPACITY {
            self.entries.pop_front();
        }
        self.entries.push_back(e);
    }

    pub fn clear(&mut self) {
        *self = RequestLog::default();
    }

    /// Entries with `seq > since`, at most `PAGE`: `{"requests": [...], "last": L,
    /// "dropped": D}` where `last` is the newest seq (the `since` of the next call once
    /// `requests` is shorter than a page) and `dropped` counts entries after `since` no
    /// longer kept.
    pub fn json_since(&self, since: u64) -> Value {
        let first = self.entries.front().map_or(self.last + 1, |e| e.seq);
        let dropped = first.saturating_sub(since.saturating_add(1));
        let skip =
            usize::try_from(since.saturating_sub(first.saturating_sub(1))).unwrap_or(usize::MAX);
        let list: Vec<Value> = self
            .entries
            .iter()
            .skip(skip)
            .take(PAGE)
            .map(|e| {
                json!({"seq": e.seq, "method": e.method, "path": e.path, "source": e.source,
                       "target": e.target, "time": e.time, "status": e.status})
            })
            .collect();
        json!({"requests": list, "last": self.last, "dropped": dropped})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str) -> Logged {
        Logged {
            seq: 0,
            method: "POST".into(),
            path: path.into(),
            source: Some("1".into()),
            target: Some("2".into()),
            time: 10,
            status: 200,
        }
    }

    #[test]
    fn since_pages_and_drops_the_oldest() {
        let mut log = RequestLog::default();
        for i in 0..CAPACITY + 5 {
            log.push(entry(&format!("/{i}")));
        }
        let v = log.json_since(0);
        assert_eq!(v["dropped"], 5);
        assert_eq!(v["last"], (CAPACITY + 5) as u64);
        let reqs = v["requests"].as_array().unwrap();
        assert_eq!(reqs.len(), PAGE);
        assert_eq!(reqs[0]["seq"], 6);
        assert_eq!(reqs[0]["path"], "/5");
        let v = log.json_since((CAPACITY + 3) as u64);
        assert_eq!(v["dropped"], 0);
        let reqs = v["requests"].as_array().unwrap();
        assert_eq!(reqs.len(), 2);
        assert_eq!(reqs[1]["seq"], (CAPACITY + 5) as u64);
        assert_eq!(
            log.json_since(u64::MAX)["requests"]
                .as_array()
                .unwrap()
                .len(),
            0
        );
        log.clear();
        assert_eq!(log.json_since(0)["last"], 0);
    }
}
