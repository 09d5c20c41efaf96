//! Follow plans through the C ABI: `x_plan` (opaque), its intents, counts and runs.

use super::client::x_client;
use super::{
    arg_opt_str, arg_str, boundary, c_string, check_out, out_handle, out_string, out_value, status,
    value_of, write_out, x_result,
};
use super::{castable, free_raw, opt_ref, str_of, try_ref};
use crate::error::{Delivery, Error, ErrorKind};
use crate::plan::{
    Pace, Plan, PlanError, PlanStore, Progress, RunOptions, Runner, State, Stop, MAX_INTENTS,
};
use crate::quota::{epoch_secs, Action};
use std::ffi::{c_char, c_int, c_void, CString};

/// A plan's state of an intent.
pub type x_plan_state = c_int;
/// Not sent yet (or put back for later).
pub const X_PLAN_QUEUED: x_plan_state = 0;
/// Sent and accepted.
pub const X_PLAN_DONE: x_plan_state = 1;
/// A follow of a protected account, awaiting acceptance.
pub const X_PLAN_PENDING: x_plan_state = 2;
/// Already in the wanted state; nothing sent.
pub const X_PLAN_SKIPPED: x_plan_state = 3;
/// Refused for good (not found, suspended...).
pub const X_PLAN_FAILED: x_plan_state = 4;

/// Why x_plan_run returned.
pub type x_plan_stop = c_int;
/// Nothing is left queued or held.
pub const X_PLAN_FINISHED: x_plan_stop = 0;
/// max_seconds came before the next request could be sent.
pub const X_PLAN_DEADLINE: x_plan_stop = 1;
/// Cancelled with x_client_cancel.
pub const X_PLAN_CANCELLED: x_plan_stop = 2;
/// The progress callback returned false.
pub const X_PLAN_STOPPED: x_plan_stop = 3;

/// The most keep-list entries x_plan_unfollow_non_followers accepts.
pub const X_PLAN_MAX_KEEP: usize = 100_000;

/// A named plan of one source user in a store (opaque; free with x_plan_free). Immutable and
/// thread-safe: every call reads or writes the store.
pub struct x_plan {
    plan: Plan,
}

/// What x_plan_run reports after each intent (opaque; valid only during the callback).
pub struct x_plan_progress {
    target: CString,
    action: c_int,
    state: x_plan_state,
    counts: [u64; 5],
    next_request_at: i64,
}

/// Called by x_plan_run after every intent, on the calling thread. Returns true to go on,
/// false to end the run after this intent (X_PLAN_STOPPED; the client is not cancelled).
pub type x_plan_progress_fn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, progress: *const x_plan_progress) -> bool>;

castable! {
    x_plan => "plan", Shared;
    x_plan_progress => "progress", Lent;
}

fn state_code(s: State) -> x_plan_state {
    match s {
        State::Queued => X_PLAN_QUEUED,
        State::Done => X_PLAN_DONE,
        State::Pending => X_PLAN_PENDING,
        State::Skipped => X_PLAN_SKIPPED,
        State::Failed => X_PLAN_FAILED,
    }
}

/// The C error for a plan error: the client's own error, a store failure as
/// X_ERR_QUOTA_STORE (the stores are the ledger's), no such plan as X_ERR_NOT_FOUND, any
/// other as X_ERR_INVALID_ARGUMENT.
fn plan_error(e: PlanError) -> Error {
    let kind = match &e {
        PlanError::Client(c) => return c.clone(),
        PlanError::Store { .. } => ErrorKind::QuotaStore,
        PlanError::NoSuchPlan => ErrorKind::NotFound,
        _ => ErrorKind::InvalidArgument,
    };
    Error::new(kind, e.to_string(), Delivery::NotSent)
}

