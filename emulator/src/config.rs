//! The world the emulator serves: apps, users, tokens, limits (JSON config file).

use serde::Deserialize;

/// The built-in demo world (`emulator/demo-world.json`).
pub const DEMO_WORLD: &str = include_str!("../demo-world.json");

#[derive(Debug, Clone, Deserialize)]
pub struct App {
    pub id: String,
    pub consumer_key: String,
    pub consumer_secret: String,
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub client_secret: Option<String>,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct User {
    pub id: String,
    pub username: String,
    pub name: String,
    #[serde(default)]
    pub protected: bool,
    #[serde(default)]
    pub suspended: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OAuth1Token {
    pub app: String,
    pub token: String,
    pub secret: String,
    pub user_id: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OAuth2Token {
    pub app: String,
    pub access_token: String,
    pub user_id: String,
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Seconds from start (or reset) until expiry; `null` never expires.
    #[serde(default)]
    pub expires_in: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AppOnlyToken {
    pub app: String,
    pub bearer: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Edge {
    pub source: String,
    pub target: String,
}

fn d50() -> u64 {
    50
}
fn d75() -> u64 {
    75
}
fn d300() -> u64 {
    300
}
fn d400() -> u64 {
    400
}
fn d500() -> u64 {
    500
}
fn d900() -> u64 {
    900
}
fn d1000() -> u64 {
    1000
}

/// Request limits. 15-minute windows are per user (per app for app-only tokens) and per
/// endpoint; the daily caps are rolling 24-hour windows.
#[derive(Debug, Clone, Deserialize)]
pub struct Limits {
    #[serde(default = "d50")]
    pub follow_per_15min: u64,
    #[serde(default = "d50")]
    pub unfollow_per_15min: u64,
    #[serde(default = "d75")]
    pub me_per_15min: u64,
    #[serde(default = "d900")]
    pub by_username_per_15min: u64,
    #[serde(default = "d300")]
    pub by_username_app_per_15min: u64,
    #[serde(default = "d300")]
    pub follows_lookup_per_15min: u64,
    #[serde(default = "d400")]
    pub follows_per_user_day: u64,
    #[serde(default = "d1000")]
    pub follows_per_app_day: u64,
    #[serde(default = "d500")]
    pub unfollows_per_user_day: u64,
    #[serde(default = "d500")]
    pub unfollows_per_app_day: u64,
}

impl Default for Limits {
    fn default() -> Self {
        serde_json::from_str("{}").expect("defaults")
    }
}

fn d7200() -> i64 {
    7200
}
fn d30() -> i64 {
    30
}

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// Lifetime in seconds of the OAuth 2.0 access tokens the emulator issues.
    #[serde(default = "d7200")]
    pub access_token_lifetime: i64,
    /// Lifetime in seconds of OAuth 2.0 authorization codes.
    #[serde(default = "d30")]
    pub authorization_code_lifetime: i64,
}

impl Default for Settings {
    fn default() -> Self {
        serde_json::from_str("{}").expect("defaults")
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    #[serde(default)]
    pub apps: Vec<App>,
    #[serde(default)]
    pub users: Vec<User>,
    #[serde(default)]
    pub follows: Vec<Edge>,
    #[serde(default)]
    pub pending: Vec<Edge>,
    #[serde(default)]
    pub oauth1_tokens: Vec<OAuth1Token>,
    #[serde(default)]
    pub oauth2_tokens: Vec<OAuth2Token>,
    #[serde(default)]
    pub app_only_tokens: Vec<AppOnlyToken>,
    #[serde(default)]
    pub limits: Limits,
    #[serde(default)]
    pub settings: Settings,
}

pub fn valid_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 19 && s.bytes().all(|b| b.is_ascii_digit())
}

pub fn valid_username(s: &str) -> bool {
    !s.is_empty() && s.len() <= 15 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

impl Config {
    pub fn demo() -> Config {
        Config::parse(DEMO_WORLD).expect("the built-in world is valid")
    }

    /// Parses and checks a config: unique ids, known references, valid ids and usernames.
    pub fn parse(text: &str) -> Result<Config, String> {
        let c: Config = serde_json::from_str(text).map_err(|e| format!("config: {e}"))?;
        c.check()?;
        Ok(c)
    }

    fn check(&self) -> Result<(), String> {
        let mut seen = std::collections::HashSet::new();
        for a in &self.apps {
            if !seen.insert(a.id.clone()) {
                return Err(format!("config: duplicate app id {:?}", a.id));
            }
        }
        let app = |id: &str, what: &str| {
            if self.apps.iter().any(|a| a.id == id) {
                Ok(())
            } else {
                Err(format!("config: {what} names unknown app {id:?}"))
            }
        };
        let mut ids = std::collections::HashSet::new();
        let mut names = std::collections::HashSet::new();
        for u in &self.users {
            if !valid_id(&u.id) {
                return Err(format!("config: user id {:?} is not ^[0-9]{{1,19}}$", u.id));
            }
            if !valid_username(&u.username) {
                return Err(format!(
                    "config: username {:?} is not ^[A-Za-z0-9_]{{1,15}}$",
                    u.username
                ));
            }
            if !ids.insert(u.id.clone()) || !names.insert(u.username.to_ascii_lowercase()) {
                return Err(format!("config: duplicate user {:?}", u.id));
            }
        }
        let user = |id: &str, what: &str| {
            if ids.contains(id) {
                Ok(())
            } else {
                Err(format!("config: {what} names unknown user {id:?}"))
            }
        };
        for t in &self.oauth1_tokens {
            app(&t.app, "oauth1_tokens")?;
            user(&t.user_id, "oauth1_tokens")?;
        }
        for t in &self.oauth2_tokens {
            app(&t.app, "oauth2_tokens")?;
            user(&t.user_id, "oauth2_tokens")?;
        }
        for t in &self.app_only_tokens {
            app(&t.app, "app_only_tokens")?;
        }
        for e in self.follows.iter().chain(&self.pending) {
            user(&e.source, "follows")?;
            user(&e.target, "follows")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_world_loads() {
        let c = Config::demo();
        assert_eq!(c.apps[0].id, "demo");
        assert_eq!(c.users[0].username, "alice");
        assert_eq!(c.limits.follow_per_15min, 50);
        assert_eq!(c.limits.by_username_per_15min, 900);
        assert_eq!(c.settings.access_token_lifetime, 7200);
        assert_eq!(c.follows.len(), 2);
    }

    #[test]
    fn rejects_bad_configs() {
        assert!(
            Config::parse(r#"{"users":[{"id":"x1","username":"a","name":"A"}]}"#)
                .unwrap_err()
                .contains("user id")
        );
        assert!(Config::parse(
            r#"{"oauth1_tokens":[{"app":"nope","token":"t","secret":"s","user_id":"1"}]}"#
        )
        .unwrap_err()
        .contains("unknown app"));
        // Keys beyond the schema are accepted.
        assert!(Config::parse(r#"{"limits":{"follow_per_15min":1,"extra":2},"x":[]}"#).is_ok());
        let c = Config::parse(r#"{"limits":{"follow_per_15min":1}}"#).unwrap();
        assert_eq!(c.limits.follow_per_15min, 1);
        assert_eq!(c.limits.unfollow_per_15min, 50);
    }
}
