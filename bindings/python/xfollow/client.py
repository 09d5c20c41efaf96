"""`xfollow.Client`: follow and unfollow on X on behalf of a user."""

from __future__ import annotations

import weakref
from ctypes import byref, c_void_p
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, Optional, Union

from . import _ffi
from ._handle import _Guarded
from .limits import QuotaLimits, QuotaStatus, RetryPolicy, RetryReason
from .types import FollowResult, FollowState, RateLimit, UnfollowResult, User, UserPage

if TYPE_CHECKING:
    from .plans import Plan, PlanProgress, PlanRun
    from .tokens import TokenSet

__all__ = ["Client"]

_STATES = {
    _ffi.X_STATE_NOT_FOLLOWING: FollowState.NOT_FOLLOWING,
    _ffi.X_STATE_FOLLOWING: FollowState.FOLLOWING,
    _ffi.X_STATE_PENDING: FollowState.PENDING,
}

UserId = Union[str, int, User]


def _id(value: Any, name: str) -> bytes:
    return _ffi.encode(value.id if isinstance(value, User) else value, name, allow_int=True)


def _optional_id(value: Any, name: str) -> Optional[bytes]:
    return None if value is None else _id(value, name)


_lib = _ffi.library


def _timeout_ms(seconds: Optional[float], name: str) -> Optional[int]:
    """Seconds to the library's milliseconds; out-of-range values are left for the library
    to refuse with its own message."""
    if seconds is None:
        return None
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(f"{name} must be a number of seconds, not {type(seconds).__name__}")
    ms = round(seconds * 1000)
    return min(max(ms, 0), 0xFFFFFFFF)


def _set_transport(lib: _ffi.Library, cfg: Any, total_ms: Optional[int],
                   connect_ms: Optional[int], ca: Optional[bytes], prox: Optional[bytes]) -> None:
    """Sets the transport options that are given (timeouts in ms, encoded CA file and proxy)
    on an x_config."""
    if total_ms is not None:
        lib.x_config_set_timeout_ms(cfg, total_ms)
    if connect_ms is not None:
        lib.x_config_set_connect_timeout_ms(cfg, connect_ms)
    if ca is not None:
        lib.x_config_set_ca_file(cfg, ca)
    if prox is not None:
        lib.x_config_set_proxy(cfg, prox)


_ENDPOINTS = {
    "follow": _ffi.X_ENDPOINT_FOLLOW,
    "unfollow": _ffi.X_ENDPOINT_UNFOLLOW,
    "me": _ffi.X_ENDPOINT_ME,
    "user_by_username": _ffi.X_ENDPOINT_USER_BY_USERNAME,
    "followers": _ffi.X_ENDPOINT_FOLLOWERS,
    "following": _ffi.X_ENDPOINT_FOLLOWING,
}

_REASONS = {
    _ffi.X_ERR_NETWORK: "network",
    _ffi.X_ERR_TIMEOUT: "timeout",
    _ffi.X_ERR_SERVER: "server",
    _ffi.X_ERR_RATE_LIMITED: "rate_limited",
}


