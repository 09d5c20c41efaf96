//! Request routing, the common API wrapper (auth, scopes, 15-minute windows) and faults.

pub mod follows;
pub mod oauth1_flow;
pub mod oauth2;
pub mod users;

use crate::admin;
use crate::auth::{self, Principal};
use crate::faults::{Fault, Kind};
use crate::http::{Request, Response};
use crate::limits::{self, Endpoint, RateInfo, WINDOW};
use crate::problems;
use crate::server::Shared;
use crate::state::{Daily, World};

/// What the connection does with a request.
pub enum Outcome {
    Respond(Response),
    /// Close with a TCP RST and send nothing.
    Reset,
    /// Send the head and part of the body, then close.
    Truncate(Response),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Follow(String),
    Unfollow(String, String),
    Me,
    ByUsername(String),
    Followers(String),
    Following(String),
    OAuth2Authorize,
    OAuth2Token,
    OAuth2Revoke,
    RequestToken,
    Authorize,
    AccessToken,
    NotFound,
}

impl Route {
    pub fn parse(method: &str, path: &str) -> Route {
        let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        match (method, segs.as_slice()) {
            ("POST", ["2", "users", id, "following"]) => Route::Follow(id.to_string()),
            ("GET", ["2", "users", id, "following"]) => Route::Following(id.to_string()),
            ("GET", ["2", "users", id, "followers"]) => Route::Followers(id.to_string()),
            ("DELETE", ["2", "users", s, "following", t]) => {
                Route::Unfollow(s.to_string(), t.to_string())
            }
            ("GET", ["2", "users", "me"]) => Route::Me,
            ("GET", ["2", "users", "by", "username", u]) => Route::ByUsername(u.to_string()),
            ("GET", ["i", "oauth2", "authorize"]) => Route::OAuth2Authorize,
            ("POST", ["2", "oauth2", "token"]) => Route::OAuth2Token,
            ("POST", ["2", "oauth2", "revoke"]) => Route::OAuth2Revoke,
            ("POST", ["oauth", "request_token"]) => Route::RequestToken,
            ("GET", ["oauth", "authorize" | "authenticate"]) => Route::Authorize,
            ("POST", ["oauth", "access_token"]) => Route::AccessToken,
            _ => Route::NotFound,
        }
    }

    pub fn endpoint(&self) -> Option<Endpoint> {
        Some(match self {
            Route::Follow(_) => Endpoint::Follow,
            Route::Unfollow(..) => Endpoint::Unfollow,
            Route::Me => Endpoint::Me,
            Route::ByUsername(_) => Endpoint::ByUsername,
            Route::Followers(_) => Endpoint::Followers,
            Route::Following(_) => Endpoint::Following,
            _ => return None,
        })
    }
}

pub fn limit_for(w: &World, ep: Endpoint, app_only: bool) -> u64 {
    let l = &w.cfg.limits;
    match ep {
        Endpoint::Follow => l.follow_per_15min,
        Endpoint::Unfollow => l.unfollow_per_15min,
        Endpoint::Me => l.me_per_15min,
        Endpoint::ByUsername if app_only => l.by_username_app_per_15min,
        Endpoint::ByUsername => l.by_username_per_15min,
        Endpoint::Followers | Endpoint::Following => l.follows_lookup_per_15min,
    }
}

/// The user and app 24-hour windows of follow or unfollow.
pub fn daily_info(w: &mut World, ep: Endpoint, app: usize, user: usize) -> (RateInfo, RateInfo) {
    let now = w.now();
    let l = w.cfg.limits.clone();
    let (uk, ul, ak, al) = if ep == Endpoint::Unfollow {
        (
            Daily::UserUnfollows,
            l.unfollows_per_user_day,
            Daily::AppUnfollows,
            l.unfollows_per_app_day,
        )
    } else {
        (
            Daily::UserFollows,
            l.follows_per_user_day,
            Daily::AppFollows,
            l.follows_per_app_day,
        )
    };
    let u = w.rolling(uk, user).info(now, ul);
    let a = w.rolling(ak, app).info(now, al);
    (u, a)
}

/// The scopes an OAuth 2.0 user token needs for an endpoint.
fn scopes_for(ep: Endpoint) -> &'static [&'static str] {
    match ep {
        Endpoint::Follow | Endpoint::Unfollow => &["tweet.read", "users.read", "follows.write"],
        Endpoint::Followers | Endpoint::Following => &["tweet.read", "users.read", "follows.read"],
        Endpoint::Me | Endpoint::ByUsername => &["tweet.read", "users.read"],
    }
}

