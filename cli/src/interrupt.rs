//! Ctrl-C. During a run, the first one lets the request in flight finish (its outcome is
//! reported and the ledger counts exactly what was sent) and starts no new one; the command
//! then exits 130. A second one cancels the client: a retry wait or a request in flight on a
//! direct connection ends at once (the ledger keeps such a request counted: it may have
//! reached X). Outside a run (waiting for a login), the process exits 130 at once: nothing
//! has been written yet, and every file is replaced atomically anyway.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use xfollow::Cancel;

use crate::failure::Exit;

static CANCEL: OnceLock<Cancel> = OnceLock::new();
static RUN_SWITCH: OnceLock<Cancel> = OnceLock::new();
static IN_RUN: AtomicBool = AtomicBool::new(false);
static STOP: AtomicBool = AtomicBool::new(false);

/// The cancellation switch every client of this process is built with.
pub fn cancel() -> Cancel {
    CANCEL.get_or_init(Cancel::new).clone()
}

/// The switch the first Ctrl-C turns on: a plan runner built with it stops between intents
/// and wakes from its waits, while the client's request in flight finishes.
pub fn run_switch() -> Cancel {
    RUN_SWITCH.get_or_init(Cancel::new).clone()
}

/// Installs the handler (once).
pub fn install() {
    let c = cancel();
    let run = run_switch();
    // Failing to install leaves the default: the signal ends the process.
    let installed = ctrlc::set_handler(move || {
        if !IN_RUN.load(Ordering::SeqCst) {
            std::process::exit(Exit::Interrupted.code());
        }
        if STOP.swap(true, Ordering::SeqCst) {
            c.cancel();
        } else {
            run.cancel();
            eprintln!("xfollow: stopping after the request in flight (Ctrl-C again to abort it)");
        }
    });
    // The handler's thread (started above) takes SIGINT; this thread and those it starts
    // block it. Delivered here, it would cut a socket read that has a timeout with EINTR
    // (such reads are not restarted), which the library reports as a network error and
    // retries: a follow sent twice.
    #[cfg(unix)]
    if installed.is_ok() {
        use nix::sys::signal::{SigSet, Signal};
        let _ = SigSet::from(Signal::SIGINT).thread_block();
    }
    #[cfg(not(unix))]
    let _ = installed;
}

/// From now on, Ctrl-C stops between requests instead of ending the process.
pub fn enter_run() {
    IN_RUN.store(true, Ordering::SeqCst);
}

/// Whether Ctrl-C was pressed.
pub fn interrupted() -> bool {
    STOP.load(Ordering::SeqCst)
}
