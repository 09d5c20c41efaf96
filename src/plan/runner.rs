//! The runner: claims intents under a lease, sends them with a [`Client`], records each
//! outcome, and waits as the pace, X's windows and the quota ledger require.

use std::cell::Cell;
use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::compute::whole_list;
use super::intent::{Counts, Failure, Intent, State, Target};
use super::store::{Claim, Finish, Slot, Take};
use super::{Pace, Plan, PlanError};
use crate::api::FollowState;
use crate::cancel::Cancel;
use crate::client::Client;
use crate::clock::{Clock, SystemClock};
use crate::error::{Error, ErrorKind};
use crate::quota::Action;

/// Waits for a span of the run's clock. The default sleeps on the system clock (and wakes
/// early when cancelled); tests move a manual clock instead, so that a day runs in seconds.
pub type Sleep = Arc<dyn Fn(Duration) + Send + Sync>;

/// The longest lease: a day.
const MAX_LEASE: Duration = Duration::from_secs(86_400);
/// How often a runner looks again at a plan whose only intents are held by other runners.
const HELD_POLL_MS: i64 = 5_000;
/// A 429 without a usable reset pauses the plan for one 15-minute window.
const DEFAULT_429_PAUSE_MS: i64 = 15 * 60 * 1000;

/// How a run goes.
#[derive(Clone)]
pub struct RunOptions {
    pace: Pace,
    lease: Duration,
    until: Option<SystemTime>,
    max: Option<Duration>,
    check_current: bool,
    clock: Arc<dyn Clock>,
    sleep: Option<Sleep>,
    cancel: Cancel,
}

impl fmt::Debug for RunOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunOptions")
            .field("pace", &self.pace)
            .field("lease", &self.lease)
            .field("until", &self.until)
            .field("max", &self.max)
            .field("check_current", &self.check_current)
            .finish_non_exhaustive()
    }
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            pace: Pace::default(),
            lease: Duration::from_secs(600),
            until: None,
            max: None,
            check_current: true,
            clock: Arc::new(SystemClock),
            sleep: None,
            cancel: Cancel::new(),
        }
    }
}

impl RunOptions {
    /// Default options: [`Pace::default`] (400 per day), 10-minute leases, no time limit,
    /// the current relationships checked, the system clock.
    pub fn new() -> Self {
        Self::default()
    }

    /// At most this many requests per hour or day for each plan.
    pub fn pace(mut self, pace: Pace) -> Self {
        self.pace = pace;
        self
    }

    /// How long an intent is held by the runner that claimed it (1 s to 1 day; default
    /// 10 minutes). Once it ends, another runner takes the intent over and sends it again
    /// (follow and unfollow are idempotent): keep it above the client's longest call, retries
    /// and 429 waits included.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// Return when this time comes (by the run's clock), whatever is left.
    pub fn until(mut self, t: SystemTime) -> Self {
        self.until = Some(t);
        self
    }

    /// Return after this many seconds (by the run's clock), whatever is left.
    pub fn max_seconds(mut self, s: u64) -> Self {
        self.max = Some(Duration::from_secs(s));
        self
    }

    /// Read each source's following list once per run and end intents already in the wanted
    /// state as `skipped`, without a request (default on; one lookup page per 1,000).
    pub fn check_current(mut self, on: bool) -> Self {
        self.check_current = on;
        self
    }

    /// The run's clock (default: the system clock). Give the client the same one.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// How the run waits (default: sleep, woken early by [`cancel`](Self::cancel)).
    pub fn sleep(mut self, sleep: Sleep) -> Self {
        self.sleep = Some(sleep);
        self
    }

    /// A switch that stops the run between intents (and wakes its waits).
    pub fn cancel(mut self, cancel: Cancel) -> Self {
        self.cancel = cancel;
        self
    }

    fn check(&self) -> Result<(), PlanError> {
        if self.lease < Duration::from_secs(1) || self.lease > MAX_LEASE {
            return Err(PlanError::InvalidOption(
                "the lease is 1 second to 1 day".into(),
            ));
        }
        Ok(())
    }
}