fn user_only(ep: Endpoint) -> bool {
    matches!(ep, Endpoint::Follow | Endpoint::Unfollow | Endpoint::Me)
}

/// Runs an API handler behind authentication, scope checks and the 15-minute window, and
/// puts the rate-limit headers on whatever it answers.
fn api(
    shared: &Shared,
    req: &Request,
    ep: Endpoint,
    handler: impl FnOnce(&mut World, &Principal) -> Response,
) -> Response {
    let mut w = shared.world.lock().unwrap_or_else(|e| e.into_inner());
    let now = w.now();
    let p = match auth::authenticate(shared, &mut w, req) {
        Ok(p) => p,
        Err(mut r) => {
            let limit = limit_for(&w, ep, false);
            limits::set_rate_headers(
                &mut r,
                RateInfo {
                    limit,
                    remaining: limit,
                    reset: now + WINDOW,
                },
            );
            return r;
        }
    };
    let app_only = matches!(p, Principal::AppOnly { .. });
    let limit = limit_for(&w, ep, app_only);
    let (app, user) = (p.app(), p.user());
    if app_only && user_only(ep) {
        let mut r = problems::unsupported_authentication();
        let info = w.window(ep, app, user).info(now, limit);
        limits::set_rate_headers(&mut r, info);
        return r;
    }
    if !p.has_scopes(scopes_for(ep)) {
        let mut r = problems::forbidden();
        let info = w.window(ep, app, user).info(now, limit);
        limits::set_rate_headers(&mut r, info);
        return r;
    }
    let info = match w.window(ep, app, user).take(now, limit) {
        Ok(i) => i,
        Err(i) => {
            let mut r = problems::too_many_requests();
            limits::set_rate_headers(&mut r, i);
            if let (Endpoint::Follow | Endpoint::Unfollow, Some(u)) = (ep, user) {
                let (ui, ai) = daily_info(&mut w, ep, app, u);
                limits::set_daily_headers(&mut r, ui, ai);
            }
            return r;
        }
    };
    let mut r = handler(&mut w, &p);
    limits::set_rate_headers(&mut r, info);
    r
}

fn count_request(shared: &Shared, req: &Request, route: &Route) {
    let follow = match route {
        Route::Follow(_) => true,
        Route::Unfollow(..) => false,
        _ => return,
    };
    let mut w = shared.world.lock().unwrap_or_else(|e| e.into_inner());
    let (app, user) = auth::identify(&w, req);
    if let Some(a) = app {
        let c = w.app_counters.entry(a).or_default();
        if follow {
            c.follow_requests += 1
        } else {
            c.unfollow_requests += 1
        }
    }
    if let Some(u) = user {
        let c = w.user_counters.entry(u).or_default();
        if follow {
            c.follow_requests += 1
        } else {
            c.unfollow_requests += 1
        }
    }
}

/// The answer of a `status` fault: the given status with a real body (or the override),
/// rate-limit headers of the caller's window (remaining 0 for 429).
fn fault_status(shared: &Shared, req: &Request, route: &Route, f: &Fault) -> Response {
    let status = f.status.unwrap_or(503);
    let mut r = match &f.body {
        Some(b) => Response::new(
            status,
            f.content_type
                .as_deref()
                .unwrap_or("application/json; charset=utf-8"),
            b.clone(),
        ),
        None => {
            let mut r = problems::for_status(status);
            if let Some(ct) = &f.content_type {
                r.set_header("content-type", ct.clone());
            }
            r
        }
    };
    if let Some(ep) = route.endpoint() {
        let mut w = shared.world.lock().unwrap_or_else(|e| e.into_inner());
        let now = w.now();
        let (app, user) = auth::identify(&w, req);
        let limit = limit_for(&w, ep, app.is_some() && user.is_none());
        let mut info = match app {
            Some(a) => w.window(ep, a, user).info(now, limit),
            None => RateInfo {
                limit,
                remaining: limit,
                reset: now + WINDOW,
            },
        };
        if status == 429 {
            info.remaining = 0;
        }
        limits::set_rate_headers(&mut r, info);
        if let (Endpoint::Follow | Endpoint::Unfollow, Some(a), Some(u)) = (ep, app, user) {
            let (ui, ai) = daily_info(&mut w, ep, a, u);
            limits::set_daily_headers(&mut r, ui, ai);
        }
    }
    r
}

