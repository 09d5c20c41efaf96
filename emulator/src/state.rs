//! The mutable world: follow graph, tokens, windows, counters, faults, clock.

use crate::clock::{self, Clock};
use crate::config::Config;
use crate::faults::Fault;
use crate::limits::{Endpoint, Rolling, Window};
use base64::Engine;
use std::collections::{BTreeMap, HashMap};
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
    /// Nonce key -> real time it was seen; entries older than the 300 s window are dropped.
    pub nonces: HashMap<String, i64>,
    nonce_pruned_at: i64,
    pub faults: Vec<Fault>,
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
            nonces: HashMap::new(),
            nonce_pruned_at: 0,
            faults: Vec::new(),
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
        self.cfg.apps.iter().position(|a| a.id == id).expect("checked config")
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
                OAuth1Access { app, secret: t.secret.clone(), user: self.user_by_id[&t.user_id] },
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
        self.faults.clear();
    }

    pub fn reset(&mut self) {
        self.load();
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Records a nonce; `false` when it was already used within the 300 s window.
    pub fn use_nonce(&mut self, key: String) -> bool {
        let wall = clock::wall_now();
        if wall - self.nonce_pruned_at >= 10 || self.nonces.len() > 100_000 {
            self.nonces.retain(|_, &mut t| wall - t <= 600);
            self.nonce_pruned_at = wall;
        }
        match self.nonces.entry(key) {
            std::collections::hash_map::Entry::Occupied(_) => false,
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(wall);
                true
            }
        }
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