/// Why a run returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Nothing is left queued or held.
    Finished,
    /// `until` or `max_seconds` came before the next request could be sent.
    Deadline,
    /// Cancelled.
    Cancelled,
    /// A progress callback asked for it ([`Progress::stop`]).
    Stopped,
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunReport {
    /// The counts of the run's plans (summed) when it returned.
    pub counts: Counts,
    /// Intents for which this run sent a follow or unfollow.
    pub sent: u64,
    /// Why it returned.
    pub stop: Stop,
}

/// Reported after every intent the run handled.
#[derive(Debug, Clone)]
pub struct Progress<'a> {
    /// The plan.
    pub plan: &'a str,
    /// The intent.
    pub intent: &'a Intent,
    /// Its state now (`Queued` when it was put back: 429, cap, server or network error).
    pub state: State,
    /// Its failure, when it failed.
    pub failure: Option<&'a Failure>,
    /// The plan's counts after it.
    pub counts: Counts,
    /// When the plan may send its next request (pace, or a pause until a window frees).
    pub next_request_at: SystemTime,
    stop: &'a Cell<bool>,
}

impl Progress<'_> {
    /// Ends the run after this intent ([`Stop::Stopped`]), without cancelling the client
    /// (other threads' calls on it go on); an intent already claimed for later goes back.
    pub fn stop(&self) {
        self.stop.set(true);
    }
}

/// Runs plans. One runner may work many plans (each with the client of its source user), and
/// many runners (threads, processes, machines) may work the same plans on one store.
#[derive(Debug, Clone)]
pub struct Runner {
    options: RunOptions,
}

struct Job<'a> {
    plan: &'a Plan,
    client: &'a Client,
    not_before: i64,
    finished: bool,
    /// The source's following list, read once per run when `check_current` is on.
    current: Option<HashSet<String>>,
    /// The intent claimed for the plan's next request, not sent yet.
    held: Option<Held>,
}

/// An intent claimed and not sent yet.
struct Held {
    key: String,
    resolved: Option<String>,
    taken_over: bool,
    /// When it may be sent (epoch ms).
    at: i64,
    /// Its lease's end: the claim's token.
    lease: i64,
    /// The plan's next request time its claim set.
    next_at: i64,
}

impl Held {
    /// Hands it back unsent: to the head of the queue, and the plan's next request time back
    /// to its send time (while no other claim moved it).
    fn release(&self, plan: &Plan) -> Result<(), PlanError> {
        let slot = Slot {
            taken: self.next_at,
            back_to: self.at,
        };
        plan.raw()
            .release(plan.name(), &self.key, self.lease, Some(slot))
    }
}

/// Why a run must end after an intent (which was put back first).
enum End {
    /// An error every intent would meet alike.
    Fail(PlanError),
    /// The client was cancelled.
    Cancelled,
}

/// What became of one claimed intent.
enum Outcome {
    Finished(State, Option<Failure>),
    /// Put back in the queue; the plan waits until this time (epoch ms) or its pace. `true`
    /// when the wait is the ledger's, not the pace's (nothing was sent).
    Requeued(i64, bool),
}

fn ms(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH).map_or(0, duration_ms)
}

fn at_ms(v: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(u64::try_from(v).unwrap_or(0))
}

/// An error's outcome for an intent for which nothing was sent.
fn not_sent((outcome, end): (Outcome, Option<End>)) -> (bool, Outcome, Option<End>) {
    (false, outcome, end)
}

/// The earlier of `wake` (if any) and `t`.
fn sooner(wake: Option<i64>, t: i64) -> Option<i64> {
    Some(wake.map_or(t, |w| w.min(t)))
}

