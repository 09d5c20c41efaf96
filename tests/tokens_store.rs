//! The token store file: atomic replacement, permissions, and the exclusive lock.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::Duration;

use xfollow::tokens::{Error, Secret, TokenSet, TokenStore};

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("xfollow-store-it-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Two sets of very different sizes, so that a torn write would show.
fn small() -> TokenSet {
    TokenSet::new("A", Some(Secret::new("rA")), Some(1), vec!["a".into()])
}

fn large() -> TokenSet {
    TokenSet::new(
        "B",
        Some(Secret::new("rB")),
        Some(2),
        (0..5000).map(|i| format!("scope.{i:05}")).collect(),
    )
}

/// Checks raw file bytes are exactly one of the two sets.
fn check_whole(bytes: &[u8]) -> char {
    let v: serde_json::Value = serde_json::from_slice(bytes)
        .unwrap_or_else(|e| panic!("torn store file ({} bytes): {e}", bytes.len()));
    match v["access_token"].as_str() {
        Some("A") => {
            assert_eq!(v["scopes"].as_array().unwrap().len(), 1);
            'A'
        }
        Some("B") => {
            assert_eq!(v["scopes"].as_array().unwrap().len(), 5000);
            assert_eq!(v["scopes"][4999], "scope.04999");
            'B'
        }
        other => panic!("unexpected access_token {other:?}"),
    }
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn readers_see_the_old_or_the_new_content_never_a_mix() {
    let dir = temp_dir("atomic");
    let path = dir.join("tokens.json");
    let store = TokenStore::new(&path);
    store.save(&small()).unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicUsize::new(0));
    let seen = Arc::new(Mutex::new(std::collections::HashSet::new()));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (done, reads, seen, path) =
                (done.clone(), reads.clone(), seen.clone(), path.clone());
            thread::spawn(move || {
                // Readers ignore the lock on purpose: rename alone must keep them safe.
                while !done.load(Ordering::SeqCst) {
                    let bytes = std::fs::read(&path).unwrap();
                    seen.lock().unwrap().insert(check_whole(&bytes));
                    reads.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    let (a, b) = (small(), large());
    for i in 0..150u32 {
        store
            .save(if i.is_multiple_of(2) { &b } else { &a })
            .unwrap();
    }
    done.store(true, Ordering::SeqCst);
    for r in readers {
        r.join().unwrap();
    }
    assert!(reads.load(Ordering::SeqCst) > 0);
    assert_eq!(store.load().unwrap(), Some(small()));
    // No temporary file is left behind.
    assert_eq!(entries(&dir), vec!["tokens.json", "tokens.json.lock"]);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_writer_killed_mid_write_leaves_a_whole_file() {
    if let Some(path) = std::env::var_os("XF_STORE_WRITER") {
        // Child: write forever until killed.
        let store = TokenStore::new(PathBuf::from(path));
        let (a, b) = (small(), large());
        let mut i = 0u64;
        loop {
            store
                .save(if i.is_multiple_of(2) { &b } else { &a })
                .unwrap();
            i += 1;
        }
    }
    let dir = temp_dir("killed");
    let path = dir.join("tokens.json");
    TokenStore::new(&path).save(&small()).unwrap();
    let exe = std::env::current_exe().unwrap();
    for round in 0..4 {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "a_writer_killed_mid_write_leaves_a_whole_file",
                "--test-threads=1",
            ])
            .env("XF_STORE_WRITER", &path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        thread::sleep(Duration::from_millis(150 + 70 * round));
        child.kill().unwrap();
        child.wait().unwrap();
        check_whole(&std::fs::read(&path).unwrap());
        let loaded = TokenStore::new(&path).load().unwrap().unwrap();
        assert!(loaded == small() || loaded == large());
    }
    // A killed writer may leave its temporary file (never the store) behind.
    for name in entries(&dir) {
        assert!(
            name == "tokens.json"
                || name == "tokens.json.lock"
                || (name.starts_with(".tokens.json.") && name.ends_with(".tmp")),
            "unexpected file {name}"
        );
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[cfg(unix)]
#[test]
fn store_and_temporary_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir("mode");
    let path = dir.join("tokens.json");
    let store = TokenStore::new(&path);
    store.save(&small()).unwrap();
    store.save(&large()).unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(store.lock_path()), 0o600);
    // A store someone made world-readable is refused, not used.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o604)).unwrap();
    let e = store.load().unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "token store {} is accessible by group or others (mode 0604); run chmod 600 on it",
            path.display()
        )
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_lock_is_exclusive_between_handles() {
    let dir = temp_dir("lock");
    let path = dir.join("tokens.json");
    let log = Arc::new(Mutex::new(Vec::new()));
    let barrier = Arc::new(Barrier::new(2));
    let handles: Vec<_> = (0..2)
        .map(|n| {
            let (log, barrier, path) = (log.clone(), barrier.clone(), path.clone());
            thread::spawn(move || {
                // Separate handles, as two processes would have.
                let store = TokenStore::new(&path);
                barrier.wait();
                store
                    .with_lock(|cur| {
                        log.lock()
                            .unwrap()
                            .push(format!("{n} in {}", cur.is_some()));
                        thread::sleep(Duration::from_millis(200));
                        log.lock().unwrap().push(format!("{n} out"));
                        Ok((Some(small()), ()))
                    })
                    .unwrap();
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    // Whichever got the lock first, the other entered only after it left, and saw its write.
    let log = log.lock().unwrap().clone();
    let first = &log[0][..1];
    let second = if first == "0" { "1" } else { "0" };
    assert_eq!(
        log,
        vec![
            format!("{first} in false"),
            format!("{first} out"),
            format!("{second} in true"),
            format!("{second} out")
        ]
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[cfg(unix)]
#[test]
fn a_symlinked_lock_file_is_refused_and_its_target_untouched() {
    let dir = temp_dir("symlink");
    let store = TokenStore::new(dir.join("tokens.json"));
    let target = dir.join("elsewhere");
    std::os::unix::fs::symlink(&target, store.lock_path()).unwrap();
    let want = Err(Error::Store {
        path: store.path().to_path_buf(),
        message: format!(
            "the lock file {} is a symbolic link; remove it",
            store.lock_path().display()
        ),
    });
    assert_eq!(store.load(), want);
    assert_eq!(store.save(&small()).map(|_| None), want);
    // Nothing was created through the link, and nothing was written.
    assert!(!target.exists());
    assert!(!store.path().exists());
    std::fs::remove_dir_all(dir).unwrap();
}

#[cfg(unix)]
#[test]
fn a_lock_file_others_may_write_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir("lockmode");
    let store = TokenStore::new(dir.join("tokens.json"));
    store.save(&small()).unwrap();
    std::fs::set_permissions(store.lock_path(), std::fs::Permissions::from_mode(0o666)).unwrap();
    assert_eq!(
        store.load(),
        Err(Error::Store {
            path: store.path().to_path_buf(),
            message: format!(
                "the lock file {} is writable by group or others (mode 0666); run chmod 600 on it",
                store.lock_path().display()
            ),
        })
    );
    std::fs::set_permissions(store.lock_path(), std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(store.load().unwrap(), Some(small()));
    std::fs::remove_dir_all(dir).unwrap();
}

/// Another user's lock file (only root can make one here).
#[cfg(unix)]
#[test]
fn a_lock_file_of_another_user_is_refused() {
    use std::os::unix::fs::MetadataExt;
    let dir = temp_dir("lockowner");
    let store = TokenStore::new(dir.join("tokens.json"));
    store.save(&small()).unwrap();
    let me = std::fs::metadata(store.lock_path()).unwrap().uid();
    if me != 0 {
        eprintln!("not root: cannot give the lock file to another user; skipped");
        std::fs::remove_dir_all(dir).unwrap();
        return;
    }
    std::os::unix::fs::chown(store.lock_path(), Some(65534), None).unwrap();
    assert_eq!(
        store.load(),
        Err(Error::Store {
            path: store.path().to_path_buf(),
            message: format!(
                "the lock file {} is owned by user 65534, not by this user (0)",
                store.lock_path().display()
            ),
        })
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// A holder that never lets go (a stopped process) makes the access fail after the lock
/// timeout instead of blocking for ever.
#[test]
fn a_held_lock_is_waited_for_a_bounded_time() {
    let dir = temp_dir("held");
    let path = dir.join("tokens.json");
    TokenStore::new(&path).save(&small()).unwrap();
    let held = Arc::new(Barrier::new(2));
    let (h2, p2) = (held.clone(), path.clone());
    let holder = thread::spawn(move || {
        TokenStore::new(&p2)
            .with_lock(|_| {
                h2.wait();
                thread::sleep(Duration::from_secs(3));
                Ok((None, ()))
            })
            .unwrap();
    });
    held.wait();
    let timeout = Duration::from_millis(300);
    let store = TokenStore::new(&path).with_lock_timeout(timeout);
    let start = std::time::Instant::now();
    let r = store.load();
    let waited = start.elapsed();
    assert_eq!(
        r,
        Err(Error::Store {
            path: path.clone(),
            message: format!(
                "the lock file {} is held by another process or handle; gave up after 300 ms",
                store.lock_path().display()
            ),
        })
    );
    assert!(waited >= timeout, "{waited:?}");
    assert!(waited < timeout + Duration::from_millis(1000), "{waited:?}");
    holder.join().unwrap();
    // Once released, the lock is taken again.
    assert_eq!(store.load().unwrap(), Some(small()));
    std::fs::remove_dir_all(dir).unwrap();
}

/// The same with another process holding the lock (`flock` from util-linux, when present).
#[cfg(target_os = "linux")]
#[test]
fn a_lock_held_by_another_process_is_waited_for_a_bounded_time() {
    let dir = temp_dir("heldproc");
    let path = dir.join("tokens.json");
    let store = TokenStore::new(&path).with_lock_timeout(Duration::from_millis(300));
    store.save(&small()).unwrap();
    let child = Command::new("flock")
        .arg(store.lock_path())
        .args(["sh", "-c", "echo locked; sleep 3"])
        .stdout(Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        eprintln!("no flock command; skipped");
        std::fs::remove_dir_all(dir).unwrap();
        return;
    };
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line, "locked\n");
    let e = store.load().unwrap_err();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        e.to_string(),
        format!(
            "token store {}: the lock file {} is held by another process or handle; gave up after 300 ms",
            path.display(),
            store.lock_path().display()
        )
    );
    std::fs::remove_dir_all(dir).unwrap();
}
