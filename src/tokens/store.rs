//! A token store file shared by processes.
//!
//! The store is one JSON file holding one OAuth 2.0 token set:
//! `{"version":1,"token_type":"bearer","access_token":"..","refresh_token":"..","expires_at":1767225600,"scopes":["tweet.read",...]}`.
//!
//! - Every access happens under an exclusive advisory lock (`flock` on Unix, through
//!   `std::fs::File::lock`) on a separate lock file next to the store (`<store>.lock`),
//!   because a write replaces the store's inode. The lock is held across read, refresh and
//!   write, so two processes never refresh with the same refresh token.
//! - Writes are atomic: a temporary file in the same directory (created mode 0600 with
//!   `create_new`), write, fsync, rename over the store, fsync of the directory. A reader (even
//!   one that ignores the lock) sees the old content or the new one, never a mix.
//! - The lock file is opened without following a symbolic link, must belong to this user and
//!   not be writable by group or others, and is waited for at most
//!   [`DEFAULT_LOCK_TIMEOUT`] (see [`TokenStore::with_lock_timeout`]): a stopped process or
//!   another user's file fails the access with [`Error::Store`] instead of blocking it.
//! - The store and its lock file are created mode 0600. A store that is readable or writable by
//!   group or others is refused with [`Error::InsecureStore`], as ssh refuses such a private
//!   key: its tokens may have leaked, so the owner decides (`chmod 600`, or delete it and log in
//!   again). Nothing is refreshed from such a file.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use super::token_set::{check_tokens, StoredTokenSet};
use super::{Error, TokenSet};

/// The store file format version written and accepted.
pub const STORE_VERSION: u32 = 1;

/// Largest store file read (a token set is a few hundred bytes; its scopes are kept whatever
/// their number, so the bound is generous).
pub const MAX_STORE_LEN: usize = 1024 * 1024;

/// Parses the content of a store file into a token set; the error is a one-line message
/// without secrets. Never panics, whatever the bytes.
pub(crate) fn parse_store(text: &[u8]) -> Result<TokenSet, String> {
    if text.len() > MAX_STORE_LEN {
        return Err(format!("the file is larger than {MAX_STORE_LEN} bytes"));
    }
    let stored: StoredTokenSet = serde_json::from_slice(text)
        .map_err(|_| "not a token store (invalid JSON or missing fields)".to_owned())?;
    if stored.version != STORE_VERSION {
        return Err(format!("unsupported store version {}", stored.version));
    }
    if stored.access_token.is_empty() {
        return Err("the stored access_token is empty".into());
    }
    let set = TokenSet::from_stored(&stored);
    check_tokens(&set.access_token, set.refresh_token.as_ref())
        .map_err(|m| format!("the stored {m}"))?;
    Ok(set)
}

/// How long a store access waits for another holder of the lock by default.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(5);
/// How often a held lock is tried again.
const LOCK_POLL: Duration = Duration::from_millis(20);

/// A token store file (see the module documentation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenStore {
    path: PathBuf,
    lock_path: PathBuf,
    lock_timeout: Duration,
}

struct LockGuard(File);

impl Drop for LockGuard {
    fn drop(&mut self) {
        // Closing the descriptor releases the lock as well; unlocking first is explicit.
        let _ = self.0.unlock();
    }
}

fn create_options() -> OpenOptions {
    let mut o = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o
}

