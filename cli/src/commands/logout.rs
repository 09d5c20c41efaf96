//! `xfollow logout`: revokes the profile's OAuth 2.0 tokens (refresh token, then access
//! token), then deletes the profile's files. A token the server already refuses counts as
//! revoked; any other failure keeps the profile unless `--force`. OAuth 1.0a tokens cannot be
//! revoked through the API: the profile is deleted and the user is told where to revoke.

use serde_json::json;
use xfollow::tokens::oauth2::TokenTypeHint;
use xfollow::tokens::OAuth2Flow;
use xfollow::ErrorKind;

use crate::args::{Global, LogoutArgs};
use crate::failure::{describe, Exit, Failure};
use crate::output::Out;
use crate::profile::Auth;
use crate::session::{self, profile_paths};

pub fn run(g: &Global, out: Out, a: &LogoutArgs) -> Result<Exit, Failure> {
    let paths = profile_paths(g)?;
    let profile = match paths.load() {
        Ok(p) => Some(p),
        Err(f) if a.force && paths.exists() => {
            eprintln!("xfollow: {} (deleting it: --force)", f.message);
            None
        }
        Err(f) => return Err(f),
    };
    let revoked = match profile.as_ref().map(|p| &p.auth) {
        Some(Auth::OAuth2 {
            client_id,
            client_secret,
        }) => {
            crate::interrupt::enter_run();
            let base = g
                .base_url
                .clone()
                .or(profile.as_ref().map(|p| p.base_url.clone()));
            let builder = session::transport(g, base.as_deref())?;
            // Revocation needs no redirect URI or scope; the flow's constructor does.
            let mut flow = OAuth2Flow::new(client_id.clone(), "http://127.0.0.1/", ["users.read"])
                .and_then(|f| f.transport(&builder))
                .map_err(|e| Failure::api("logout", e))?;
            if let Some(b) = &base {
                flow = flow
                    .base_url(b)
                    .map_err(|e| Failure::api("--base-url", e))?;
            }
            if let Some(s) = client_secret {
                flow = flow.client_secret(s.clone());
            }
            let set = match paths.token_store().load() {
                Ok(s) => s,
                Err(e) if a.force => {
                    eprintln!(
                        "xfollow: profile {}: {e} (deleting it: --force)",
                        paths.name
                    );
                    None
                }
                Err(e) => return Err(Failure::api(format!("profile {}", paths.name), e.into())),
            };
            let mut result = Ok(());
            if let Some(set) = &set {
                if let Some(r) = &set.refresh_token {
                    result = flow.revoke(r.expose(), TokenTypeHint::RefreshToken);
                }
                if result.is_ok() {
                    result = flow.revoke(set.access_token.expose(), TokenTypeHint::AccessToken);
                }
            }
            match result {
                Ok(()) => true,
                // Already refused by the server: nothing left to revoke.
                Err(e) if e.kind() == ErrorKind::Unauthorized => true,
                Err(e) if a.force => {
                    eprintln!(
                        "xfollow: logout: {} (deleting the profile anyway: --force)",
                        describe(&e)
                    );
                    false
                }
                Err(e) => {
                    let mut f = Failure::api("logout: revoke", e);
                    f.message.push_str(&format!(
                        "; profile {} kept (xfollow logout --force deletes it without revoking)",
                        paths.name
                    ));
                    return Err(f);
                }
            }
        }
        Some(Auth::OAuth1 { .. }) | None => false,
    };
    paths.delete()?;
    if let Ok(w) = crate::windows::path(&paths.name) {
        let _ = std::fs::remove_file(w);
    }
    let oauth1 = matches!(profile.as_ref().map(|p| &p.auth), Some(Auth::OAuth1 { .. }));
    let mut human = format!("logged out: profile {} deleted", paths.name);
    if revoked {
        human.push_str(", tokens revoked");
    } else if oauth1 {
        human.push_str(
            " (OAuth 1.0a tokens stay valid until you revoke the app in your X settings)",
        );
    }
    out.emit(
        &human,
        json!({ "logged_out": true, "profile": paths.name, "revoked": revoked }),
    );
    Ok(Exit::Ok)
}