/// Borrows `count` C strings from `list` (NULL only with `count` 0), at most `max`.
unsafe fn arg_list<'a>(
    list: *const *const c_char,
    count: usize,
    max: usize,
    what: &str,
) -> Result<Vec<&'a str>, Error> {
    if count > max {
        return Err(Error::invalid_argument(format!(
            "{what}: at most {max} entries"
        )));
    }
    if count == 0 {
        return Ok(Vec::new());
    }
    if list.is_null() {
        return Err(Error::invalid_argument(format!("{what} is NULL")));
    }
    // SAFETY: `count` > 0 and `list` non-NULL here; the caller passes `count` readable
    // pointers at `list` that outlive the call (x_plan_add's contract).
    let ptrs = unsafe { std::slice::from_raw_parts(list, count) };
    ptrs.iter()
        // SAFETY: each entry is NULL (refused by arg_str) or NUL-terminated, outliving the call.
        .map(|&p| unsafe { arg_str(p, what) })
        .collect()
}

/// Opens plan `name` in the store at `store_url` (the quota ledger's forms: "memory:",
/// "sqlite:PATH", "redis://host:port[/db]", "rediss://..."). With `source_user_id`, creates
/// it for that user when missing (X_ERR_INVALID_ARGUMENT when it exists for another); with
/// NULL, opens an existing one (X_ERR_NOT_FOUND when there is none). Names: 1 to 64 of
/// A-Z a-z 0-9 _ - . ; a store failure is X_ERR_QUOTA_STORE. `*out` is written on success
/// only.
#[no_mangle]
pub unsafe extern "C" fn x_plan_open(
    store_url: *const c_char,
    name: *const c_char,
    source_user_id: *const c_char,
    out: *mut *mut x_plan,
) -> x_result {
    boundary!({
        out_handle(out, || {
            // SAFETY: each string is NULL or NUL-terminated and outlives the call.
            let url = unsafe { arg_str(store_url, "store_url") }?;
            let name = unsafe { arg_str(name, "name") }?;
            let source = unsafe { arg_opt_str(source_user_id, "source_user_id") }?;
            let store = PlanStore::open(url).map_err(plan_error)?;
            let plan = match source {
                Some(s) => store.create(name, s),
                None => store.plan(name),
            }
            .map_err(plan_error)?;
            Ok(x_plan { plan })
        })
    })
}

/// Frees a plan handle (the plan stays in its store). NULL is accepted.
#[no_mangle]
pub unsafe extern "C" fn x_plan_free(plan: *mut x_plan) {
    boundary!(default = (), {
        // SAFETY: C frees each x_plan_open result once, after its last use (header rules).
        unsafe { free_raw(plan) }
    })
}

/// Adds a follow (or, with `unfollow`, an unfollow) of each of the `count` targets: user ids
/// or "@username"s (resolved when the run reaches them). An intent already in the plan is
/// kept once. `*added` (the new ones) is written on success only; a bad target adds nothing.
#[no_mangle]
pub unsafe extern "C" fn x_plan_add(
    plan: *const x_plan,
    targets: *const *const c_char,
    count: usize,
    unfollow: bool,
    added: *mut u64,
) -> x_result {
    boundary!({
        out_value(added, "added", || {
            // SAFETY: `plan` is NULL or a live x_plan; `targets` holds `count` strings.
            let p = unsafe { try_ref(plan) }?;
            let list = unsafe { arg_list(targets, count, MAX_INTENTS as usize, "targets") }?;
            if unfollow {
                p.plan.unfollow(&list)
            } else {
                p.plan.follow(&list)
            }
            .map_err(plan_error)
        })
    })
}

