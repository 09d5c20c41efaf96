//! Which store a plan is in: the one given (`--store` / `XFOLLOW_PLAN_STORE`), else the one
//! given to `plan create` for that name (remembered in
//! `$XDG_STATE_HOME/xfollow/plan-stores.json`, mode 0600: a Redis URL may carry a password),
//! else the default SQLite file `$XDG_STATE_HOME/xfollow/plans.sqlite`.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use xfollow::plan::{PlanStore, MAX_NAME_LEN};
use xfollow::Secret;

use crate::failure::Failure;
use crate::profile::{ensure_dir, state_dir, write_private};

/// Largest remembered-stores file read.
const MAX_LEN: u64 = 256 * 1024;
/// Most plans whose store is remembered.
pub const MAX_REMEMBERED: usize = 1_000;
/// Longest store URL remembered.
const MAX_URL_LEN: usize = 2_048;

/// Plan name -> store URL, for plans created with `--store`.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Remembered {
    pub stores: BTreeMap<String, String>,
}

fn path() -> Result<PathBuf, Failure> {
    Ok(state_dir()?.join("plan-stores.json"))
}

/// `sqlite:$XDG_STATE_HOME/xfollow/plans.sqlite` (the directory is created).
pub fn default_url() -> Result<String, Failure> {
    let dir = state_dir()?;
    ensure_dir(&dir)?;
    Ok(format!("sqlite:{}", dir.join("plans.sqlite").display()))
}

/// The remembered stores; a missing file is none. A file too large or not readable is an
/// error naming it (it is configuration: guessing another store would hide plans).
pub fn load() -> Result<Remembered, Failure> {
    let p = path()?;
    let f = match std::fs::File::open(&p) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Remembered::default()),
        Err(e) => return Err(Failure::usage(p.display(), format!("cannot read it: {e}"))),
    };
    let mut text = Vec::new();
    let bad = |why: String| {
        Failure::usage(
            p.display(),
            format!("{why}; fix or delete it (plans made with --store then need --store again)"),
        )
    };
    f.take(MAX_LEN + 1)
        .read_to_end(&mut text)
        .map_err(|e| bad(format!("cannot read it: {e}")))?;
    if text.len() as u64 > MAX_LEN {
        return Err(bad(format!("larger than {MAX_LEN} bytes")));
    }
    let r: Remembered =
        serde_json::from_slice(&text).map_err(|e| bad(format!("not a plan stores file: {e}")))?;
    if r.stores.len() > MAX_REMEMBERED
        || r.stores
            .iter()
            .any(|(k, v)| k.len() > MAX_NAME_LEN || v.len() > MAX_URL_LEN)
    {
        return Err(bad("too many or too long entries".into()));
    }
    Ok(r)
}

fn save(r: &Remembered) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(r).unwrap_or_default() + "\n";
    write_private(&path()?, text.as_bytes(), true)
}

/// Remembers `url` as plan `name`'s store; the default store is remembered as no entry.
pub fn remember(name: &str, url: &str) -> Result<(), Failure> {
    let mut r = load()?;
    if url == default_url()? {
        if r.stores.remove(name).is_some() {
            save(&r)?;
        }
        return Ok(());
    }
    if url.len() > MAX_URL_LEN {
        return Err(Failure::usage(
            "--store",
            format!("longer than {MAX_URL_LEN} bytes"),
        ));
    }
    if r.stores.get(name).map(String::as_str) == Some(url) {
        return Ok(());
    }
    if !r.stores.contains_key(name) && r.stores.len() >= MAX_REMEMBERED {
        return Err(Failure::usage(
            "--store",
            format!(
                "at most {MAX_REMEMBERED} plans with their own store are remembered; \
                 drop one, or give --store to every command"
            ),
        ));
    }
    r.stores.insert(name.to_owned(), url.to_owned());
    save(&r)
}

/// Forgets plan `name`'s store when it is the one remembered, `url`.
pub fn forget(name: &str, url: &str) -> Result<(), Failure> {
    let mut r = load()?;
    if r.stores.get(name).map(String::as_str) == Some(url) {
        r.stores.remove(name);
        save(&r)?;
    }
    Ok(())
}

/// The store URL for plan `name` (or for `plan list` when `name` is `None`).
pub fn url(given: Option<&Secret>, name: Option<&str>) -> Result<String, Failure> {
    if let Some(g) = given {
        return Ok(g.expose().to_owned());
    }
    if let Some(n) = name {
        if let Some(u) = load()?.stores.remove(n) {
            return Ok(u);
        }
    }
    default_url()
}

/// Opens the store at `url`.
pub fn open(url: &str) -> Result<PlanStore, Failure> {
    PlanStore::open(url)
        .map_err(|e| super::failure(&format!("--store {}", xfollow::redact_userinfo(url)), e))
}
