//! Profiles: `$XDG_CONFIG_HOME/xfollow/<name>.json` (how to authenticate, mode 0600) and, for
//! OAuth 2.0, the token set in `<name>.tokens.json` kept by the library's token store (locked,
//! atomic, mode 0600), so that every process using a profile shares its refreshes.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use xfollow::tokens::TokenStore;
use xfollow::Secret;

use crate::failure::Failure;

/// The profile used when none is named.
pub const DEFAULT_PROFILE: &str = "default";
/// Longest profile name.
pub const MAX_NAME_LEN: usize = 64;
/// Largest profile file read (a profile is a few hundred bytes).
pub const MAX_PROFILE_LEN: u64 = 64 * 1024;
/// The profile file format version written and accepted.
const VERSION: u32 = 1;

/// The directory of the profiles: `$XDG_CONFIG_HOME/xfollow`, else `~/.config/xfollow`.
pub fn config_dir() -> Result<PathBuf, Failure> {
    xdg_dir("XDG_CONFIG_HOME", ".config")
}

/// The directory of the quota ledger and the last-known windows: `$XDG_STATE_HOME/xfollow`,
/// else `~/.local/state/xfollow`.
pub fn state_dir() -> Result<PathBuf, Failure> {
    xdg_dir("XDG_STATE_HOME", ".local/state")
}

fn xdg_dir(var: &str, fallback: &str) -> Result<PathBuf, Failure> {
    // The XDG rule: a relative value is ignored.
    if let Some(v) = std::env::var_os(var).map(PathBuf::from) {
        if v.is_absolute() {
            return Ok(v.join("xfollow"));
        }
    }
    match std::env::var_os("HOME").map(PathBuf::from) {
        Some(h) if h.is_absolute() => Ok(h.join(fallback).join("xfollow")),
        _ => Err(Failure::usage(
            var,
            "neither it nor HOME is set to an absolute path",
        )),
    }
}

/// Creates `dir` (and its parents) private to this user when missing.
pub fn ensure_dir(dir: &Path) -> Result<(), Failure> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
        .map_err(|e| Failure::usage(dir.display(), format!("cannot create the directory: {e}")))
}

/// Checks a profile name: 1 to 64 of `A-Z a-z 0-9 _ -`, starting with a letter or digit.
pub fn check_name(name: &str) -> Result<(), Failure> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(Failure::usage(
            format!("--profile {name:?}"),
            "a profile name is 1 to 64 characters of A-Z, a-z, 0-9, _ and -, starting with a letter or digit",
        ))
    }
}

/// How a profile authenticates.
pub enum Auth {
    OAuth2 {
        client_id: String,
        client_secret: Option<Secret>,
    },
    OAuth1 {
        consumer_key: String,
        consumer_secret: Secret,
        token: Secret,
        token_secret: Secret,
    },
}

impl Auth {
    /// `oauth2` or `oauth1`, as printed and in `--json`.
    pub fn name(&self) -> &'static str {
        match self {
            Auth::OAuth2 { .. } => "oauth2",
            Auth::OAuth1 { .. } => "oauth1",
        }
    }
}

/// A profile as stored (see the module documentation).
pub struct Profile {
    pub name: String,
    pub base_url: String,
    pub user_id: String,
    pub username: String,
    pub auth: Auth,
}

/// The file format. Secrets are moved into [`Secret`]s as soon as it is read.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Stored {
    version: u32,
    auth: String,
    base_url: String,
    user_id: String,
    username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    consumer_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    consumer_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    access_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    access_token_secret: Option<String>,
}

impl Drop for Stored {
    fn drop(&mut self) {
        use xfollow::Secret as S;
        // Moving each secret into a Secret zeroizes it when that drops.
        for s in [
            self.client_secret.take(),
            self.consumer_secret.take(),
            self.access_token.take(),
            self.access_token_secret.take(),
        ]
        .into_iter()
        .flatten()
        {
            drop(S::new(s));
        }
    }
}

/// The files of one profile.
#[derive(Debug, Clone)]
pub struct Paths {
    pub name: String,
    pub file: PathBuf,
    pub tokens: PathBuf,
}

impl Paths {
    pub fn new(name: &str) -> Result<Paths, Failure> {
        check_name(name)?;
        let dir = config_dir()?;
        Ok(Paths {
            name: name.to_owned(),
            file: dir.join(format!("{name}.json")),
            tokens: dir.join(format!("{name}.tokens.json")),
        })
    }

    pub fn token_store(&self) -> TokenStore {
        TokenStore::new(&self.tokens)
    }

    pub fn exists(&self) -> bool {
        self.file.exists()
    }

