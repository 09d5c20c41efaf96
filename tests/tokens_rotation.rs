//! Refresh-token rotation under contention: several processes with eight threads each share
//! one token store and one fake token endpoint that rotates refresh tokens (a used refresh
//! token is dead, and using it again fails with `invalid_request`, as on X).
//!
//! The parent runs the fake endpoint on 127.0.0.1 (a line protocol over TCP, so that the
//! processes share it) and re-runs this test binary as the children. Knobs (environment):
//! `XF_ROTATION_PROCS` (default 2), `XF_ROTATION_THREADS` (8), `XF_ROTATION_CYCLES` (40).

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use xfollow::tokens::{unix_now, Error, Refresher, Secret, TokenSet, TokenStore};

const CHILD_ENV: &str = "XF_ROTATION_CHILD";
/// An access token is good for this many uses, then the endpoint answers 401 ("expired").
const USES_PER_TOKEN: u32 = 30;
/// Lifetime the endpoint gives a token of generation `g`: every other one is born expired,
/// so half of the rotations are driven by the clock (`access_token(now)`) and half by 401s
/// (`after_unauthorized`).
fn expires_in(generation: u64) -> u64 {
    if generation.is_multiple_of(2) {
        0
    } else {
        3600
    }
}

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[derive(Default)]
struct Endpoint {
    generation: u64,
    live_access: String,
    live_refresh: String,
    uses: u32,
    old_access: HashSet<String>,
    dead_refresh: HashSet<String>,
    reuse_of_dead: u64,
    unknown_refresh: u64,
    /// Children that have said READY; none starts until all have, so that a slow process
    /// start cannot leave one child to do every rotation alone.
    ready: u64,
}

fn random_hex() -> String {
    let mut b = [0u8; 8];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

impl Endpoint {
    fn rotate(&mut self) {
        self.generation += 1;
        if !self.live_access.is_empty() {
            self.old_access
                .insert(std::mem::take(&mut self.live_access));
            self.dead_refresh
                .insert(std::mem::take(&mut self.live_refresh));
        }
        self.live_access = format!("acc-{}-{}", self.generation, random_hex());
        self.live_refresh = format!("ref-{}-{}", self.generation, random_hex());
        self.uses = 0;
    }

    fn handle(&mut self, line: &str) -> String {
        let mut parts = line.split_whitespace();
        match (parts.next(), parts.next()) {
            (Some("REFRESH"), Some(rt)) => {
                if rt == self.live_refresh {
                    self.rotate();
                    format!(
                        "OK {} {} {}",
                        self.live_access,
                        self.live_refresh,
                        expires_in(self.generation)
                    )
                } else {
                    if self.dead_refresh.contains(rt) {
                        self.reuse_of_dead += 1;
                    } else {
                        self.unknown_refresh += 1;
                    }
                    "ERR invalid_request".to_owned()
                }
            }
            (Some("USE"), Some(at)) => {
                if at == self.live_access {
                    self.uses += 1;
                    if self.uses > USES_PER_TOKEN {
                        format!("EXPIRED {}", self.generation)
                    } else {
                        format!("OK {}", self.generation)
                    }
                } else if self.old_access.contains(at) {
                    format!("STALE {}", self.generation)
                } else {
                    format!("UNKNOWN {}", self.generation)
                }
            }
            (Some("READY"), None) => {
                self.ready += 1;
                "OK".to_owned()
            }
            _ => "ERR bad_command".to_owned(),
        }
    }
}

fn call(addr: &str, line: &str) -> std::io::Result<String> {
    call_within(addr, line, Duration::from_secs(10))
}

fn call_within(addr: &str, line: &str, timeout: Duration) -> std::io::Result<String> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(timeout))?;
    s.write_all(format!("{line}\n").as_bytes())?;
    let mut out = String::new();
    BufReader::new(s).read_line(&mut out)?;
    Ok(out.trim_end().to_owned())
}

