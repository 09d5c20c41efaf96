//! Intents (follow or unfollow one target), their states, and the counts by state.

use std::fmt;

use super::PlanError;
use crate::error::ErrorKind;
use crate::quota::Action;
use crate::validate;

/// Whom an intent is about: a user id, or an @username resolved at run time (once).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// A user id (`^[0-9]{1,19}$`).
    Id(String),
    /// A username without the `@` (`^[A-Za-z0-9_]{1,15}$`).
    Username(String),
}

impl Target {
    /// Reads `123` as an id and `@name` as a username; anything else is refused.
    pub fn parse(s: &str) -> Result<Target, PlanError> {
        if let Some(name) = s.strip_prefix('@') {
            if validate::is_username(name) {
                return Ok(Target::Username(name.to_string()));
            }
        } else if validate::is_user_id(s) {
            return Ok(Target::Id(s.to_string()));
        }
        Err(PlanError::InvalidTarget)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Id(id) => f.write_str(id),
            Target::Username(n) => write!(f, "@{n}"),
        }
    }
}

/// Follow or unfollow one target.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Intent {
    /// Follow or unfollow.
    pub action: Action,
    /// Whom.
    pub target: Target,
}

impl Intent {
    /// Follow `target` (`123` or `@name`).
    pub fn follow(target: &str) -> Result<Intent, PlanError> {
        Ok(Intent {
            action: Action::Follow,
            target: Target::parse(target)?,
        })
    }

    /// Unfollow `target` (`123` or `@name`).
    pub fn unfollow(target: &str) -> Result<Intent, PlanError> {
        Ok(Intent {
            action: Action::Unfollow,
            target: Target::parse(target)?,
        })
    }

    /// The compact key stored for the intent (at most 17 bytes): the target (an id or
    /// `@name`) for a follow, `-` and the target for an unfollow. A follow of an id is a
    /// plain integer, which Redis keeps in 9 bytes in a list. Adding the same key twice keeps
    /// one intent.
    pub(crate) fn key(&self) -> String {
        match self.action {
            Action::Follow => self.target.to_string(),
            Action::Unfollow => format!("-{}", self.target),
        }
    }

    /// The intent a stored key stands for (`None`: not a key this code writes).
    pub(crate) fn from_key(key: &str) -> Option<Intent> {
        let (action, target) = match key.strip_prefix('-') {
            Some(rest) => (Action::Unfollow, rest),
            None => (Action::Follow, key),
        };
        let target = Target::parse(target).ok()?;
        Some(Intent { action, target })
    }
}

/// Where an intent is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Not sent yet, or left for later after a server or network error (also while a runner
    /// holds it under a lease).
    Queued,
    /// Sent and accepted: following, or no longer following.
    Done,
    /// A follow of a protected account: it has to accept.
    Pending,
    /// Already in the wanted state before the run: nothing was sent.
    Skipped,
    /// Refused for good (not found, suspended, ...): see the intent's [`Failure`].
    Failed,
}

impl State {
    /// One letter, as stored.
    pub(crate) fn code(self) -> &'static str {
        match self {
            State::Queued => "q",
            State::Done => "d",
            State::Pending => "p",
            State::Skipped => "s",
            State::Failed => "x",
        }
    }

    /// The state of a stored letter (`c`, claimed under a lease, is queued).
    pub(crate) fn from_code(c: &str) -> Option<State> {
        Some(match c {
            "q" | "c" => State::Queued,
            "d" => State::Done,
            "p" => State::Pending,
            "s" => State::Skipped,
            "x" => State::Failed,
            _ => return None,
        })
    }

    /// `"queued"`, `"done"`, `"pending"`, `"skipped"` or `"failed"`.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Queued => "queued",
            State::Done => "done",
            State::Pending => "pending",
            State::Skipped => "skipped",
            State::Failed => "failed",
        }
    }
}

/// Why an intent failed: the typed error's kind and its one-line message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The error's kind.
    pub kind: ErrorKind,
    /// The error's message (one line, at most 400 characters, no secret).
    pub message: String,
}

impl Failure {
    /// `<code>:<message>`, as stored.
    pub(crate) fn encode(&self) -> String {
        format!("{}:{}", self.kind.code(), self.message)
    }