impl TokenStore {
    /// A store at `path`; its lock file is `path` + `.lock`. Nothing is touched until used.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let mut lock = path.clone().into_os_string();
        lock.push(".lock");
        TokenStore {
            path,
            lock_path: PathBuf::from(lock),
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
        }
    }

    /// How long to wait for the lock when another handle or process holds it (default
    /// [`DEFAULT_LOCK_TIMEOUT`]); then the access fails with [`Error::Store`].
    pub fn with_lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// The store file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The lock file.
    pub fn lock_path(&self) -> &Path {
        &self.lock_path
    }

    /// Takes the exclusive lock (waiting for it up to the lock timeout), reads the stored set (`None` when there is no
    /// store file yet), calls `f` with it, writes the set `f` returns (atomically, if `Some`),
    /// then releases the lock. `f`'s second value is returned.
    ///
    /// If `f` fails, nothing is written. If the write fails, the error is returned; a caller
    /// that must not lose the new set keeps its own copy before returning it.
    pub fn with_lock<R>(
        &self,
        f: impl FnOnce(Option<TokenSet>) -> Result<(Option<TokenSet>, R), Error>,
    ) -> Result<R, Error> {
        let _guard = self.lock()?;
        let current = self.read_unlocked()?;
        let (new, r) = f(current)?;
        if let Some(set) = new {
            self.write_unlocked(&set)?;
        }
        Ok(r)
    }

    /// Reads the stored set under the lock.
    pub fn load(&self) -> Result<Option<TokenSet>, Error> {
        self.with_lock(|cur| Ok((None, cur)))
    }

    /// Replaces the stored set under the lock.
    pub fn save(&self, set: &TokenSet) -> Result<(), Error> {
        self.with_lock(|_| Ok((Some(set.clone()), ())))
    }

    fn lock(&self) -> Result<LockGuard, Error> {
        let mut o = create_options();
        o.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            // A symbolic link planted as the lock file would make us create or lock its target.
            o.custom_flags(libc::O_NOFOLLOW);
        }
        let f = o.open(&self.lock_path).map_err(|e| {
            #[cfg(unix)]
            if e.raw_os_error() == Some(libc::ELOOP) {
                return self.lock_error("is a symbolic link; remove it");
            }
            Error::store(&self.path, "cannot open the lock file", &e)
        })?;
        self.check_lock_file(&f)?;
        let start = Instant::now();
        loop {
            match f.try_lock() {
                Ok(()) => return Ok(LockGuard(f)),
                Err(TryLockError::WouldBlock) => {
                    let waited = start.elapsed();
                    if waited >= self.lock_timeout {
                        return Err(self.lock_error(&format!(
                            "is held by another process or handle; gave up after {} ms",
                            self.lock_timeout.as_millis()
                        )));
                    }
                    std::thread::sleep(LOCK_POLL.min(self.lock_timeout - waited));
                }
                Err(TryLockError::Error(e)) => {
                    return Err(Error::store(&self.path, "cannot lock the lock file", &e))
                }
            }
        }
    }

    fn lock_error(&self, what: &str) -> Error {
        Error::Store {
            path: self.path.clone(),
            message: format!("the lock file {} {what}", self.lock_path.display()),
        }
    }

    /// Refuses a lock file that another user owns or may write: whoever can hold or replace
    /// it could block every refresh.
    #[cfg(unix)]
    fn check_lock_file(&self, f: &File) -> Result<(), Error> {
        use std::os::unix::fs::MetadataExt;
        let m = f
            .metadata()
            .map_err(|e| Error::store(&self.path, "cannot stat the lock file", &e))?;
        if !m.is_file() {
            return Err(self.lock_error("is not a regular file"));
        }
        let me = rustix::process::geteuid().as_raw();
        if m.uid() != me {
            return Err(self.lock_error(&format!(
                "is owned by user {}, not by this user ({me})",
                m.uid()
            )));
        }
        if m.mode() & 0o022 != 0 {
            return Err(self.lock_error(&format!(
                "is writable by group or others (mode {:04o}); run chmod 600 on it",
                m.mode() & 0o7777
            )));
        }
        Ok(())
    }

    #[cfg(not(unix))]
    fn check_lock_file(&self, _f: &File) -> Result<(), Error> {
        Ok(())
    }

    fn read_unlocked(&self) -> Result<Option<TokenSet>, Error> {
        let mut file = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::store(&self.path, "cannot open", &e)),
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = file
                .metadata()
                .map_err(|e| Error::store(&self.path, "cannot stat", &e))?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                return Err(Error::InsecureStore {
                    path: self.path.clone(),
                    mode,
                });
            }
        }
        // Sized from the file, so that reading never regrows (and leaves a copy behind).
        let len = file
            .metadata()
            .map_or(0, |m| m.len())
            .min(MAX_STORE_LEN as u64) as usize;
        let mut text = Zeroizing::new(Vec::with_capacity(len + 1));
        // One byte more than the limit tells a file that is too large.
        (&mut file)
            .take(MAX_STORE_LEN as u64 + 1)
            .read_to_end(&mut text)
            .map_err(|e| Error::store(&self.path, "cannot read", &e))?;
        parse_store(&text)
            .map(Some)
            .map_err(|message| Error::Store {
                path: self.path.clone(),
                message,
            })
    }

    fn write_unlocked(&self, set: &TokenSet) -> Result<(), Error> {
        let mut bytes =
            Zeroizing::new(serde_json::to_vec_pretty(&set.to_stored()).map_err(|e| {
                Error::Store {
                    path: self.path.clone(),
                    message: format!("cannot serialize: {e}"),
                }
            })?);
        bytes.push(b'\n');
        write_atomic(&self.path, &bytes)
    }
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Writes `bytes` to `path` atomically: temporary file (mode 0600) in the same directory,
/// write, fsync, rename, fsync the directory.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let dir = parent_dir(path);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| Error::Store {
            path: path.to_path_buf(),
            message: "the store path has no file name".into(),
        })?;
    let mut rnd = [0u8; 8];
    super::pkce::os_random(&mut rnd)?;
    let suffix: String = rnd.iter().map(|b| format!("{b:02x}")).collect();
    let tmp = dir.join(format!(".{name}.{}.{suffix}.tmp", std::process::id()));
    let result = (|| {
        let mut f = create_options()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|e| Error::store(path, "cannot create a temporary file", &e))?;
        f.write_all(bytes)
            .map_err(|e| Error::store(path, "cannot write the temporary file", &e))?;
        f.sync_all()
            .map_err(|e| Error::store(path, "cannot fsync the temporary file", &e))?;
        drop(f);
        fs::rename(&tmp, path).map_err(|e| Error::store(path, "cannot rename into place", &e))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
        return result;
    }
    #[cfg(unix)]
    {
        File::open(&dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| Error::store(path, "cannot fsync the directory", &e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokens::Secret;

    fn set(a: &str, r: &str) -> TokenSet {
        TokenSet::new(
            a,
            Some(Secret::new(r)),
            Some(1_800_000_000),
            vec!["users.read".into(), "offline.access".into()],
        )
    }

    fn temp_dir(tag: &str) -> PathBuf {
        let mut rnd = [0u8; 6];
        crate::tokens::pkce::os_random(&mut rnd).unwrap();
        let hex: String = rnd.iter().map(|b| format!("{b:02x}")).collect();
        let d = std::env::temp_dir().join(format!("xfollow-store-{tag}-{hex}"));
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn round_trip_and_file_format() {
        let dir = temp_dir("rt");
        let store = TokenStore::new(dir.join("tokens.json"));
        assert_eq!(store.load().unwrap(), None);
        store.save(&set("acc1", "ref1")).unwrap();
        assert_eq!(store.load().unwrap(), Some(set("acc1", "ref1")));
        let text = fs::read_to_string(store.path()).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"version":1,"token_type":"bearer","access_token":"acc1",
                "refresh_token":"ref1","expires_at":1800000000u64,
                "scopes":["users.read","offline.access"]})
        );
        // Only the store and its lock file are left behind.
        let mut names: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, vec!["tokens.json", "tokens.json.lock"]);
        fs::remove_dir_all(dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn files_are_0600_and_insecure_store_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = temp_dir("mode");
        let store = TokenStore::new(dir.join("tokens.json"));
        store.save(&set("a", "r")).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(store.path()), 0o600);
        assert_eq!(mode(store.lock_path()), 0o600);
        fs::set_permissions(store.path(), fs::Permissions::from_mode(0o644)).unwrap();
        let err = store.load().unwrap_err();
        assert_eq!(
            err,
            Error::InsecureStore {
                path: store.path().to_path_buf(),
                mode: 0o100644
            }
        );
        // A refused store is not overwritten either.
        assert!(store.save(&set("b", "s")).is_err());
        fs::set_permissions(store.path(), fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(store.load().unwrap(), Some(set("a", "r")));
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn bad_files_are_reported() {
        let dir = temp_dir("bad");
        let store = TokenStore::new(dir.join("tokens.json"));
        fs::write(store.path(), "{not json").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(store.path(), fs::Permissions::from_mode(0o600)).unwrap();
        }
        assert_eq!(
            store.load().unwrap_err().to_string(),
            format!(
                "token store {}: not a token store (invalid JSON or missing fields)",
                store.path().display()
            )
        );
        fs::write(
            store.path(),
            r#"{"version":2,"token_type":"bearer","access_token":"a"}"#,
        )
        .unwrap();
        assert_eq!(
            store.load().unwrap_err().to_string(),
            format!(
                "token store {}: unsupported store version 2",
                store.path().display()
            )
        );
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn store_parser_bounds_and_checks() {
        assert_eq!(
            parse_store(&vec![b' '; MAX_STORE_LEN + 1]).unwrap_err(),
            "the file is larger than 1048576 bytes"
        );
        assert_eq!(
            parse_store(b"\xff\x00{").unwrap_err(),
            "not a token store (invalid JSON or missing fields)"
        );
        assert_eq!(
            parse_store(br#"{"version":1,"token_type":"bearer","access_token":""}"#).unwrap_err(),
            "the stored access_token is empty"
        );
        assert_eq!(
            parse_store(br#"{"version":1,"token_type":"bearer","access_token":"a\r\nb"}"#)
                .unwrap_err(),
            "the stored access_token has characters other than visible ASCII (control characters, spaces or non-ASCII)"
        );
        let t = parse_store(br#"{"version":1,"token_type":"bearer","access_token":"a"}"#).unwrap();
        assert_eq!(t.access_token.expose(), "a");
    }

    #[test]
    fn oversized_store_file_is_refused() {
        let dir = temp_dir("big");
        let store = TokenStore::new(dir.join("tokens.json"));
        store.save(&set("a", "r")).unwrap();
        let mut text = fs::read(store.path()).unwrap();
        text.extend(std::iter::repeat_n(b' ', MAX_STORE_LEN));
        fs::write(store.path(), text).unwrap();
        assert_eq!(
            store.load().unwrap_err().to_string(),
            format!(
                "token store {}: the file is larger than 1048576 bytes",
                store.path().display()
            )
        );
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn closure_error_writes_nothing() {
        let dir = temp_dir("cl");
        let store = TokenStore::new(dir.join("tokens.json"));
        store.save(&set("a", "r")).unwrap();
        let r: Result<(), Error> = store.with_lock(|cur| {
            assert_eq!(cur, Some(set("a", "r")));
            Err(Error::NoRefreshToken)
        });
        assert_eq!(r, Err(Error::NoRefreshToken));
        assert_eq!(store.load().unwrap(), Some(set("a", "r")));
        let n = store.with_lock(|_| Ok((Some(set("b", "s")), 7))).unwrap();
        assert_eq!(n, 7);
        assert_eq!(store.load().unwrap(), Some(set("b", "s")));
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn missing_directory_is_a_store_error() {
        let store = TokenStore::new("/nonexistent-xfollow-dir/tokens.json");
        match store.save(&set("a", "r")) {
            Err(Error::Store { path, message }) => {
                assert_eq!(path, PathBuf::from("/nonexistent-xfollow-dir/tokens.json"));
                assert!(
                    message.starts_with("cannot open the lock file: "),
                    "{message}"
                );
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