fn route_response(shared: &Shared, req: &Request, route: &Route) -> Response {
    match route {
        Route::Follow(id) => api(shared, req, Endpoint::Follow, |w, p| {
            follows::follow(w, p, req, id)
        }),
        Route::Unfollow(s, t) => api(shared, req, Endpoint::Unfollow, |w, p| {
            follows::unfollow(w, p, s, t)
        }),
        Route::Followers(id) => api(shared, req, Endpoint::Followers, |w, _| {
            follows::list(w, req, id, true)
        }),
        Route::Following(id) => api(shared, req, Endpoint::Following, |w, _| {
            follows::list(w, req, id, false)
        }),
        Route::Me => api(shared, req, Endpoint::Me, |w, p| users::me(w, p, req)),
        Route::ByUsername(u) => api(shared, req, Endpoint::ByUsername, |w, _| {
            users::by_username(w, req, u)
        }),
        Route::OAuth2Authorize => oauth2::authorize(shared, req),
        Route::OAuth2Token => oauth2::token(shared, req),
        Route::OAuth2Revoke => oauth2::revoke(shared, req),
        Route::RequestToken => oauth1_flow::request_token(shared, req),
        Route::Authorize => oauth1_flow::authorize(shared, req),
        Route::AccessToken => oauth1_flow::access_token(shared, req),
        Route::NotFound => problems::page_not_found(),
    }
}

/// The body a `malformed` fault sends: JSON cut in the middle of a value.
pub const MALFORMED_BODY: &str = "{\"data\":{\"following\":tru";

pub fn dispatch(shared: &Shared, req: &Request) -> Outcome {
    if req.path == "/__emulator" || req.path.starts_with("/__emulator/") {
        return Outcome::Respond(admin::handle(shared, req));
    }
    let route = Route::parse(&req.method, &req.path);
    count_request(shared, req, &route);
    let outcome = serve(shared, req, &route);
    log_request(shared, req, &route, &outcome);
    outcome
}

/// Adds the request to the request log (`GET /__emulator/requests`).
fn log_request(shared: &Shared, req: &Request, route: &Route, outcome: &Outcome) {
    let status = match outcome {
        Outcome::Respond(r) | Outcome::Truncate(r) => r.status,
        Outcome::Reset => 0,
    };
    let target = match route {
        Route::Follow(_) => serde_json::from_slice::<serde_json::Value>(&req.body)
            .ok()
            .and_then(|v| v.get("target_user_id")?.as_str().map(str::to_string)),
        Route::Unfollow(_, t) => Some(t.clone()),
        _ => None,
    };
    let mut w = shared.world.lock().unwrap_or_else(|e| e.into_inner());
    let source = auth::identify(&w, req).1.map(|u| w.cfg.users[u].id.clone());
    let time = w.now();
    w.requests.push(crate::requests::Logged {
        seq: 0,
        method: req.method.clone(),
        path: req.path.clone(),
        source,
        target,
        time,
        status,
    });
}

fn serve(shared: &Shared, req: &Request, route: &Route) -> Outcome {
    let fault = {
        let mut w = shared.world.lock().unwrap_or_else(|e| e.into_inner());
        w.take_fault(&req.method, &req.path)
    };
    if let Some(f) = &fault {
        match f.kind {
            Kind::Status => {
                let mut r = fault_status(shared, req, route, f);
                for (k, v) in &f.headers {
                    r.set_header(k, v.clone());
                }
                return Outcome::Respond(r);
            }
            Kind::Reset => return Outcome::Reset,
            Kind::Delay => std::thread::sleep(std::time::Duration::from_millis(f.delay_ms)),
            _ => {}
        }
    }
    let mut r = route_response(shared, req, route);
    if let Some(f) = fault {
        match f.kind {
            Kind::Malformed => {
                r.status = 200;
                r.body = MALFORMED_BODY.as_bytes().to_vec();
                r.set_header("content-type", "application/json; charset=utf-8");
            }
            Kind::NoRateHeaders => limits::strip_rate_headers(&mut r),
            _ => {}
        }
        for (k, v) in &f.headers {
            r.set_header(k, v.clone());
        }
        if f.kind == Kind::Truncate {
            return Outcome::Truncate(r);
        }
    }
    Outcome::Respond(r)
}