/// Adds an unfollow of everyone the plan's source follows who does not follow back, except
/// the `keep_count` entries of `keep` (ids or "@username"s, at most X_PLAN_MAX_KEEP). The
/// client must act for the source. `*added` is written on success only.
#[no_mangle]
pub unsafe extern "C" fn x_plan_unfollow_non_followers(
    plan: *const x_plan,
    client: *const x_client,
    keep: *const *const c_char,
    keep_count: usize,
    added: *mut u64,
) -> x_result {
    boundary!({
        out_value(added, "added", || {
            // SAFETY: `plan` and `client` are NULL or live handles; `keep` holds `keep_count`
            // strings.
            let p = unsafe { try_ref(plan) }?;
            let c = unsafe { try_ref(client) }?;
            let keep = unsafe { arg_list(keep, keep_count, X_PLAN_MAX_KEEP, "keep") }?;
            p.plan
                .unfollow_non_followers(c.inner(), &keep)
                .map_err(plan_error)
        })
    })
}

/// Adds a follow of everyone who follows the plan's source and whom it does not follow.
/// The client must act for the source. `*added` is written on success only.
#[no_mangle]
pub unsafe extern "C" fn x_plan_follow_back(
    plan: *const x_plan,
    client: *const x_client,
    added: *mut u64,
) -> x_result {
    boundary!({
        out_value(added, "added", || {
            // SAFETY: `plan` and `client` are NULL or live handles of ours.
            let p = unsafe { try_ref(plan) }?;
            let c = unsafe { try_ref(client) }?;
            p.plan.follow_back(c.inner()).map_err(plan_error)
        })
    })
}

/// The plan's counts by state, from the store (the same from any process). Every
/// out-parameter must be non-NULL; all are written on success only.
#[no_mangle]
pub unsafe extern "C" fn x_plan_status(
    plan: *const x_plan,
    queued: *mut u64,
    done: *mut u64,
    pending: *mut u64,
    skipped: *mut u64,
    failed: *mut u64,
) -> x_result {
    boundary!({
        status(|| {
            for (p, what) in [
                (queued, "queued"),
                (done, "done"),
                (pending, "pending"),
                (skipped, "skipped"),
                (failed, "failed"),
            ] {
                check_out(p, what)?;
            }
            // SAFETY: `plan` is NULL or a live x_plan (shared: the store does the locking).
            let p = unsafe { try_ref(plan) }?;
            let c = p.plan.status().map_err(plan_error)?;
            // SAFETY: the five counts were checked non-NULL above.
            unsafe {
                write_out(queued, c.queued);
                write_out(done, c.done);
                write_out(pending, c.pending);
                write_out(skipped, c.skipped);
                write_out(failed, c.failed);
            }
            Ok(())
        })
    })
}

/// What a run would send, in order, nothing sent: up to `limit` lines "follow TARGET" or
/// "unfollow TARGET", each ending in '\n'. `*out` (free with x_string_free) is written on
/// success only.
#[no_mangle]
pub unsafe extern "C" fn x_plan_dry_run(
    plan: *const x_plan,
    limit: usize,
    out: *mut *mut c_char,
) -> x_result {
    boundary!({
        out_string(out, "out", || {
            // SAFETY: `plan` is NULL or a live x_plan.
            let p = unsafe { try_ref(plan) }?;
            let limit = limit.min(MAX_INTENTS as usize);
            let mut text = String::new();
            for i in p.plan.dry_run(limit).map_err(plan_error)? {
                text.push_str(i.action.as_str());
                text.push(' ');
                text.push_str(&i.target.to_string());
                text.push('\n');
            }
            Ok(c_string(&text))
        })
    })
}