def _u32(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if not 0 <= value <= 0xFFFFFFFF:
        raise ValueError(f"{name} must be between 0 and 4294967295")
    return value


def _retry_callback(fn: Any) -> Any:
    """The Python callable as an `x_on_retry_fn`."""
    if not callable(fn):
        raise TypeError("RetryPolicy.on_retry must be callable")

    def call(_data: Any, attempt: int, reason: int, status: int, delay_ms: int) -> None:
        fn(attempt, RetryReason(_REASONS.get(reason, "unknown"), status or None), delay_ms / 1000.0)

    return _ffi.ON_RETRY_FN(call)


def _free_client(lib: _ffi.Library, handle: Any, *_keep: Any) -> None:
    lib.x_client_free(handle)


class Client(_Guarded):
    """A client for the X API v2 follows endpoints, authenticated as one user.

    Build one with `Client.oauth1(...)` or `Client.oauth2(...)`. A client holds a pool of
    keep-alive connections; it is immutable and safe to share between threads (every call
    releases the GIL while it waits for the network). Close it with `close()` or a `with`
    block; a forgotten client is freed when it is garbage-collected.

    Every method raises an `xfollow.XError` subclass on failure.
    """

    def __init__(self, _handle: Any, _lib_: _ffi.Library) -> None:
        # Private: use Client.oauth1 / Client.oauth2.
        self._lib = _lib_
        self._guard(_handle)
        self._finalizer = weakref.finalize(self, _free_client, _lib_, _handle)
        self._on_retry: Any = None  # keeps the ctypes callback alive as long as the client

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def oauth1(
        cls,
        consumer_key: str,
        consumer_secret: str,
        access_token: str,
        access_token_secret: str,
        *,
        base_url: Optional[str] = None,
        timeout: Optional[float] = None,
        connect_timeout: Optional[float] = None,
        ca_file: Optional[str] = None,
        proxy: Optional[str] = None,
        gzip: Optional[bool] = None,
        quota: Optional[str] = None,
        quota_limits: Optional[QuotaLimits] = None,
        retry: Optional[RetryPolicy] = None,
    ) -> "Client":
        """A client signing with OAuth 1.0a user context (the app's consumer key and secret,
        the user's access token and secret). The user's id is the token's numeric prefix.

        `base_url` defaults to `https://api.x.com` (plain http only for loopback hosts);
        `timeout` is the overall time of one request in seconds (default 30),
        `connect_timeout` the connect time (default 10); `ca_file` a PEM file of extra
        trusted roots; `proxy` an explicit proxy URL (`*_PROXY` variables are not read);
        `gzip=False` asks for uncompressed answers (`Accept-Encoding: identity`; default:
        ask for gzip, as X's own clients do; a compressed answer is decoded either way).

        X's limits: `quota` is the daily quota ledger's store, `"memory:"` (the default: one
        table per process), `"sqlite:PATH"` (every process of the machine), `"redis://..."`
        (every machine) or `"off"`; `quota_limits` its caps (default
        `QuotaLimits(400, 1000, 500)`); `retry` the retry policy (default `RetryPolicy()`:
        3 attempts, 0.5 s to 8 s backoff with jitter, 429 waited up to 60 s). The ledger
        counts this app under its consumer key (only a hash of it is stored).
        """
        creds = [
            _ffi.encode(consumer_key, "consumer_key"),
            _ffi.encode(consumer_secret, "consumer_secret"),
            _ffi.encode(access_token, "access_token"),
            _ffi.encode(access_token_secret, "access_token_secret"),
        ]
        return cls._build(
            lambda lib, cfg: lib.x_config_set_oauth1(cfg, *creds),
            base_url, timeout, connect_timeout, ca_file, proxy, gzip,
            quota=quota, quota_limits=quota_limits, retry=retry,
        )

    @classmethod
    def oauth2(
        cls,
        access_token: str,
        *,
        base_url: Optional[str] = None,
        timeout: Optional[float] = None,
        connect_timeout: Optional[float] = None,
        ca_file: Optional[str] = None,
        proxy: Optional[str] = None,
        gzip: Optional[bool] = None,
        quota: Optional[str] = None,
        quota_limits: Optional[QuotaLimits] = None,
        retry: Optional[RetryPolicy] = None,
        client_id: Optional[str] = None,
    ) -> "Client":
        """A client sending an OAuth 2.0 user access token (Authorization Code with PKCE;
        scopes `tweet.read users.read follows.write`). The user's id is fetched once with
        `GET /2/users/me` when a call needs it. Options as for `oauth1`; `client_id` (the
        app's public OAuth 2.0 client id) names the app in the quota ledger; without one,
        every OAuth 2.0 client sharing a store counts as one app.
        """
        token = _ffi.encode(access_token, "access_token")
        return cls._build(
            lambda lib, cfg: lib.x_config_set_oauth2_token(cfg, token),
            base_url, timeout, connect_timeout, ca_file, proxy, gzip,
            quota=quota, quota_limits=quota_limits, retry=retry, client_id=client_id,
        )

    @classmethod
    def oauth2_refreshing(
        cls,
        token_set: "TokenSet",
        client_id: str,
        *,
        client_secret: Optional[str] = None,
        on_refresh: Optional[Callable[["TokenSet"], None]] = None,
        token_store: Optional[str] = None,
        margin: Optional[int] = None,
        base_url: Optional[str] = None,
        timeout: Optional[float] = None,
        connect_timeout: Optional[float] = None,
        ca_file: Optional[str] = None,
        proxy: Optional[str] = None,
        gzip: Optional[bool] = None,
        quota: Optional[str] = None,
        quota_limits: Optional[QuotaLimits] = None,
        retry: Optional[RetryPolicy] = None,
    ) -> "Client":
        """A client sending an OAuth 2.0 user token that it refreshes by itself: `margin`
        seconds before `token_set.expires_at` (default 60) and once after a 401, one refresh
        at a time across threads. The token set needs a refresh token (`offline.access`).

        `on_refresh(new_token_set)` is called with every new set before it is used (save
        it; an exception it raises is reported through `sys.unraisablehook` and the new set
        is used anyway, since the old refresh token is spent). `token_store` is a file shared
        with other processes (created mode 0600, locked during a refresh, replaced
        atomically): a refresh re-reads it and takes a set another process already rotated.
        The token endpoint is under `base_url`. Other options as for `oauth1`; `client_id`
        also names the app in the quota ledger (as for `oauth2`). The current set is
        `client.token_set`.
        """
        from .tokens import TokenSet

        if not isinstance(token_set, TokenSet):
            raise TypeError(f"token_set must be an xfollow.TokenSet, not {type(token_set).__name__}")
        if margin is not None and (isinstance(margin, bool) or not isinstance(margin, int) or margin < 1):
            raise ValueError("margin must be a whole number of seconds, at least 1")
        cid = _ffi.encode(client_id, "client_id")
        secret = _ffi.encode_optional(client_secret, "client_secret")
        store = _ffi.encode_optional(token_store, "token_store")
        callback: Any = _ffi.x_persist_fn()
        if on_refresh is not None:
            if not callable(on_refresh):
                raise TypeError("on_refresh must be callable")
            lib = _lib()

            def persist(_user_data: Any, tokens: Any) -> None:
                on_refresh(TokenSet._from_native(lib, tokens))

            callback = _ffi.x_persist_fn(persist)

        def set_credentials(lib: _ffi.Library, cfg: Any) -> None:
            native = token_set._native(lib)
            try:
                lib.x_config_set_oauth2_refreshing(
                    cfg, native, cid, secret, min(margin or 0, 0xFFFFFFFF), callback, None, store)
            finally:
                lib.x_token_set_free(native)

        client = cls._build(set_credentials, base_url, timeout, connect_timeout, ca_file, proxy, gzip,
                            quota=quota, quota_limits=quota_limits, retry=retry, client_id=client_id)
        # The C callback must outlive the native client: the finalizer holds it.
        client._finalizer.detach()
        client._finalizer = weakref.finalize(client, _free_client, client._lib, client._handle, callback)
        return client

    @property
    def token_set(self) -> "TokenSet":
        """The OAuth 2.0 token set in use now (after a refresh, the new one); only for
        clients made with `oauth2_refreshing` (else `InvalidArgument`)."""
        from .tokens import TokenSet

        out = _ffi.TokenSetP()
        self._call("x_client_token_set", byref(out))
        return TokenSet._take(self._lib, out)

    @classmethod
    def _build(cls, set_credentials: Any, base_url: Optional[str], timeout: Optional[float],
               connect_timeout: Optional[float], ca_file: Optional[str],
               proxy: Optional[str], gzip: Optional[bool], *,
               quota: Optional[str] = None, quota_limits: Optional[QuotaLimits] = None,
               retry: Optional[RetryPolicy] = None,
               client_id: Optional[str] = None) -> "Client":
        if quota_limits is not None and not isinstance(quota_limits, QuotaLimits):
            raise TypeError(f"quota_limits must be an xfollow.QuotaLimits, not {type(quota_limits).__name__}")
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise TypeError(f"retry must be an xfollow.RetryPolicy, not {type(retry).__name__}")
        quota_url = _ffi.encode_optional(quota, "quota")
        cid = _ffi.encode_optional(client_id, "client_id")
        on_retry = _retry_callback(retry.on_retry) if retry is not None and retry.on_retry else None
        if gzip is not None and not isinstance(gzip, bool):
            raise TypeError(f"gzip must be a bool, not {type(gzip).__name__}")
        lib = _lib()
        base = _ffi.encode_optional(base_url, "base_url")
        ca = _ffi.encode_optional(ca_file, "ca_file")
        prox = _ffi.encode_optional(proxy, "proxy")
        total_ms = _timeout_ms(timeout, "timeout")
        connect_ms = _timeout_ms(connect_timeout, "connect_timeout")
        cfg = _ffi.ConfigP()
        lib.x_config_new(byref(cfg))
        try:
            set_credentials(lib, cfg)
            if base is not None:
                lib.x_config_set_base_url(cfg, base)
            _set_transport(lib, cfg, total_ms, connect_ms, ca, prox)
            if gzip is not None:
                lib.x_config_set_gzip(cfg, gzip)
            if quota_url is not None:
                lib.x_config_set_quota(cfg, quota_url)
            if quota_limits is not None:
                lib.x_config_set_quota_limits(
                    cfg, *(_u32(getattr(quota_limits, f), f) for f in
                           ("follows_per_user", "follows_per_app", "unfollows_per_app")))
            if cid is not None:
                lib.x_config_set_client_id(cfg, cid)
            if retry is not None:
                lib.x_config_set_retry(
                    cfg, _u32(retry.max_attempts, "max_attempts"),
                    _timeout_ms(retry.base_delay, "base_delay"),
                    _timeout_ms(retry.max_delay, "max_delay"),
                    _timeout_ms(retry.max_rate_limit_wait, "max_rate_limit_wait"))
                lib.x_config_set_retry_jitter(cfg, bool(retry.jitter))
            if on_retry is not None:
                lib.x_config_set_on_retry(cfg, on_retry, None)
            handle = _ffi.ClientP()
            lib.x_client_new(cfg, byref(handle))
        finally:
            lib.x_config_free(cfg)
        client = cls(handle, lib)
        client._on_retry = on_retry
        return client

    # -- lifetime -----------------------------------------------------------------------------
    _kind = "xfollow.Client"

    @property
    def closed(self) -> bool:
        return self._closed

    def __repr__(self) -> str:
        return f"<xfollow.Client {'closed' if self._closed else 'open'}>"

    # -- calls ----------------------------------------------------------------------------------
    def run_plan(self, plan: "Plan", progress: Optional[Callable[["PlanProgress"], Any]] = None, *,
                 pace: Optional[str] = None, max_seconds: Optional[float] = None) -> "PlanRun":
        """Runs `plan` (whose source this client must act for) until nothing is queued
        ("finished"), until `max_seconds` comes before the next request ("deadline"), or until
        `cancel()` ("cancelled"). `pace` is "N/hour" or "N/day" (default "400/day"), each gap
        lengthened by a random fraction up to a half.

        `progress(p)` is called on this thread after every intent with a `PlanProgress`;
        the intent's outcome is already recorded in the store. An exception it raises
        (KeyboardInterrupt too) ends the run after that intent, without cancelling the client
        (calls on it from other threads go on), and `run_plan` raises that exception. A failure that would fail
        every intent (401, a store error) raises its `XError`; the intents stay queued.
        """
        from .plans import run_plan

        return run_plan(self, plan, progress, pace, max_seconds)

    def follow(self, target_user_id: UserId, *, source_user_id: Optional[UserId] = None) -> FollowResult:
        """Follows `target_user_id` (`POST /2/users/{source}/following`) as the authenticated
        user, or as `source_user_id` (which must be the authenticated user).

        Ids are strings of 1 to 19 digits (ints and `User` objects are accepted). Following a protected account
        gives `pending_follow=True` and `state=FollowState.PENDING`. Repeating a follow is
        harmless: X answers with the current state.
        """
        lib = self._lib
        out = self._relationship("x_follow", target_user_id, source_user_id)
        try:
            return FollowResult(
                following=bool(lib.x_follow_result_following(out)),
                pending_follow=bool(lib.x_follow_result_pending_follow(out)),
                state=_STATES.get(lib.x_follow_result_state(out), FollowState.NOT_FOLLOWING),
                rate_limit=lib.follow_result_rate_limit(out),
                errors=lib.follow_result_errors(out),
            )
        finally:
            lib.x_follow_result_free(out)

    def unfollow(self, target_user_id: UserId, *, source_user_id: Optional[UserId] = None) -> UnfollowResult:
        """Unfollows `target_user_id` (`DELETE /2/users/{source}/following/{target}`); also
        withdraws a pending follow request. Unfollowing someone not followed is harmless.
        """
        lib = self._lib
        out = self._relationship("x_unfollow", target_user_id, source_user_id)
        try:
            return UnfollowResult(
                following=bool(lib.x_follow_result_following(out)),
                state=_STATES.get(lib.x_follow_result_state(out), FollowState.NOT_FOLLOWING),
                rate_limit=lib.follow_result_rate_limit(out),
                errors=lib.follow_result_errors(out),
            )
        finally:
            lib.x_follow_result_free(out)

    def _relationship(self, fn: str, target_user_id: UserId,
                      source_user_id: Optional[UserId]) -> Any:
        """Calls x_follow or x_unfollow; returns the x_follow_result for the caller to read
        and free."""
        target = _id(target_user_id, "target_user_id")
        source = _optional_id(source_user_id, "source_user_id")
        out = _ffi.FollowResultP()
        self._call(fn, source, target, byref(out))
        return out

    def me(self) -> User:
        """The authenticated user (`GET /2/users/me`)."""
        out = _ffi.UserP()
        self._call("x_me", byref(out))
        return self._user(out)

    def user_by_username(self, username: str) -> User:
        """The user with this @handle, without `@` (`GET /2/users/by/username/{username}`;
        1 to 15 of `A-Z a-z 0-9 _`). An unknown handle raises `xfollow.NotFound`."""
        name = _ffi.encode(username, "username")
        out = _ffi.UserP()
        self._call("x_user_by_username", name, byref(out))
        return self._user(out)

    def own_user_id(self) -> str:
        """The authenticated user's id: the OAuth 1.0a token's prefix, or (OAuth 2.0) the
        id from `GET /2/users/me`, fetched once per client."""
        out = c_void_p()
        self._call("x_client_own_user_id", byref(out))
        return _ffi.take_string(self._lib, out)

    # -- limits -------------------------------------------------------------------------------
    def quota_status(self, user_id: Optional[UserId] = None) -> QuotaStatus:
        """The quota ledger's counts for `user_id` (default: the authenticated user) now.
        Raises `InvalidArgument` when the ledger is off (`quota="off"`)."""
        user = _optional_id(user_id, "user_id")
        lib = self._lib
        out = _ffi.QuotaStatusP()
        self._call("x_client_quota_status", user, byref(out))
        try:
            def opt(v: int) -> Optional[int]:
                return None if v < 0 else v

            def when(v: int) -> Optional[int]:
                return v or None

            return QuotaStatus(
                user_used=lib.x_quota_status_user_used(out),
                user_remaining=opt(lib.x_quota_status_user_remaining(out)),
                app_used=lib.x_quota_status_app_used(out),
                app_remaining=opt(lib.x_quota_status_app_remaining(out)),
                next_free_at=when(lib.x_quota_status_next_free_at(out)),
                unfollows_used=lib.x_quota_status_unfollows_used(out),
                unfollows_remaining=opt(lib.x_quota_status_unfollows_remaining(out)),
                unfollows_next_free_at=when(lib.x_quota_status_unfollows_next_free_at(out)),
                at=lib.x_quota_status_at(out),
            )
        finally:
            lib.x_quota_status_free(out)

    def rate_limits(self) -> Dict[str, RateLimit]:
        """The latest rate-limit windows per endpoint ("follow", "unfollow", "me",
        "user_by_username"), for the endpoints that answered with some."""
        with self._using() as handle:
            found = {}
            for name, ep in _ENDPOINTS.items():
                rl = self._lib.client_rate_limit(handle, ep)
                if rl is not None:
                    found[name] = rl
            return found

    def cancel(self) -> None:
        """Cancels every retry wait and every request in flight on a direct connection
        running on this client (from any thread): those calls raise `xfollow.Cancelled` at
        once, and so does every later call until `reset_cancel()`. A request through a proxy
        runs to its timeout."""
        self._call("x_client_cancel")

    def reset_cancel(self) -> None:
        """Lets calls run again after `cancel()`."""
        self._call("x_client_cancel_reset")

    def _user(self, u: Any) -> User:
        lib = self._lib
        try:
            return User(
                id=(lib.x_user_id(u) or b"").decode("utf-8"),
                username=(lib.x_user_username(u) or b"").decode("utf-8"),
                name=(lib.x_user_name(u) or b"").decode("utf-8", "replace"),
                rate_limit=lib.user_rate_limit(u),
            )
        finally:
            lib.x_user_free(u)

    # -- followers/following lookups ----------------------------------------------------------
    def followers(self, user_id: Optional[UserId] = None, *, max_results: Optional[int] = None,
                  pagination_token: Optional[str] = None) -> UserPage:
        """One page of the users who follow `user_id` (default: the authenticated user),
        newest first (`GET /2/users/{id}/followers`). `max_results` is 1 to 1000 (default:
        the API's 100); `pagination_token` is the `next_token` of the page before. OAuth 2.0
        tokens need the `follows.read` scope; an unknown user raises `xfollow.NotFound`."""
        return self._list("x_followers", user_id, max_results, pagination_token)

    def following(self, user_id: Optional[UserId] = None, *, max_results: Optional[int] = None,
                  pagination_token: Optional[str] = None) -> UserPage:
        """One page of the users `user_id` follows (default: the authenticated user), newest
        first (`GET /2/users/{id}/following`). Arguments as for `followers`."""
        return self._list("x_following", user_id, max_results, pagination_token)

    def iter_followers(self, user_id: Optional[UserId] = None, *, page_size: int = 1000,
                       limit: Optional[int] = None) -> Iterator[User]:
        """Every follower of `user_id`, newest first, fetched `page_size` per request until
        the last page, or until `limit` users have been yielded. Errors are raised where
        they happen; the users yielded before stay valid."""
        return self._iter("x_followers", user_id, page_size, limit)

    def iter_following(self, user_id: Optional[UserId] = None, *, page_size: int = 1000,
                       limit: Optional[int] = None) -> Iterator[User]:
        """Every user `user_id` follows, newest first; see `iter_followers`."""
        return self._iter("x_following", user_id, page_size, limit)

    def _iter(self, fn: str, user_id: Optional[UserId], page_size: int,
              limit: Optional[int]) -> Iterator[User]:
        _page_size(page_size, "page_size")
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
            raise ValueError(f"limit must be None or an int >= 0, not {limit!r}")
        if user_id is None:
            user_id = self.own_user_id()  # resolved once, not on every page
        else:
            _id(user_id, "user_id")  # type errors now, not at the first next()

        def gen() -> Iterator[User]:
            left = limit
            token: Optional[str] = None
            while left is None or left > 0:
                size = page_size if left is None else max(1, min(page_size, left))
                page = self._list(fn, user_id, size, token)
                for u in page.users:
                    if left is not None:
                        if left == 0:
                            return
                        left -= 1
                    yield u
                if page.next_token is None or page.next_token == token:
                    return
                token = page.next_token

        return gen()

    def _list(self, fn: str, user_id: Optional[UserId], max_results: Optional[int],
              pagination_token: Optional[str]) -> UserPage:
        user = _optional_id(user_id, "user_id")
        size = 0 if max_results is None else _page_size(max_results, "max_results")
        token = _ffi.encode_optional(pagination_token, "pagination_token")
        lib = self._lib
        out = _ffi.UserPageP()
        self._call(fn, user, size, token, byref(out))
        try:
            rate_limit = lib.user_page_rate_limit(out)
            users = tuple(
                User(
                    id=(lib.x_user_page_user_id(out, i) or b"").decode("utf-8"),
                    username=(lib.x_user_page_username(out, i) or b"").decode("utf-8"),
                    name=(lib.x_user_page_name(out, i) or b"").decode("utf-8", "replace"),
                    rate_limit=rate_limit,
                )
                for i in range(lib.x_user_page_count(out))
            )
            nxt = lib.x_user_page_next_token(out)
            prev = lib.x_user_page_previous_token(out)
            return UserPage(
                users=users,
                next_token=None if nxt is None else nxt.decode("ascii"),
                result_count=lib.x_user_page_result_count(out),
                previous_token=None if prev is None else prev.decode("ascii"),
                rate_limit=rate_limit,
            )
        finally:
            lib.x_user_page_free(out)


def _page_size(value: Any, name: str) -> int:
    """An int for a `uint32_t` page size. 0 and values above 1000 are passed on for the
    library to refuse (0 would mean "the default" to it, so it is refused here)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if value < 1 or value > 0xFFFFFFFF:
        raise _ffi.error_class(_ffi.X_ERR_INVALID_ARGUMENT)(
            f"{name} must be between 1 and 1000 (got {value})",
            code=_ffi.X_ERR_INVALID_ARGUMENT,
        )
    return value
