//! The cancellation switch of a client: ends retry waits and requests in flight.

use std::fmt;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// A cancellation switch shared between a retrying thread and any other. Clones share it.
///
/// Once [`cancel`](Cancel::cancel)led, every wait of every run using it returns at once and the
/// run ends with [`RetryError::Cancelled`](crate::retry::RetryError::Cancelled), until
/// [`reset`](Cancel::reset).
#[derive(Clone, Default)]
pub struct Cancel {
    inner: Arc<(Mutex<bool>, Condvar)>,
}

impl fmt::Debug for Cancel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cancel")
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

impl Cancel {
    /// A switch that is off.
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// Cancels: wakes every waiting run at once.
    pub fn cancel(&self) {
        let (flag, cv) = &*self.inner;
        *flag.lock().unwrap_or_else(|e| e.into_inner()) = true;
        cv.notify_all();
    }

    /// Turns the switch off again, for later runs.
    pub fn reset(&self) {
        *self.inner.0.lock().unwrap_or_else(|e| e.into_inner()) = false;
    }

    /// Whether it is on.
    pub fn is_cancelled(&self) -> bool {
        *self.inner.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sleeps `d` unless cancelled first. Returns false when cancelled.
    pub fn sleep(&self, d: Duration) -> bool {
        let (flag, cv) = &*self.inner;
        let guard = flag.lock().unwrap_or_else(|e| e.into_inner());
        let (guard, _) = cv
            .wait_timeout_while(guard, d, |cancelled| !*cancelled)
            .unwrap_or_else(|e| e.into_inner());
        !*guard
    }
}