/// Runs the plan with `client` (acting for its source) until nothing is queued
/// (X_PLAN_FINISHED), until `max_seconds` (0: no limit) comes before the next request
/// (X_PLAN_DEADLINE), until x_client_cancel (X_PLAN_CANCELLED), or until `progress` returns
/// false (X_PLAN_STOPPED). `pace` is "N/hour" or
/// "N/day" (NULL: 400/day, X's daily follow cap spread evenly), each gap lengthened by a
/// random fraction up to a half. `progress` (NULL for none) is called after every intent with
/// `user_data`. `*stop` and `*sent` (intents sent by this run) are written on success only;
/// a failure that would fail every intent (401, a store error) ends the run with its code.
#[no_mangle]
pub unsafe extern "C" fn x_plan_run(
    plan: *const x_plan,
    client: *const x_client,
    pace: *const c_char,
    max_seconds: u64,
    progress: x_plan_progress_fn,
    user_data: *mut c_void,
    stop: *mut x_plan_stop,
    sent: *mut u64,
) -> x_result {
    boundary!({
        status(|| {
            check_out(stop, "stop")?;
            check_out(sent, "sent")?;
            // SAFETY: `plan` and `client` are NULL or live handles; `pace` is NULL or
            // NUL-terminated.
            let p = unsafe { try_ref(plan) }?;
            let c = unsafe { try_ref(client) }?;
            let pace = match unsafe { arg_opt_str(pace, "pace") }? {
                Some(s) => Pace::parse(s).map_err(plan_error)?,
                None => Pace::default(),
            };
            let mut options = RunOptions::new()
                .pace(pace)
                .clock(c.inner().clock())
                .cancel(c.inner().cancel_handle());
            if max_seconds > 0 {
                options = options.max_seconds(max_seconds);
            }
            let runner = Runner::new(options).map_err(plan_error)?;
            let report = runner
                .run(&p.plan, c.inner(), |pr: &Progress<'_>| {
                    if let Some(f) = progress {
                        let x = progress_of(pr);
                        // SAFETY: the caller's function, on this thread, with the caller's own
                        // `user_data`; `x` outlives the call.
                        if !unsafe { f(user_data, &x) } {
                            pr.stop();
                        }
                    }
                })
                .map_err(plan_error)?;
            let code = match report.stop {
                Stop::Finished => X_PLAN_FINISHED,
                Stop::Deadline => X_PLAN_DEADLINE,
                Stop::Cancelled => X_PLAN_CANCELLED,
                Stop::Stopped => X_PLAN_STOPPED,
            };
            // SAFETY: `stop` and `sent` were checked non-NULL above.
            unsafe {
                write_out(stop, code);
                write_out(sent, report.sent);
            }
            Ok(())
        })
    })
}

fn progress_of(p: &Progress<'_>) -> x_plan_progress {
    let c = p.counts;
    x_plan_progress {
        target: c_string(&p.intent.target.to_string()),
        action: match p.intent.action {
            Action::Follow => 0,
            Action::Unfollow => 1,
        },
        state: state_code(p.state),
        counts: [c.queued, c.done, c.pending, c.skipped, c.failed],
        next_request_at: epoch_secs(p.next_request_at),
    }
}

/// The intent's target as added (an id or "@username"), owned by the progress object.
#[no_mangle]
pub unsafe extern "C" fn x_plan_progress_target(p: *const x_plan_progress) -> *const c_char {
    // SAFETY: NULL, or the progress object of the callback running now (it lives until the
    // callback returns).
    unsafe { str_of(p, |p| p.target.as_ptr()) }
}

/// 0 for a follow, 1 for an unfollow (-1 for NULL).
#[no_mangle]
pub unsafe extern "C" fn x_plan_progress_unfollow(p: *const x_plan_progress) -> c_int {
    // SAFETY: NULL, or the progress object of the callback running now (it lives until
    // the callback returns).
    unsafe { value_of(p, -1, |p| p.action) }
}

/// The intent's state after it was handled (-1 for NULL).
#[no_mangle]
pub unsafe extern "C" fn x_plan_progress_state(p: *const x_plan_progress) -> x_plan_state {
    // SAFETY: NULL, or the progress object of the callback running now (it lives until
    // the callback returns).
    unsafe { value_of(p, -1, |p| p.state) }
}

/// The plan's count of intents in `state` after it (0 for NULL or an unknown state).
#[no_mangle]
pub unsafe extern "C" fn x_plan_progress_count(
    p: *const x_plan_progress,
    state: x_plan_state,
) -> u64 {
    boundary!(default = 0, {
        // SAFETY: NULL, or the progress object of the callback running now.
        let p = unsafe { opt_ref(p) };
        match (p, usize::try_from(state)) {
            (Some(p), Ok(i)) => p.counts.get(i).copied().unwrap_or(0),
            _ => 0,
        }
    })
}

