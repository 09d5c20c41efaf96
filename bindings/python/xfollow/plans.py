"""`xfollow.Plan`: follow plans, durable lists of follows and unfollows for one source user,
kept in a store (`memory:`, `sqlite:PATH`, `redis://...`) and run by `Client.run_plan`.
See docs/plans.md."""

from __future__ import annotations

import math
import weakref
from ctypes import POINTER, byref, c_bool, c_char_p, c_uint64, c_void_p
from dataclasses import dataclass
from typing import Any, Iterable, List, Optional, Tuple

from . import _ffi
from ._handle import _Guarded
from .client import _id

__all__ = ["Plan", "PlanProgress", "PlanRun", "PlanStatus"]

_STATES = {
    _ffi.X_PLAN_QUEUED: "queued",
    _ffi.X_PLAN_DONE: "done",
    _ffi.X_PLAN_PENDING: "pending",
    _ffi.X_PLAN_SKIPPED: "skipped",
    _ffi.X_PLAN_FAILED: "failed",
}
_STOPS = {
    _ffi.X_PLAN_FINISHED: "finished",
    _ffi.X_PLAN_DEADLINE: "deadline",
    _ffi.X_PLAN_CANCELLED: "cancelled",
}

# The library's bound on one call's list (the plan's own bound on intents).
MAX_TARGETS = 1_000_000


@dataclass(frozen=True)
class PlanStatus:
    """A plan's intents counted by state."""

    queued: int
    done: int
    pending: int
    skipped: int
    failed: int


@dataclass(frozen=True)
class PlanProgress:
    """What a run reports after each intent (a copy: it owns its data)."""

    target: str
    """The target as added: an id or "@username"."""
    action: str
    """"follow" or "unfollow"."""
    state: str
    """The intent's state after it: "queued", "done", "pending", "skipped" or "failed"."""
    counts: PlanStatus
    """The plan's counts after it."""
    next_request_at: int
    """When the plan may send its next request (Unix time, seconds)."""


@dataclass(frozen=True)
class PlanRun:
    """How a run ended."""

    stop: str
    """"finished" (nothing queued), "deadline" (max_seconds came first) or "cancelled"."""
    sent: int
    """Intents sent by this run."""


_lib = _ffi.library


def _string_list(values: Iterable[Any], what: str) -> Tuple[Any, int]:
    """An array of C strings for `const char *const *` (kept alive by the caller)."""
    if isinstance(values, (str, bytes)):
        raise TypeError(f"{what} must be an iterable of ids or usernames, not a single string")
    items = [_id(v, "target") for v in values]
    if len(items) > MAX_TARGETS:
        raise _ffi.error_class(_ffi.X_ERR_INVALID_ARGUMENT)(
            f"{what}: at most {MAX_TARGETS} entries", code=_ffi.X_ERR_INVALID_ARGUMENT
        )
    return (c_char_p * max(len(items), 1))(*items), len(items)


def _free_plan(lib: _ffi.Library, handle: Any) -> None:
    lib.x_plan_free(handle)


def _progress(lib: _ffi.Library, p: Any) -> PlanProgress:
    counts = [lib.x_plan_progress_count(p, s) for s in sorted(_STATES)]
    target = lib.x_plan_progress_target(p)
    return PlanProgress(
        target=(target or b"").decode("utf-8", "replace"),
        action="unfollow" if lib.x_plan_progress_unfollow(p) == 1 else "follow",
        state=_STATES.get(lib.x_plan_progress_state(p), "unknown"),
        counts=PlanStatus(*counts),
        next_request_at=lib.x_plan_progress_next_request_at(p),
    )


