//! The mutable world: follow graph, tokens, windows, counters, faults, clock.

use crate::clock::{self, Clock};
use crate::config::Config;
use crate::faults::Fault;
use crate::limits::{Endpoint, Rolling, Window};
use base64::Engine;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct OAuth1Access {
    pub app: usize,
    pub secret: String,
    pub user: usize,
}

#[derive(Debug, Clone)]
pub struct RequestToken {
    pub app: usize,
    pub secret: String,
    pub callback: String,
    pub verifier: Option<String>,
    pub user: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct OAuth2Access {
    pub app: usize,
    pub user: usize,
    pub scopes: Vec<String>,
    pub expires_at: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct Refresh {
    pub app: usize,
    pub user: usize,
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct AuthCode {
    pub app: usize,
    pub user: usize,
    pub scopes: Vec<String>,
    pub redirect_uri: String,
    pub challenge: String,
    pub method: String,
    pub expires_at: i64,
}

#[derive(Debug, Clone, Default)]
pub struct AppCounters {
    pub follow_requests: u64,
    pub unfollow_requests: u64,
}

#[derive(Debug, Clone, Default)]
pub struct UserCounters {
    pub follow_requests: u64,
    pub unfollow_requests: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Daily {
    UserFollows,
    AppFollows,
    UserUnfollows,
    AppUnfollows,
}

pub struct World {
    pub cfg: Arc<Config>,
    pub user_by_id: HashMap<String, usize>,
    pub user_by_name: HashMap<String, usize>,
    pub app_by_key: HashMap<String, usize>,
    pub app_by_client: HashMap<String, usize>,
    pub clock: Clock,
    /// (source, target) -> sequence number (larger is newer).
    pub follows: HashMap<(usize, usize), u64>,
    pub pending: HashMap<(usize, usize), u64>,
    pub seq: u64,
    pub windows: HashMap<(Endpoint, usize, Option<usize>), Window>,
    pub daily: HashMap<(Daily, usize), Rolling>,
    pub app_counters: BTreeMap<usize, AppCounters>,
    pub user_counters: BTreeMap<usize, UserCounters>,
    pub oauth1_access: HashMap<String, OAuth1Access>,
    pub request_tokens: HashMap<String, RequestToken>,
    pub oauth2_access: HashMap<String, OAuth2Access>,
    pub refresh_tokens: HashMap<String, Refresh>,
    pub codes: HashMap<String, AuthCode>,
    pub app_only: HashMap<String, usize>,
    /// Nonces seen (consumer, token, nonce, timestamp), with the real times they were seen
    /// in arrival order. A nonce can only be replayed while its timestamp is within 300 s of
    /// the real clock, so an entry is dropped 600 s after it was seen: the store is bounded
    /// by the request rate times 600 s.
    pub nonces: HashSet<String>,
    nonce_order: VecDeque<(i64, String)>,
    pub faults: Vec<Fault>,
    /// The API requests served, newest last (bounded).
    pub requests: crate::requests::RequestLog,
}

impl World {
    pub fn new(cfg: Arc<Config>) -> World {
        let mut w = World {
            cfg: cfg.clone(),
            user_by_id: HashMap::new(),
            user_by_name: HashMap::new(),
            app_by_key: HashMap::new(),
            app_by_client: HashMap::new(),
            clock: Clock::default(),
            follows: HashMap::new(),
            pending: HashMap::new(),
            seq: 0,
            windows: HashMap::new(),
            daily: HashMap::new(),
            app_counters: BTreeMap::new(),
            user_counters: BTreeMap::new(),
            oauth1_access: HashMap::new(),
            request_tokens: HashMap::new(),
            oauth2_access: HashMap::new(),
            refresh_tokens: HashMap::new(),
            codes: HashMap::new(),
            app_only: HashMap::new(),
            nonces: HashSet::new(),
            nonce_order: VecDeque::new(),
            faults: Vec::new(),
            requests: Default::default(),
        };
        for (i, u) in cfg.users.iter().enumerate() {
            w.user_by_id.insert(u.id.clone(), i);
            w.user_by_name.insert(u.username.to_ascii_lowercase(), i);
        }
        for (i, a) in cfg.apps.iter().enumerate() {
            w.app_by_key.insert(a.consumer_key.clone(), i);
            if let Some(c) = &a.client_id {
                w.app_by_client.insert(c.clone(), i);
            }
        }
        w.load();
        w
    }

    fn app_index(&self, id: &str) -> usize {
        self.cfg
            .apps
            .iter()
            .position(|a| a.id == id)
            .expect("checked config")
    }

    /// (Re)loads the mutable part of the world from the config.
    fn load(&mut self) {
        let cfg = self.cfg.clone();
        self.clock = Clock::default();
        let now = self.clock.now();
        self.follows.clear();
        self.pending.clear();
        self.seq = 0;
        for e in &cfg.follows {
            let k = (self.user_by_id[&e.source], self.user_by_id[&e.target]);
            self.seq += 1;
            self.follows.insert(k, self.seq);
        }
        for e in &cfg.pending {
            let k = (self.user_by_id[&e.source], self.user_by_id[&e.target]);
            self.seq += 1;
            self.pending.insert(k, self.seq);
        }
        self.windows.clear();
        self.daily.clear();
        self.app_counters.clear();
        self.user_counters.clear();
        self.oauth1_access.clear();
        for t in &cfg.oauth1_tokens {
            let app = self.app_index(&t.app);
            self.oauth1_access.insert(
                t.token.clone(),
                OAuth1Access {
                    app,
                    secret: t.secret.clone(),
                    user: self.user_by_id[&t.user_id],
                },
            );
        }
        self.request_tokens.clear();
        self.oauth2_access.clear();
        for t in &cfg.oauth2_tokens {
            let app = self.app_index(&t.app);
            self.oauth2_access.insert(
                t.access_token.clone(),
                OAuth2Access {
                    app,
                    user: self.user_by_id[&t.user_id],
                    scopes: t.scopes.clone(),
                    expires_at: t.expires_in.map(|s| now + s),
                },
            );
        }
        self.refresh_tokens.clear();
        self.codes.clear();
        self.app_only.clear();
        for t in &cfg.app_only_tokens {
            let app = self.app_index(&t.app);
            self.app_only.insert(t.bearer.clone(), app);
        }
        self.nonces.clear();
        self.nonce_order.clear();
        self.faults.clear();
        self.requests.clear();
    }

    pub fn reset(&mut self) {
        self.load();
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Records a nonce; `false` when it was already used within the replay window.
    pub fn use_nonce(&mut self, key: String) -> bool {
        self.use_nonce_at(key, clock::wall_now())
    }

    fn use_nonce_at(&mut self, key: String, wall: i64) -> bool {
        while let Some((seen, _)) = self.nonce_order.front() {
            if wall - seen <= 2 * crate::auth::TIMESTAMP_SKEW {
                break;
            }
            if let Some((_, k)) = self.nonce_order.pop_front() {
                self.nonces.remove(&k);
            }
        }
        if !self.nonces.insert(key.clone()) {
            return false;
        }
        self.nonce_order.push_back((wall, key));
        true
    }

    pub fn window(&mut self, ep: Endpoint, app: usize, user: Option<usize>) -> &mut Window {
        let now = self.now();
        self.windows
            .entry((ep, app, user))
            .or_insert_with(|| Window::fresh(now))
    }

    pub fn rolling(&mut self, kind: Daily, who: usize) -> &mut Rolling {
        self.daily.entry((kind, who)).or_default()
    }

    pub fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    pub fn take_fault(&mut self, method: &str, path: &str) -> Option<Fault> {
        let i = self
            .faults
            .iter()
            .position(|f| f.count > 0 && f.matches(method, path))?;
        let f = self.faults[i].clone();
        self.faults[i].count -= 1;
        if self.faults[i].count == 0 {
            self.faults.remove(i);
        }
        Some(f)
    }
}

/// A random URL-safe token of `bytes` random bytes.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut buf)
        .expect("system randomness");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// A random decimal PIN of `digits` digits.
pub fn random_pin(digits: usize) -> String {
    let mut buf = vec![0u8; digits];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut buf)
        .expect("system randomness");
    buf.iter().map(|b| char::from(b'0' + b % 10)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_are_single_use_and_forgotten_after_600_s() {
        let mut w = World::new(Arc::new(Config::demo()));
        assert!(w.use_nonce_at("a".into(), 1000));
        assert!(!w.use_nonce_at("a".into(), 1000));
        assert!(w.use_nonce_at("b".into(), 1300));
        assert!(!w.use_nonce_at("a".into(), 1600));
        assert_eq!(w.nonces.len(), 2);
        // 601 s after "a" was seen it is dropped; "b" stays.
        assert!(w.use_nonce_at("c".into(), 1601));
        assert_eq!(w.nonces.len(), 2);
        assert!(!w.nonces.contains("a"));
        assert!(!w.use_nonce_at("b".into(), 1601));
        w.reset();
        assert!(w.nonces.is_empty());
    }
}