/// When the plan may send its next request (Unix epoch seconds; 0 for NULL).
#[no_mangle]
pub unsafe extern "C" fn x_plan_progress_next_request_at(p: *const x_plan_progress) -> i64 {
    // SAFETY: NULL, or the progress object of the callback running now (it lives until
    // the callback returns).
    unsafe { value_of(p, 0, |p| p.next_request_at) }
}

/// The names of every plan in the store, sorted, each ending in '\n'. `*out` (free with
/// x_string_free) is written on success only.
#[no_mangle]
pub unsafe extern "C" fn x_plan_list(store_url: *const c_char, out: *mut *mut c_char) -> x_result {
    boundary!({
        out_string(out, "out", || {
            // SAFETY: `store_url` is NULL or NUL-terminated and outlives the call.
            let url = unsafe { arg_str(store_url, "store_url") }?;
            let store = PlanStore::open(url).map_err(plan_error)?;
            let mut text = String::new();
            for n in store.plans().map_err(plan_error)? {
                text.push_str(&n);
                text.push('\n');
            }
            Ok(c_string(&text))
        })
    })
}

/// Deletes plan `name` and its intents. `*dropped` (false when there was none) is written on
/// success only.
#[no_mangle]
pub unsafe extern "C" fn x_plan_drop(
    store_url: *const c_char,
    name: *const c_char,
    dropped: *mut bool,
) -> x_result {
    boundary!({
        out_value(dropped, "dropped", || {
            // SAFETY: `store_url` and `name` are NULL or NUL-terminated.
            let url = unsafe { arg_str(store_url, "store_url") }?;
            let name = unsafe { arg_str(name, "name") }?;
            let store = PlanStore::open(url).map_err(plan_error)?;
            store.drop_plan(name).map_err(plan_error)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::{
        x_last_error_code, x_string_free, X_ERR_INVALID_ARGUMENT, X_ERR_NOT_FOUND, X_SUCCESS,
    };
    use std::ffi::CStr;
    use std::ptr;

    #[test]
    fn plans_through_the_c_abi() {
        // SAFETY: valid arguments, as a C caller would pass them.
        unsafe {
            let url = c"memory:";
            let mut plan: *mut x_plan = ptr::null_mut();
            assert_eq!(
                x_plan_open(url.as_ptr(), c"c-abi".as_ptr(), ptr::null(), &mut plan),
                X_ERR_NOT_FOUND
            );
            assert!(plan.is_null());
            assert_eq!(
                x_plan_open(
                    url.as_ptr(),
                    c"c-abi".as_ptr(),
                    c"1500000000000000001".as_ptr(),
                    &mut plan
                ),
                X_SUCCESS
            );
            let targets = [c"42".as_ptr(), c"@bob".as_ptr(), c"42".as_ptr()];
            let mut added = 99u64;
            assert_eq!(
                x_plan_add(plan, targets.as_ptr(), 3, false, &mut added),
                X_SUCCESS
            );
            assert_eq!(added, 2);
            let bad = [c"42".as_ptr(), ptr::null()];
            added = 99;
            assert_eq!(
                x_plan_add(plan, bad.as_ptr(), 2, true, &mut added),
                X_ERR_INVALID_ARGUMENT
            );
            assert_eq!(added, 99, "not written on failure");
            assert_eq!(
                x_plan_add(plan, ptr::null(), 1, true, &mut added),
                X_ERR_INVALID_ARGUMENT
            );
            assert_eq!(
                x_plan_add(plan, ptr::null(), 0, true, &mut added),
                X_SUCCESS
            );
            assert_eq!(added, 0);
            let (mut q, mut d, mut p, mut s, mut f) = (0, 0, 0, 0, 0);
            assert_eq!(
                x_plan_status(plan, &mut q, &mut d, &mut p, &mut s, &mut f),
                X_SUCCESS
            );
            assert_eq!((q, d, p, s, f), (2, 0, 0, 0, 0));
            assert_eq!(
                x_plan_status(plan, &mut q, ptr::null_mut(), &mut p, &mut s, &mut f),
                X_ERR_INVALID_ARGUMENT
            );
            let mut text: *mut c_char = ptr::null_mut();
            assert_eq!(x_plan_dry_run(plan, 10, &mut text), X_SUCCESS);
            assert_eq!(
                CStr::from_ptr(text).to_str().unwrap(),
                "follow 42\nfollow @bob\n"
            );
            x_string_free(text);
            let mut names: *mut c_char = ptr::null_mut();
            assert_eq!(x_plan_list(url.as_ptr(), &mut names), X_SUCCESS);
            assert!(CStr::from_ptr(names)
                .to_str()
                .unwrap()
                .lines()
                .any(|l| l == "c-abi"));
            x_string_free(names);
            let mut dropped = false;
            assert_eq!(
                x_plan_drop(url.as_ptr(), c"c-abi".as_ptr(), &mut dropped),
                X_SUCCESS
            );
            assert!(dropped);
            x_plan_free(plan);
            x_plan_free(ptr::null_mut());
            assert_eq!(
                x_plan_open(url.as_ptr(), c"bad name".as_ptr(), c"1".as_ptr(), &mut plan),
                X_ERR_INVALID_ARGUMENT
            );
            assert_eq!(x_last_error_code(), X_ERR_INVALID_ARGUMENT);
            assert_eq!(x_plan_progress_state(ptr::null()), -1);
            assert_eq!(x_plan_progress_count(ptr::null(), 0), 0);
            assert!(x_plan_progress_target(ptr::null()).is_null());
        }
    }

    unsafe extern "C" fn record(user_data: *mut c_void, p: *const x_plan_progress) -> bool {
        // SAFETY: the test's Vec, given as user_data; `p` is valid during the call.
        let seen = unsafe { &mut *user_data.cast::<Vec<(String, c_int, c_int, u64, i64)>>() };
        let target = unsafe { CStr::from_ptr(x_plan_progress_target(p)) };
        seen.push((
            target.to_str().unwrap().to_string(),
            unsafe { x_plan_progress_unfollow(p) },
            unsafe { x_plan_progress_state(p) },
            unsafe { x_plan_progress_count(p, X_PLAN_QUEUED) },
            unsafe { x_plan_progress_next_request_at(p) },
        ));
        true
    }

    unsafe extern "C" fn stop_after_one(user_data: *mut c_void, _: *const x_plan_progress) -> bool {
        // SAFETY: the test's counter, given as user_data.
        unsafe { *user_data.cast::<u32>() += 1 };
        false
    }

    /// A run whose requests cannot connect leaves the intent queued, calls back once, and
    /// returns at its deadline (the next try is a pace gap away).
    #[test]
    fn a_run_reports_progress_and_stops_at_its_deadline() {
        use crate::ffi::{
            x_client, x_client_free, x_client_new, x_config, x_config_free, x_config_new,
            x_config_set_base_url, x_config_set_oauth1, x_config_set_retry,
        };
        // SAFETY: valid arguments, as a C caller would pass them.
        unsafe {
            let mut cfg: *mut x_config = ptr::null_mut();
            assert_eq!(x_config_new(&mut cfg), X_SUCCESS);
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let base = CString::new(format!("http://127.0.0.1:{port}")).unwrap();
            assert_eq!(x_config_set_base_url(cfg, base.as_ptr()), X_SUCCESS);
            assert_eq!(
                x_config_set_oauth1(
                    cfg,
                    c"ck".as_ptr(),
                    c"cs".as_ptr(),
                    c"1500000000000000001-t".as_ptr(),
                    c"ts".as_ptr()
                ),
                X_SUCCESS
            );
            assert_eq!(x_config_set_retry(cfg, 1, 1, 1, 0), X_SUCCESS);
            let mut client: *mut x_client = ptr::null_mut();
            assert_eq!(x_client_new(cfg, &mut client), X_SUCCESS);
            let mut plan: *mut x_plan = ptr::null_mut();
            assert_eq!(
                x_plan_open(
                    c"memory:".as_ptr(),
                    c"c-abi-run".as_ptr(),
                    c"1500000000000000001".as_ptr(),
                    &mut plan
                ),
                X_SUCCESS
            );
            let targets = [c"42".as_ptr()];
            let mut added = 0;
            assert_eq!(
                x_plan_add(plan, targets.as_ptr(), 1, true, &mut added),
                X_SUCCESS
            );
            let mut seen: Vec<(String, c_int, c_int, u64, i64)> = Vec::new();
            let (mut stop, mut sent) = (-1, 99);
            assert_eq!(
                x_plan_run(
                    plan,
                    client,
                    c"not a pace".as_ptr(),
                    1,
                    Some(record),
                    ptr::null_mut(),
                    &mut stop,
                    &mut sent
                ),
                X_ERR_INVALID_ARGUMENT
            );
            assert_eq!((stop, sent), (-1, 99));
            let before = epoch_secs(std::time::SystemTime::now());
            assert_eq!(
                x_plan_run(
                    plan,
                    client,
                    c"10/hour".as_ptr(),
                    1,
                    Some(record),
                    (&mut seen as *mut Vec<_>).cast(),
                    &mut stop,
                    &mut sent
                ),
                X_SUCCESS
            );
            assert_eq!((stop, sent), (X_PLAN_DEADLINE, 0));
            assert_eq!(seen.len(), 1);
            let (target, unfollow, state, queued, next) = seen[0].clone();
            assert_eq!(
                (target.as_str(), unfollow, state, queued),
                ("42", 1, X_PLAN_QUEUED, 1)
            );
            assert!(
                next >= before + 360 && next <= before + 541,
                "{next} vs {before}"
            );

            // A callback that returns false ends a run without a deadline after one intent,
            // and leaves the client usable (not cancelled).
            let mut other: *mut x_plan = ptr::null_mut();
            assert_eq!(
                x_plan_open(
                    c"memory:".as_ptr(),
                    c"c-abi-stop".as_ptr(),
                    c"1500000000000000001".as_ptr(),
                    &mut other
                ),
                X_SUCCESS
            );
            let targets = [c"42".as_ptr(), c"43".as_ptr()];
            assert_eq!(
                x_plan_add(other, targets.as_ptr(), 2, false, &mut added),
                X_SUCCESS
            );
            let mut calls = 0u32;
            assert_eq!(
                x_plan_run(
                    other,
                    client,
                    c"3600/hour".as_ptr(),
                    0,
                    Some(stop_after_one),
                    (&mut calls as *mut u32).cast(),
                    &mut stop,
                    &mut sent
                ),
                X_SUCCESS
            );
            assert_eq!((stop, sent, calls), (X_PLAN_STOPPED, 0, 1));
            let (mut queued, mut done, mut pending, mut skipped, mut failed) = (0, 0, 0, 0, 0);
            assert_eq!(
                x_plan_status(
                    other,
                    &mut queued,
                    &mut done,
                    &mut pending,
                    &mut skipped,
                    &mut failed
                ),
                X_SUCCESS
            );
            assert_eq!((queued, done, pending, skipped, failed), (2, 0, 0, 0, 0));
            let mut result = ptr::null_mut();
            assert_eq!(
                crate::ffi::x_follow(client, ptr::null(), c"42".as_ptr(), &mut result),
                crate::ffi::X_ERR_NETWORK
            );
            x_plan_free(other);
            x_plan_free(plan);
            x_client_free(client);
            x_config_free(cfg);
        }
    }
}
