//! Client-side accounting of X's daily follow caps.
//!
//! X documents three daily caps on the follows endpoints: 400 follows per user, 1,000 follows
//! per app across all its users, and 500 unfollows per app. X does not say how many of them are
//! left before a request fails, so the [`Ledger`] counts them itself, on rolling 24-hour windows,
//! in a store shared by every process that acts for the same app:
//!
//! | URL | store | shared by |
//! |---|---|---|
//! | `memory:` (default) | a table in this process | every ledger of this process |
//! | `sqlite:PATH` | an SQLite file (WAL, `BEGIN IMMEDIATE`, busy timeout) | every process on the machine |
//! | `redis://host:port[/db]`, `rediss://` (TLS) | sorted sets, changed by Lua scripts | every worker on every machine |
//!
//! # Counting
//!
//! Every follow or unfollow is an entry stamped with the time (whole epoch seconds) its slot
//! was reserved. An entry counts while it is younger than 24 hours: at time `now` a window's
//! `used` is the number of its entries with `stamp > now - 86400`, and an entry's slot frees at
//! `stamp + 86400`. When a window is full, the next slot frees when enough of its oldest
//! entries have expired to bring `used` below the cap (usually: the oldest entry + 86400).
//!
//! Windows of one app (an [`AppId`], a hash of the app's consumer key or client id):
//! - follows of one user, capped by [`QuotaLimits::follows_per_user`];
//! - follows of all users, capped by [`QuotaLimits::follows_per_app`];
//! - unfollows of all users, capped by [`QuotaLimits::unfollows_per_app`].
//!
//! A follow takes a slot in the first two, an unfollow in the third. A cap of 0 turns that cap
//! off: the window is still counted (and reported), nothing is refused. A cap above
//! [`QuotaLimits::MAX`] is refused when the ledger is opened.
//!
//! # Reserve, then commit or release
//!
//! [`Ledger::reserve`] checks the caps and writes the entry in one atomic step (one
//! `BEGIN IMMEDIATE` transaction, one Lua script), and the entry is in the store (committed to
//! the SQLite file, applied by Redis) before `reserve` returns. Send the request only after it
//! returned. Then:
//! - [`Reservation::release`] removes the entry: call it only when the request provably never
//!   reached X (the connection was refused, the input was found invalid before sending);
//! - [`Reservation::commit`] keeps it: every other outcome, success or failure;
//! - dropping a reservation without either keeps it too. The ledger may over-count, never
//!   under-count, and a process killed between `reserve` and the response leaves its entries
//!   counted.
//!
//! [`Ledger::observe_server_window`] feeds the server's 24-hour headers back: when X reports
//! less room than the ledger thinks, placeholder entries are added that free at X's reset, or,
//! when X says none is left, one marker per window ("full until T"): a window with a marker
//! whose T is ahead counts as full, and the marker lapses at T. X's reset is believed at most
//! 24 hours ahead, so one answer cannot close a window for longer than a day.

mod error;
mod ledger;
mod memory;
pub(crate) mod redis_store;
mod reservation;
pub(crate) mod sqlite;
mod store;
mod types;
mod window;

pub use crate::clock::{epoch_secs, from_epoch_secs, Clock, ManualClock, SystemClock};
pub use error::{QuotaError, QuotaExhausted};
pub use ledger::Ledger;
pub use reservation::Reservation;
pub(crate) use store::{parse_store_url, Store, StoreUrl, Windows, KEEP_SECS};
pub use types::{
    Action, AppId, QuotaLimits, QuotaStatus, Scope, ServerWindow, StoreKind, WindowStatus,
    WINDOW_SECS,
};

#[cfg(test)]
mod tests {
    use super::ledger::check_user_id;
    use super::*;

    #[test]
    fn app_id_is_a_hash_and_never_the_key() {
        let a = AppId::from_key("xvz1evFS4wEEPTGEFPHBog");
        assert_eq!(a.as_str().len(), 32);
        assert!(a.as_str().bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(!a.as_str().contains("xvz1"));
        assert!(!format!("{a:?}").contains("xvz1"));
        assert_eq!(a, AppId::from_key("xvz1evFS4wEEPTGEFPHBog"));
        assert_ne!(a, AppId::from_key("xvz1evFS4wEEPTGEFPHBoh"));
    }

    #[test]
    fn user_ids_are_checked() {
        assert_eq!(check_user_id("1072250532645998596"), Ok(()));
        assert_eq!(check_user_id("worker_1-a"), Ok(()));
        assert_eq!(check_user_id(""), Err(QuotaError::InvalidUserId));
        assert_eq!(check_user_id("a:b"), Err(QuotaError::InvalidUserId));
        assert_eq!(check_user_id("{x}"), Err(QuotaError::InvalidUserId));
        assert_eq!(
            check_user_id(&"1".repeat(65)),
            Err(QuotaError::InvalidUserId)
        );
    }

    #[test]
    fn unknown_store_urls_are_refused_without_echoing_them() {
        let e = Ledger::open("postgres://u:secretpw@h/db", QuotaLimits::default()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid quota store URL: unknown scheme 'postgres': expected memory:, sqlite:PATH, redis://host:port[/db] or rediss://host:port[/db]"
        );
        let e = Ledger::open("sqlite:", QuotaLimits::default()).unwrap_err();
        assert!(matches!(e, QuotaError::InvalidUrl(_)));
    }

    #[test]
    fn refusal_message_names_scope_cap_and_time() {
        let e = QuotaExhausted {
            action: Action::Follow,
            scope: Scope::User,
            limit: 400,
            used: 400,
            next_free_at: 1_700_086_400,
        };
        assert_eq!(
            e.to_string(),
            "daily quota exhausted: 400 of 400 follows per 24 hours used by this user; next slot frees at 1700086400 (Unix time)"
        );
    }
}