    /// Reads the profile file: refused when readable by others, larger than
    /// [`MAX_PROFILE_LEN`], or not a profile (the message names the file and what to do).
    pub fn load(&self) -> Result<Profile, Failure> {
        let file = &self.file;
        let bad = |what: &str| {
            Failure::usage(
                format!("profile file {}", file.display()),
                format!(
                    "{what}; delete it and log in again (xfollow login --profile {})",
                    self.name
                ),
            )
        };
        let mut f = match fs::File::open(file) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Failure::usage(
                    format!("--profile {}", self.name),
                    format!(
                        "unknown profile (no {}); log in first: xfollow login --profile {}",
                        file.display(),
                        self.name
                    ),
                ))
            }
            Err(e) => return Err(bad(&format!("cannot be read ({e})"))),
        };
        let meta = f
            .metadata()
            .map_err(|e| bad(&format!("cannot be read ({e})")))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            if meta.permissions().mode() & 0o077 != 0 {
                return Err(Failure::usage(
                    format!("profile file {}", file.display()),
                    "is readable or writable by others and its secrets may have leaked; \
                     run chmod 600 on it, or delete it and log in again",
                ));
            }
        }
        if meta.len() > MAX_PROFILE_LEN {
            return Err(bad(&format!("is larger than {MAX_PROFILE_LEN} bytes")));
        }
        let mut text = Vec::new();
        (&mut f)
            .take(MAX_PROFILE_LEN + 1)
            .read_to_end(&mut text)
            .map_err(|e| bad(&format!("cannot be read ({e})")))?;
        // Moved, not copied, into a Secret: the bytes are wiped when it drops.
        let text = Secret::new(String::from_utf8(text).map_err(|_| bad("is not UTF-8 text"))?);
        let mut s: Stored = serde_json::from_str(text.expose())
            .map_err(|_| bad("is not an xfollow profile (invalid JSON or fields)"))?;
        if s.version != VERSION {
            return Err(bad(&format!("has unsupported version {}", s.version)));
        }
        let auth = match s.auth.as_str() {
            "oauth2" => Auth::OAuth2 {
                client_id: s
                    .client_id
                    .take()
                    .filter(|c| !c.is_empty())
                    .ok_or_else(|| bad("has no client_id"))?,
                client_secret: s.client_secret.take().map(Secret::new),
            },
            "oauth1" => {
                let (Some(ck), Some(cs), Some(t), Some(ts)) = (
                    s.consumer_key.take(),
                    s.consumer_secret.take(),
                    s.access_token.take(),
                    s.access_token_secret.take(),
                ) else {
                    return Err(bad("lacks an OAuth 1.0a key, token or secret"));
                };
                Auth::OAuth1 {
                    consumer_key: ck,
                    consumer_secret: Secret::new(cs),
                    token: Secret::new(t),
                    token_secret: Secret::new(ts),
                }
            }
            _ => return Err(bad("has an unknown auth (expected oauth2 or oauth1)")),
        };
        if !xfollow::validate::is_user_id(&s.user_id) {
            return Err(bad("has an invalid user_id"));
        }
        Ok(Profile {
            name: self.name.clone(),
            base_url: std::mem::take(&mut s.base_url),
            user_id: std::mem::take(&mut s.user_id),
            username: std::mem::take(&mut s.username),
            auth,
        })
    }

    /// Writes the profile file atomically, mode 0600.
    pub fn save(&self, p: &Profile) -> Result<(), Failure> {
        let mut s = Stored {
            version: VERSION,
            auth: String::new(),
            base_url: p.base_url.clone(),
            user_id: p.user_id.clone(),
            username: p.username.clone(),
            client_id: None,
            client_secret: None,
            consumer_key: None,
            consumer_secret: None,
            access_token: None,
            access_token_secret: None,
        };
        match &p.auth {
            Auth::OAuth2 {
                client_id,
                client_secret,
            } => {
                s.auth = "oauth2".into();
                s.client_id = Some(client_id.clone());
                s.client_secret = client_secret.as_ref().map(|c| c.expose().to_owned());
            }
            Auth::OAuth1 {
                consumer_key,
                consumer_secret,
                token,
                token_secret,
            } => {
                s.auth = "oauth1".into();
                s.consumer_key = Some(consumer_key.clone());
                s.consumer_secret = Some(consumer_secret.expose().to_owned());
                s.access_token = Some(token.expose().to_owned());
                s.access_token_secret = Some(token_secret.expose().to_owned());
            }
        }
        let text = Secret::new(serde_json::to_string_pretty(&s).unwrap_or_default() + "\n");
        write_private(&self.file, text.expose().as_bytes(), true)
    }

    /// Deletes the profile's files (the profile, its token store and lock file).
    pub fn delete(&self) -> Result<(), Failure> {
        let store = self.token_store();
        for f in [store.path(), store.lock_path(), self.file.as_path()] {
            match fs::remove_file(f) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(Failure::usage(
                        f.display(),
                        format!("cannot delete it: {e}"),
                    ))
                }
            }
        }
        Ok(())
    }
}

/// Writes `bytes` to `path` atomically (a private temporary file in the same directory,
/// rename): a reader sees the old file or the new one, never a part. `durable` adds the
/// fsyncs that keep the new file across a power loss.
pub fn write_private(path: &Path, bytes: &[u8], durable: bool) -> Result<(), Failure> {
    let dir = path.parent().unwrap_or(Path::new("."));
    ensure_dir(dir)?;
    let fail = |e: std::io::Error| Failure::usage(path.display(), format!("cannot write it: {e}"));
    // tempfile creates the file mode 0600 with O_EXCL.
    let mut tmp = tempfile::Builder::new()
        .prefix(".xfollow-")
        .tempfile_in(dir)
        .map_err(fail)?;
    tmp.write_all(bytes).map_err(fail)?;
    if durable {
        tmp.as_file().sync_all().map_err(fail)?;
    }
    tmp.persist(path).map_err(|e| fail(e.error))?;
    if durable {
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}