class Plan(_Guarded):
    """A named plan of one source user in a store. The plan lives in the store: this object
    is a handle to it (thread-safe; free it with `close()` or a `with` block, the plan stays).

    Stores are the quota ledger's: `"memory:"` (this process), `"sqlite:PATH"` (this
    machine), `"redis://host:port[/db]"` or `"rediss://..."` (a fleet).
    """

    def __init__(self, _handle: Any, name: str, store: str) -> None:
        # Private: use Plan.create / Plan.open.
        self._lib = _lib()
        self._guard(_handle)
        self.name = name
        self.store = store
        self._finalizer = weakref.finalize(self, _free_plan, self._lib, _handle)

    @classmethod
    def create(cls, name: str, source_user_id: Any, *, store: str = "memory:") -> "Plan":
        """The plan `name` of `source_user_id`, created when missing (InvalidArgument when it
        exists for another user). Names: 1 to 64 of A-Z a-z 0-9 _ - ."""
        return cls._open(name, store, _id(source_user_id, "target"))

    @classmethod
    def open(cls, name: str, *, store: str = "memory:") -> "Plan":
        """The existing plan `name` (NotFound when there is none)."""
        return cls._open(name, store, None)

    @classmethod
    def _open(cls, name: str, store: str, source: Optional[bytes]) -> "Plan":
        lib = _lib()
        out = POINTER(_ffi.x_plan)()
        lib.x_plan_open(_ffi.encode(store, "store"), _ffi.encode(name, "name"), source, byref(out))
        return cls(out, name, store)

    @staticmethod
    def list(*, store: str = "memory:") -> List[str]:
        """The names of every plan in the store, sorted."""
        lib = _lib()
        out = c_void_p()
        lib.x_plan_list(_ffi.encode(store, "store"), byref(out))
        return _ffi.take_string(lib, out).splitlines()

    @staticmethod
    def drop(name: str, *, store: str = "memory:") -> bool:
        """Deletes the plan and its intents; False when there was none."""
        dropped = c_bool()
        _lib().x_plan_drop(_ffi.encode(store, "store"), _ffi.encode(name, "name"), byref(dropped))
        return dropped.value

    # -- lifetime ---------------------------------------------------------------------------
    _kind = "xfollow.Plan"

    def __repr__(self) -> str:
        return f"<xfollow.Plan {self.name!r} in {self.store.split(':', 1)[0]}:>"

    # -- building ---------------------------------------------------------------------------
    def add(self, targets: Iterable[Any], *, unfollow: bool = False) -> int:
        """Adds a follow (or an unfollow) of each target: ids (str, int, `User`) or
        "@username"s, resolved when the run reaches them. An intent already in the plan is
        kept once; a bad target adds nothing. Returns how many are new."""
        arr, n = _string_list(targets, "targets")
        added = c_uint64()
        self._call("x_plan_add", arr, n, bool(unfollow), byref(added))
        return added.value

    def unfollow_non_followers(self, client: Any, *, keep: Iterable[Any] = ()) -> int:
        """Adds an unfollow of everyone the source follows who does not follow back, except
        `keep` (ids or "@username"s, at most 100,000). `client` acts for the source."""
        arr, n = _string_list(keep, "keep")
        added = c_uint64()
        with client._using() as handle:
            self._call("x_plan_unfollow_non_followers", handle, arr, n, byref(added))
        return added.value

    def follow_back(self, client: Any) -> int:
        """Adds a follow of every follower of the source whom it does not follow."""
        added = c_uint64()
        with client._using() as handle:
            self._call("x_plan_follow_back", handle, byref(added))
        return added.value

    # -- reading ----------------------------------------------------------------------------
    def status(self) -> PlanStatus:
        """The counts by state, from the store (the same from any process)."""
        c = [c_uint64() for _ in range(5)]
        self._call("x_plan_status", *(byref(v) for v in c))
        return PlanStatus(*(v.value for v in c))

    def dry_run(self, limit: int = 1000) -> List[Tuple[str, str]]:
        """What a run would send, in order, nothing sent: up to `limit` (action, target)
        pairs, action "follow" or "unfollow"."""
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise TypeError("limit must be a non-negative int")
        out = c_void_p()
        self._call("x_plan_dry_run", min(limit, MAX_TARGETS), byref(out))
        pairs = []
        for line in _ffi.take_string(self._lib, out).splitlines():
            action, _, target = line.partition(" ")
            pairs.append((action, target))
        return pairs


def run_plan(client: Any, plan: Plan, progress: Any, pace: Optional[str],
             max_seconds: Optional[float]) -> PlanRun:
    """`Client.run_plan`'s body (see there)."""
    lib = plan._lib
    if progress is not None and not callable(progress):
        raise TypeError("progress must be callable")
    seconds = 0
    if max_seconds is not None:
        if isinstance(max_seconds, bool) or not isinstance(max_seconds, (int, float)) or max_seconds <= 0:
            raise ValueError("max_seconds must be a positive number of seconds")
        seconds = min(math.ceil(max_seconds), 0xFFFFFFFFFFFFFFFF)
    pace_b = None if pace is None else _ffi.encode(pace, "pace")
    raised: List[BaseException] = []

    def call(_data: Any, p: Any) -> bool:
        try:
            progress(_progress(lib, p))
            return True
        except BaseException as e:  # noqa: B036 - KeyboardInterrupt too: it stops the run
            raised.append(e)
            return False  # the run ends after this intent; the client is not cancelled

    fn = _ffi.PLAN_PROGRESS_FN(call) if progress is not None else _ffi.PLAN_PROGRESS_FN()
    stop, sent = _ffi.x_plan_stop(), c_uint64()
    with client._using() as client_handle:
        try:
            plan._call("x_plan_run", client_handle, pace_b, seconds, fn, None, byref(stop), byref(sent))
        except BaseException:
            if not raised:  # else the callable's exception is the one to report
                raise
    if raised:
        raise raised[0]
    return PlanRun(_STOPS.get(stop.value, "unknown"), sent.value)
