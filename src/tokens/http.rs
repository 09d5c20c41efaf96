//! The token endpoints over the client's transport: [`HttpPoster`], a [`FormPoster`] with the
//! same rules as API calls (timeouts, https only except for loopback hosts, extra CA file,
//! explicit proxy only, no redirects).

use std::fmt;

use super::oauth2::{basic_authorization, encode_form, FormPoster};
use super::Error;
use crate::transport::{self, TransportOptions};

/// Posts forms (and signed OAuth 1.0a requests) over one connection pool.
#[derive(Clone)]
pub struct HttpPoster {
    agent: ureq::Agent,
}

impl fmt::Debug for HttpPoster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpPoster").finish_non_exhaustive()
    }
}

impl HttpPoster {
    /// A poster with the default transport (10 s connect, 30 s overall, built-in roots).
    pub fn new() -> Result<Self, crate::error::Error> {
        Self::with_transport(&TransportOptions::default())
    }

    /// A poster with these transport settings (timeouts, proxy, CA file).
    pub fn with_transport(options: &TransportOptions) -> Result<Self, crate::error::Error> {
        Ok(HttpPoster {
            agent: transport::agent(options)?,
        })
    }

    pub(crate) fn from_agent(agent: ureq::Agent) -> Self {
        HttpPoster { agent }
    }

    /// POSTs `body` (form-encoded, possibly empty) to `url` with an optional `Authorization`
    /// header; returns the status and body whatever the status. The URL must be https, or
    /// plain http to a loopback host.
    pub fn post(
        &self,
        url: &str,
        authorization: Option<&str>,
        body: &str,
    ) -> Result<(u16, String), crate::error::Error> {
        check_url(url)?;
        let resp = transport::post_form(&self.agent, url, authorization, body)?;
        Ok((resp.status, resp.body))
    }
}

/// Checks an endpoint URL with the base URL rules (https, or http for loopback only).
pub(crate) fn check_url(url: &str) -> Result<(), crate::error::Error> {
    let bad = || crate::error::Error::invalid_argument("invalid endpoint URL");
    let uri: ureq::http::Uri = url.parse().map_err(|_| bad())?;
    let scheme = uri.scheme_str().ok_or_else(bad)?;
    let authority = uri.authority().ok_or_else(bad)?;
    transport::check_base_url(&format!("{scheme}://{authority}")).map(|_| ())
}

impl FormPoster for HttpPoster {
    fn post_form(
        &self,
        url: &str,
        basic_auth: Option<(&str, &str)>,
        form: &[(&str, &str)],
    ) -> Result<(u16, String), Error> {
        let auth = basic_auth.map(|(id, secret)| basic_authorization(id, secret));
        let body = zeroize::Zeroizing::new(encode_form(form));
        self.post(url, auth.as_ref().map(|s| s.expose()), &body)
            .map_err(Error::Request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_urls_follow_the_base_url_rules() {
        assert!(check_url("https://api.x.com/2/oauth2/token").is_ok());
        assert!(
            check_url("http://127.0.0.1:9/oauth/request_token?x_auth_access_type=read").is_ok()
        );
        assert!(check_url("http://localhost:9/2/oauth2/token").is_ok());
        let e = check_url("http://api.x.com/2/oauth2/token").unwrap_err();
        assert_eq!(e.kind(), crate::error::ErrorKind::InvalidArgument);
        assert_eq!(
            e.message(),
            "invalid base URL: plain http is allowed only for loopback hosts (127.0.0.0/8, ::1, localhost)"
        );
        assert!(check_url("api.x.com/2/oauth2/token").is_err());
    }
}