fn duration_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Runner {
    /// A runner with these options.
    pub fn new(options: RunOptions) -> Result<Runner, PlanError> {
        options.check()?;
        Ok(Runner { options })
    }

    fn now(&self) -> i64 {
        ms(self.options.clock.now())
    }

    fn wait(&self, d: Duration) {
        match &self.options.sleep {
            Some(s) => s(d),
            None => {
                self.options.cancel.sleep(d);
            }
        }
    }

    /// Runs one plan with the client of its source user; see [`run_all`](Self::run_all).
    pub fn run(
        &self,
        plan: &Plan,
        client: &Client,
        progress: impl FnMut(&Progress<'_>),
    ) -> Result<RunReport, PlanError> {
        self.run_all(&[(plan, client)], progress)
    }

    /// Works every plan, each with its client, until nothing is queued or held
    /// ([`Stop::Finished`]), until `until` / `max_seconds` comes before the next request
    /// ([`Stop::Deadline`]), or until cancelled. Calls `progress` after every intent.
    ///
    /// An intent that failed for good is recorded and the run goes on. A store error, or a
    /// client error that would fail every intent alike (401, token or ledger store errors),
    /// puts the intent back and returns the error.
    pub fn run_all(
        &self,
        plans: &[(&Plan, &Client)],
        mut progress: impl FnMut(&Progress<'_>),
    ) -> Result<RunReport, PlanError> {
        for (plan, client) in plans {
            plan.check_client(client)?;
        }
        let mut jobs: Vec<Job<'_>> = plans
            .iter()
            .map(|(plan, client)| Job {
                plan,
                client,
                not_before: 0,
                finished: false,
                current: None,
                held: None,
            })
            .collect();
        let mut sent = 0;
        let stop = self.work(&mut jobs, &mut sent, &mut progress);
        // Whatever ended the run, an intent claimed for a later send goes back.
        let released = Self::release_all(&mut jobs);
        let stop = stop?;
        released?;
        let mut counts = Counts::default();
        for (plan, _) in plans {
            counts.add(&plan.status()?);
        }
        Ok(RunReport { counts, sent, stop })
    }

    fn lease_ms(&self) -> i64 {
        duration_ms(self.options.lease)
    }

    /// A claim at `now` for a send time up to `latest`, with the run's lease and a new pace
    /// gap.
    fn take(&self, now: i64, latest: i64) -> Take {
        Take {
            now,
            latest,
            lease: self.lease_ms(),
            gap: duration_ms(self.options.pace.gap()),
        }
    }

    /// Notes what a claim made with `take` found.
    fn note(job: &mut Job<'_>, claim: Claim, take: Take) {
        match claim {
            Claim::Intent {
                key,
                resolved,
                taken_over,
                at,
                lease,
            } => {
                job.not_before = at;
                job.held = Some(Held {
                    key,
                    resolved,
                    taken_over,
                    at,
                    lease,
                    next_at: at.saturating_add(take.gap),
                });
            }
            Claim::NotBefore(t) => job.not_before = t,
            Claim::Held(t) => job.not_before = t.min(take.now.saturating_add(HELD_POLL_MS)),
            Claim::Empty => job.finished = true,
        }
    }

    /// Hands back the intents claimed and not sent. On an error the others are still handed
    /// back (the failed one's lease lapses).
    fn release_all(jobs: &mut [Job<'_>]) -> Result<(), PlanError> {
        let mut result = Ok(());
        for job in jobs {
            if let Some(h) = job.held.take() {
                let r = h.release(job.plan);
                if result.is_ok() {
                    result = r;
                }
            }
        }
        result
    }

    fn work(
        &self,
        jobs: &mut [Job<'_>],
        sent: &mut u64,
        progress: &mut impl FnMut(&Progress<'_>),
    ) -> Result<Stop, PlanError> {
        let start = self.now();
        let deadline = [
            self.options.until.map(ms),
            self.options
                .max
                .map(|m| start.saturating_add(duration_ms(m))),
        ]
        .into_iter()
        .flatten()
        .min();
        let mut cancelled = false;
        let stop = Cell::new(false);
        loop {
            if cancelled || self.options.cancel.is_cancelled() {
                return Ok(Stop::Cancelled);
            }
            let mut wake: Option<i64> = None;
            let mut progressed = false;
            for job in jobs.iter_mut().filter(|j| !j.finished) {
                let now = self.now();
                if deadline.is_some_and(|d| now >= d) || self.options.cancel.is_cancelled() {
                    break;
                }
                if job.not_before > now {
                    wake = sooner(wake, job.not_before);
                    continue;
                }
                // Back later than its send time plus a lease (a slow callback, other plans'
                // requests): too little of its lease is left to send it; hand it back and
                // claim again (it may be this intent, under a new lease).
                let late = |h: &mut Held| h.lease.saturating_sub(now) < self.lease_ms();
                if let Some(h) = job.held.take_if(late) {
                    h.release(job.plan)?;
                }
                if job.held.is_none() {
                    let take = self.take(now, now);
                    let claim = job.plan.raw().claim(job.plan.name(), take)?;
                    Self::note(job, claim, take);
                }
                let Some(held) = job.held.take_if(|h| h.at <= now) else {
                    wake = sooner(wake, job.not_before);
                    continue;
                };
                progressed = true;
                job.not_before = held.next_at;
                let intent = Intent::from_key(&held.key);
                let (did_send, outcome, end) = self.execute(job, intent.as_ref(), &held, now)?;
                *sent += u64::from(did_send);
                // Nothing sent and nothing to wait for but the ledger: the next intent need not
                // wait for the pace. (A server or network error keeps the pace's wait, so that
                // a failing connection is not tried in a loop.)
                let gives_back = match outcome {
                    Outcome::Finished(..) => !did_send,
                    Outcome::Requeued(_, ledger) => ledger,
                };
                let slot = gives_back.then_some(Slot {
                    taken: held.next_at,
                    back_to: now,
                });
                if slot.is_some() {
                    job.not_before = now;
                }
                let (state, failure, counts) = match outcome {
                    Outcome::Finished(state, failure) => {
                        let after = self.now();
                        // The same call claims the next intent, for the time the pace lets it
                        // go, unless the run ends before that time.
                        let ahead = end.is_none()
                            && !self.options.cancel.is_cancelled()
                            && deadline.is_none_or(|d| job.not_before.max(after) < d);
                        let finish = Finish {
                            failure: failure.as_ref(),
                            slot,
                            ..Finish::new(&held.key, held.lease, state)
                        };
                        let counts = if ahead {
                            // Held through the wait, then a whole lease for the request
                            // plus one of grace for coming back late.
                            let take = Take {
                                lease: self.lease_ms().saturating_mul(2),
                                ..self.take(after, job.not_before)
                            };
                            let r =
                                job.plan
                                    .raw()
                                    .finish_and_claim(job.plan.name(), finish, take)?;
                            r.map(|(counts, claim)| {
                                Self::note(job, claim, take);
                                counts
                            })
                        } else {
                            job.plan.raw().finish(job.plan.name(), finish)?
                        };
                        let counts = match counts {
                            Some(c) => c,
                            None => job.plan.status()?,
                        };
                        (state, failure, counts)
                    }
                    Outcome::Requeued(until, _) => {
                        job.plan.raw().requeue(
                            job.plan.name(),
                            &held.key,
                            held.lease,
                            until,
                            slot,
                        )?;
                        job.not_before = job.not_before.max(until);
                        (State::Queued, None, job.plan.status()?)
                    }
                };
                if let Some(intent) = &intent {
                    progress(&Progress {
                        plan: job.plan.name(),
                        intent,
                        state,
                        failure: failure.as_ref(),
                        counts,
                        next_request_at: at_ms(job.not_before),
                        stop: &stop,
                    });
                }
                match end {
                    Some(End::Fail(e)) => return Err(e),
                    Some(End::Cancelled) => {
                        cancelled = true;
                        break;
                    }
                    None if stop.get() => return Ok(Stop::Stopped),
                    None => {}
                }
                wake = sooner(wake, job.not_before);
            }
            if cancelled || self.options.cancel.is_cancelled() {
                return Ok(Stop::Cancelled);
            }
            if jobs.iter().all(|j| j.finished) {
                return Ok(Stop::Finished);
            }
            let now = self.now();
            if deadline.is_some_and(|d| now >= d) {
                return Ok(Stop::Deadline);
            }
            if progressed {
                continue;
            }
            let Some(wake) = wake else { continue };
            if deadline.is_some_and(|d| wake >= d) {
                return Ok(Stop::Deadline);
            }
            if wake > now {
                self.wait(Duration::from_millis(
                    u64::try_from(wake - now).unwrap_or(0),
                ));
            }
        }
    }

    /// Sends one claimed intent (unless it is already in the wanted state) and says what
    /// became of it, whether a follow or unfollow was sent, and the error that must end the
    /// run (the intent is put back first).
    fn execute(
        &self,
        job: &mut Job<'_>,
        intent: Option<&Intent>,
        held: &Held,
        now: i64,
    ) -> Result<(bool, Outcome, Option<End>), PlanError> {
        let Some(intent) = intent else {
            let f = Failure {
                kind: ErrorKind::InvalidArgument,
                message: "the stored intent is not readable".into(),
            };
            return Ok((false, Outcome::Finished(State::Failed, Some(f)), None));
        };
        let target = match (&intent.target, &held.resolved) {
            (Target::Id(id), _) => id.clone(),
            (Target::Username(_), Some(id)) => id.clone(),
            (Target::Username(name), None) => match job.client.user_by_username(name) {
                Ok(u) => {
                    job.plan.raw().resolve(job.plan.name(), &held.key, &u.id)?;
                    u.id
                }
                Err(e) => return Ok(not_sent(self.after_error(e, now))),
            },
        };
        if self.options.check_current {
            if job.current.is_none() {
                match whole_list(job.client, job.plan.source_user_id(), false) {
                    Ok(users) => job.current = Some(users.into_iter().map(|u| u.id).collect()),
                    Err(PlanError::Client(e)) => return Ok(not_sent(self.after_error(e, now))),
                    Err(e) => return Err(e),
                }
            }
            let following = job.current.as_ref().is_some_and(|c| c.contains(&target));
            let wanted = match intent.action {
                Action::Follow => following,
                Action::Unfollow => !following,
            };
            if wanted {
                // Taken over from a runner that died after its request: that request did it.
                let state = if held.taken_over {
                    State::Done
                } else {
                    State::Skipped
                };
                return Ok((false, Outcome::Finished(state, None), None));
            }
        }
        let source = job.plan.source_user_id();
        let r = match intent.action {
            Action::Follow => job.client.follow(Some(source), &target),
            Action::Unfollow => job.client.unfollow(Some(source), &target),
        };
        match r {
            Ok(o) => {
                if let Some(cur) = job.current.as_mut() {
                    if o.state == FollowState::Following {
                        cur.insert(target);
                    } else {
                        cur.remove(&target);
                    }
                }
                let state = match o.state {
                    FollowState::Pending => State::Pending,
                    FollowState::Following | FollowState::NotFollowing => State::Done,
                };
                Ok((true, Outcome::Finished(state, None), None))
            }
            Err(e) => {
                let sent = e.may_have_reached_server();
                let (outcome, end) = self.after_error(e, now);
                Ok((sent, outcome, end))
            }
        }
    }

    /// What an error makes of the intent: put back (and the plan paused) when it may succeed
    /// later, failed for good when the target is the problem, and the run ended when every
    /// intent would fail alike.
    fn after_error(&self, e: Error, now: i64) -> (Outcome, Option<End>) {
        let requeue = |until: i64| (Outcome::Requeued(until, false), None);
        // Until the time the error names (epoch seconds), when it is ahead; else a default.
        let pause = |at: Option<i64>| {
            at.map(|s| s.saturating_mul(1000))
                .filter(|&t| t > now)
                .unwrap_or(now.saturating_add(DEFAULT_429_PAUSE_MS))
        };
        match e.kind() {
            ErrorKind::RateLimited => {
                requeue(pause(e.retry_at().and_then(|s| i64::try_from(s).ok())))
            }
            ErrorKind::QuotaExhausted => (Outcome::Requeued(pause(e.next_free_at()), true), None),
            ErrorKind::Server
            | ErrorKind::Network
            | ErrorKind::Timeout
            | ErrorKind::Tls
            | ErrorKind::Protocol => requeue(0),
            ErrorKind::Cancelled => (Outcome::Requeued(0, false), Some(End::Cancelled)),
            ErrorKind::Unauthorized
            | ErrorKind::QuotaStore
            | ErrorKind::TokenStore
            | ErrorKind::Panic => (
                Outcome::Requeued(0, false),
                Some(End::Fail(PlanError::Client(e))),
            ),
            ErrorKind::NotFound
            | ErrorKind::Forbidden
            | ErrorKind::InvalidArgument
            | ErrorKind::Api => {
                let f = Failure {
                    kind: e.kind(),
                    message: e.message().to_string(),
                };
                (Outcome::Finished(State::Failed, Some(f)), None)
            }
        }
    }
}