/// Serves the endpoint; a READY call is answered only once `procs` children have made one.
fn serve(endpoint: Arc<Mutex<Endpoint>>, stop: Arc<AtomicBool>, procs: u64) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    listener.set_nonblocking(true).unwrap();
    thread::spawn(move || {
        while !stop.load(Ordering::SeqCst) {
            match listener.accept() {
                Ok((s, _)) => {
                    let ep = endpoint.clone();
                    thread::spawn(move || {
                        s.set_nonblocking(false).unwrap();
                        let mut reader = BufReader::new(s.try_clone().unwrap());
                        let mut line = String::new();
                        if reader.read_line(&mut line).is_err() {
                            return;
                        }
                        if line.starts_with("REFRESH") {
                            // A token endpoint takes a while: widen the race window.
                            thread::sleep(Duration::from_millis(5));
                        }
                        let reply = ep.lock().unwrap().handle(line.trim_end());
                        if line.starts_with("READY") {
                            let gate = Instant::now() + Duration::from_secs(60);
                            while ep.lock().unwrap().ready < procs && Instant::now() < gate {
                                thread::sleep(Duration::from_millis(1));
                            }
                        }
                        let mut s = s;
                        let _ = s.write_all(format!("{reply}\n").as_bytes());
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    thread::sleep(Duration::from_millis(1));
                }
                Err(_) => thread::sleep(Duration::from_millis(1)),
            }
        }
    });
    addr
}

/// The refresh function a child uses: the fake endpoint's REFRESH call.
fn refresh_via(addr: String) -> impl Fn(&Secret) -> Result<TokenSet, Error> + Send + Sync {
    move |rt: &Secret| {
        let reply = call(&addr, &format!("REFRESH {}", rt.expose()))
            .map_err(|e| Error::Transport(e.to_string()))?;
        let p: Vec<&str> = reply.split_whitespace().collect();
        match p.as_slice() {
            ["OK", a, r, exp] => Ok(TokenSet::new(
                *a,
                Some(Secret::new(*r)),
                Some(unix_now() + exp.parse::<u64>().unwrap()),
                vec!["follows.write".into(), "offline.access".into()],
            )),
            ["ERR", code] => Err(Error::OAuth {
                status: 400,
                error: (*code).to_owned(),
                description: Some("Value passed for the token was invalid.".into()),
            }),
            _ => Err(Error::InvalidResponse(format!("bad reply {reply:?}"))),
        }
    }
}

fn child() {
    let addr = std::env::var("XF_ROTATION_ADDR").unwrap();
    let store = TokenStore::new(std::env::var("XF_ROTATION_STORE").unwrap());
    let threads = env_num("XF_ROTATION_THREADS", 8) as usize;
    let cycles = env_num("XF_ROTATION_CYCLES", 40);
    let refresher = Refresher::from_store(store, refresh_via(addr.clone()))
        .unwrap()
        .margin(Duration::ZERO)
        .build();
    let uses = Arc::new(AtomicU64::new(0));
    let retries = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(Mutex::new(Vec::<String>::new()));
    assert_eq!(
        call_within(&addr, "READY", Duration::from_secs(70)).unwrap(),
        "OK"
    );
    let deadline = Instant::now() + Duration::from_secs(90);
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (r, addr, uses, retries, errors) = (
                refresher.clone(),
                addr.clone(),
                uses.clone(),
                retries.clone(),
                errors.clone(),
            );
            thread::spawn(move || {
                for _ in 0..200_000 {
                    if Instant::now() > deadline {
                        errors.lock().unwrap().push("deadline reached".into());
                        return;
                    }
                    let tok = match r.access_token(unix_now()) {
                        Ok(t) => t,
                        Err(e) => {
                            errors.lock().unwrap().push(e.to_string());
                            return;
                        }
                    };
                    let reply = call(&addr, &format!("USE {}", tok.expose())).unwrap();
                    let (status, generation) = reply.split_once(' ').unwrap();
                    let generation: u64 = generation.parse().unwrap();
                    match status {
                        "OK" => {
                            uses.fetch_add(1, Ordering::Relaxed);
                        }
                        "EXPIRED" | "STALE" => {
                            // The 401 path: refresh once for this token, retry once.
                            let t2 = match r.after_unauthorized(tok.expose()) {
                                Ok(t) => t,
                                Err(e) => {
                                    errors.lock().unwrap().push(e.to_string());
                                    return;
                                }
                            };
                            let again = call(&addr, &format!("USE {}", t2.expose())).unwrap();
                            if again.starts_with("OK") {
                                uses.fetch_add(1, Ordering::Relaxed);
                            } else {
                                // Rotated again in between: fine, next iteration.
                                retries.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        other => {
                            errors
                                .lock()
                                .unwrap()
                                .push(format!("endpoint answered {other}"));
                            return;
                        }
                    }
                    if generation >= cycles {
                        return;
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let st = refresher.stats();
    let errors = errors.lock().unwrap();
    println!(
        "\nSUMMARY uses={} retries={} refreshes={} adoptions={} failures={} errors={}",
        uses.load(Ordering::Relaxed),
        retries.load(Ordering::Relaxed),
        st.refreshes,
        st.adoptions,
        st.failures,
        errors.len()
    );
    for e in errors.iter() {
        println!("ERROR {e}");
    }
    assert!(errors.is_empty(), "{errors:?}");
}

fn summary_field(line: &str, name: &str) -> u64 {
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn rotation_under_contention_across_processes() {
    if std::env::var_os(CHILD_ENV).is_some() {
        child();
        return;
    }
    let procs = env_num("XF_ROTATION_PROCS", 2);
    let cycles = env_num("XF_ROTATION_CYCLES", 40);

    let dir: PathBuf =
        std::env::temp_dir().join(format!("xfollow-rotation-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let store_path = dir.join("tokens.json");

    let endpoint = Arc::new(Mutex::new(Endpoint::default()));
    let initial = {
        let mut ep = endpoint.lock().unwrap();
        ep.rotate();
        TokenSet::new(
            ep.live_access.clone(),
            Some(Secret::new(ep.live_refresh.clone())),
            Some(unix_now() + 3600),
            vec!["follows.write".into(), "offline.access".into()],
        )
    };
    TokenStore::new(&store_path).save(&initial).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let addr = serve(endpoint.clone(), stop.clone(), procs);

    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..procs)
        .map(|_| {
            Command::new(&exe)
                .args([
                    "--exact",
                    "rotation_under_contention_across_processes",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(CHILD_ENV, "1")
                .env("XF_ROTATION_ADDR", &addr)
                .env("XF_ROTATION_STORE", &store_path)
                .env("XF_ROTATION_CYCLES", cycles.to_string())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut total_refreshes = 0;
    let mut total_adoptions = 0;
    for c in children {
        let out = c.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "child failed:\n{stdout}\n{stderr}");
        let line = stdout
            .lines()
            .find_map(|l| l.find("SUMMARY ").map(|i| &l[i..]))
            .unwrap_or_else(|| panic!("no summary:\n{stdout}\n{stderr}"));
        eprintln!("{line}");
        assert_eq!(summary_field(line, "errors"), 0, "{stdout}");
        assert_eq!(summary_field(line, "failures"), 0, "{stdout}");
        assert!(summary_field(line, "uses") > 0, "{line}");
        total_refreshes += summary_field(line, "refreshes");
        total_adoptions += summary_field(line, "adoptions");
    }
    stop.store(true, Ordering::SeqCst);

    let ep = endpoint.lock().unwrap();
    assert_eq!(ep.reuse_of_dead, 0, "a dead refresh token was used again");
    assert_eq!(ep.unknown_refresh, 0);
    assert!(
        ep.generation > cycles,
        "only {} refresh cycles",
        ep.generation
    );
    // Every rotation on the endpoint was made by exactly one refresh in one process.
    assert_eq!(total_refreshes, ep.generation - 1);
    // The processes really did share: some rotations were taken from the store.
    assert!(total_adoptions > 0);
    // The store ends with the live pair.
    let stored = TokenStore::new(&store_path).load().unwrap().unwrap();
    assert_eq!(stored.refresh_token.unwrap().expose(), ep.live_refresh);
    assert_eq!(stored.access_token.expose(), ep.live_access);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&store_path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    drop(ep);
    std::fs::remove_dir_all(dir).unwrap();
}