    /// The failure a stored value stands for; an unknown kind reads as `Api`.
    pub(crate) fn decode(s: &str) -> Failure {
        let (code, message) = s.split_once(':').unwrap_or(("", s));
        let kind = code
            .parse::<i32>()
            .ok()
            .and_then(ErrorKind::from_code)
            .unwrap_or(ErrorKind::Api);
        Failure {
            kind,
            message: crate::error::one_line(message),
        }
    }
}

/// One intent as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntentRecord {
    /// What to do.
    pub intent: Intent,
    /// Where it is.
    pub state: State,
    /// The user id an `@username` target was resolved to, once resolved.
    pub resolved_id: Option<String>,
    /// Why it failed, when [`State::Failed`].
    pub failure: Option<Failure>,
}

/// A plan's intents by state. Read from the store, so any process sees the same counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Not sent yet (including those held by a runner now).
    pub queued: u64,
    /// Done.
    pub done: u64,
    /// Pending (protected accounts).
    pub pending: u64,
    /// Skipped (already in the wanted state).
    pub skipped: u64,
    /// Failed.
    pub failed: u64,
}

impl Counts {
    /// Every intent of the plan.
    pub fn total(&self) -> u64 {
        self.queued + self.done + self.pending + self.skipped + self.failed
    }

    /// From the five numbers a store keeps, read by position in the order queued, done,
    /// pending, skipped, failed; a negative one reads as 0.
    pub(crate) fn from_stored<E>(n: impl Fn(usize) -> Result<i64, E>) -> Result<Counts, E> {
        let n = |i| n(i).map(|v| u64::try_from(v).unwrap_or(0));
        Ok(Counts {
            queued: n(0)?,
            done: n(1)?,
            pending: n(2)?,
            skipped: n(3)?,
            failed: n(4)?,
        })
    }

    pub(crate) fn bump(&mut self, s: State, by: i64) {
        let slot = match s {
            State::Queued => &mut self.queued,
            State::Done => &mut self.done,
            State::Pending => &mut self.pending,
            State::Skipped => &mut self.skipped,
            State::Failed => &mut self.failed,
        };
        *slot = slot.saturating_add_signed(by);
    }

    pub(crate) fn add(&mut self, o: &Counts) {
        self.queued += o.queued;
        self.done += o.done;
        self.pending += o.pending;
        self.skipped += o.skipped;
        self.failed += o.failed;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_ids_or_usernames_and_nothing_else() {
        assert_eq!(Target::parse("123"), Ok(Target::Id("123".into())));
        assert_eq!(
            Target::parse("@bob_1"),
            Ok(Target::Username("bob_1".into()))
        );
        for bad in [
            "",
            "@",
            "bob",
            "12a",
            "@bob-1",
            "@abcdefghijklmnop",
            "12345678901234567890",
        ] {
            assert_eq!(Target::parse(bad), Err(PlanError::InvalidTarget), "{bad}");
        }
    }

    #[test]
    fn keys_are_compact_and_round_trip() {
        let i = Intent::follow("1500000000000000001").unwrap();
        assert_eq!(i.key(), "1500000000000000001");
        assert_eq!(Intent::from_key(&i.key()), Some(i));
        let u = Intent::unfollow("1500000000000000001").unwrap();
        assert_eq!(u.key(), "-1500000000000000001");
        assert_eq!(Intent::from_key(&u.key()), Some(u));
        let n = Intent::follow("@carol").unwrap();
        assert_eq!(n.key(), "@carol");
        assert_eq!(Intent::from_key("@carol"), Some(n));
        let un = Intent::unfollow("@carol").unwrap();
        assert_eq!(un.key(), "-@carol");
        assert_eq!(Intent::from_key("-@carol"), Some(un));
        for bad in ["", "-", "--1", "z1", "-@", "+1", "1 "] {
            assert_eq!(Intent::from_key(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn failures_keep_their_kind() {
        let f = Failure {
            kind: ErrorKind::NotFound,
            message: "Could not find user with target_user_id: [9].".into(),
        };
        assert_eq!(
            f.encode(),
            "4:Could not find user with target_user_id: [9]."
        );
        assert_eq!(Failure::decode(&f.encode()), f);
        assert_eq!(Failure::decode("999:x").kind, ErrorKind::Api);
    }
}
