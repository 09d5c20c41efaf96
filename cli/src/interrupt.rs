//! Ctrl-C: the first one cancels the run's client, so the request in flight finishes (its
//! outcome is reported and counted in the ledger) and no new one starts; the command then
//! exits 130. Outside a run (waiting for a login), the process exits 130 at once: nothing has
//! been written yet, and every file is replaced atomically anyway.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use xfollow::Cancel;

use crate::failure::Exit;

static CANCEL: OnceLock<Cancel> = OnceLock::new();
static IN_RUN: AtomicBool = AtomicBool::new(false);

/// The cancellation switch every client of this process is built with.
pub fn cancel() -> Cancel {
    CANCEL.get_or_init(Cancel::new).clone()
}

/// Installs the handler (once).
pub fn install() {
    let c = cancel();
    // Failing to install leaves the default: the signal ends the process.
    let _ = ctrlc::set_handler(move || {
        if IN_RUN.load(Ordering::SeqCst) {
            c.cancel();
        } else {
            std::process::exit(Exit::Interrupted.code());
        }
    });
}

/// From now on, Ctrl-C stops between requests instead of ending the process.
pub fn enter_run() {
    IN_RUN.store(true, Ordering::SeqCst);
}

/// Whether Ctrl-C was pressed.
pub fn interrupted() -> bool {
    cancel().is_cancelled()
}
