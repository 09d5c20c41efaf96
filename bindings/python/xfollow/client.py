"""`xfollow.Client`: follow and unfollow on X on behalf of a user."""

from __future__ import annotations

import threading
import weakref
from ctypes import byref, c_void_p, string_at
from typing import Any, Iterator, Optional, Union

from . import _ffi
from .types import FollowResult, FollowState, UnfollowResult, User, UserPage

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


def _lib() -> _ffi.Library:
    from . import _library  # loaded once, at import of the package

    return _library


def _timeout_ms(seconds: Optional[float], name: str) -> Optional[int]:
    """Seconds to the library's milliseconds; out-of-range values are left for the library
    to refuse with its own message."""
    if seconds is None:
        return None
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(f"{name} must be a number of seconds, not {type(seconds).__name__}")
    ms = round(seconds * 1000)
    return min(max(ms, 0), 0xFFFFFFFF)


def _free_client(lib: _ffi.Library, handle: Any) -> None:
    lib.x_client_free(handle)


class Client:
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
        self._handle = _handle
        self._cond = threading.Condition()
        self._active = 0
        self._closed = False
        self._finalizer = weakref.finalize(self, _free_client, _lib_, _handle)

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
    ) -> "Client":
        """A client signing with OAuth 1.0a user context (the app's consumer key and secret,
        the user's access token and secret). The user's id is the token's numeric prefix.

        `base_url` defaults to `https://api.x.com` (plain http only for loopback hosts);
        `timeout` is the overall time of one request in seconds (default 30),
        `connect_timeout` the connect time (default 10); `ca_file` a PEM file of extra
        trusted roots; `proxy` an explicit proxy URL (`*_PROXY` variables are not read);
        `gzip=False` asks for uncompressed answers (`Accept-Encoding: identity`; default:
        ask for gzip, as X's own clients do; a compressed answer is decoded either way).
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
    ) -> "Client":
        """A client sending an OAuth 2.0 user access token (Authorization Code with PKCE;
        scopes `tweet.read users.read follows.write`). The user's id is fetched once with
        `GET /2/users/me` when a call needs it. Options as for `oauth1`.
        """
        token = _ffi.encode(access_token, "access_token")
        return cls._build(
            lambda lib, cfg: lib.x_config_set_oauth2_token(cfg, token),
            base_url, timeout, connect_timeout, ca_file, proxy, gzip,
        )

    @classmethod
    def _build(cls, set_credentials: Any, base_url: Optional[str], timeout: Optional[float],
               connect_timeout: Optional[float], ca_file: Optional[str],
               proxy: Optional[str], gzip: Optional[bool]) -> "Client":
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
            if total_ms is not None:
                lib.x_config_set_timeout_ms(cfg, total_ms)
            if connect_ms is not None:
                lib.x_config_set_connect_timeout_ms(cfg, connect_ms)
            if ca is not None:
                lib.x_config_set_ca_file(cfg, ca)
            if prox is not None:
                lib.x_config_set_proxy(cfg, prox)
            if gzip is not None:
                lib.x_config_set_gzip(cfg, gzip)
            handle = _ffi.ClientP()
            lib.x_client_new(cfg, byref(handle))
        finally:
            lib.x_config_free(cfg)
        return cls(handle, lib)

    # -- lifetime -----------------------------------------------------------------------------
    def _enter(self) -> Any:
        with self._cond:
            if self._closed:
                raise ValueError("operation on a closed xfollow.Client")
            self._active += 1
            return self._handle

    def _leave(self) -> None:
        with self._cond:
            self._active -= 1
            if self._active == 0:
                self._cond.notify_all()

    def close(self) -> None:
        """Frees the client (waits for calls running in other threads). Idempotent."""
        with self._cond:
            self._closed = True
            while self._active:
                self._cond.wait()
        self._finalizer()

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<xfollow.Client {'closed' if self._closed else 'open'}>"

    # -- calls ----------------------------------------------------------------------------------
    def follow(self, target_user_id: UserId, *, source_user_id: Optional[UserId] = None) -> FollowResult:
        """Follows `target_user_id` (`POST /2/users/{source}/following`) as the authenticated
        user, or as `source_user_id` (which must be the authenticated user).

        Ids are strings of 1 to 19 digits (ints and `User` objects are accepted). Following a protected account
        gives `pending_follow=True` and `state=FollowState.PENDING`. Repeating a follow is
        harmless: X answers with the current state.
        """
        target = _id(target_user_id, "target_user_id")
        source = _optional_id(source_user_id, "source_user_id")
        lib = self._lib
        out = _ffi.FollowResultP()
        handle = self._enter()
        try:
            lib.x_follow(handle, source, target, byref(out))
        finally:
            self._leave()
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
        target = _id(target_user_id, "target_user_id")
        source = _optional_id(source_user_id, "source_user_id")
        lib = self._lib
        out = _ffi.FollowResultP()
        handle = self._enter()
        try:
            lib.x_unfollow(handle, source, target, byref(out))
        finally:
            self._leave()
        try:
            return UnfollowResult(
                following=bool(lib.x_follow_result_following(out)),
                state=_STATES.get(lib.x_follow_result_state(out), FollowState.NOT_FOLLOWING),
                rate_limit=lib.follow_result_rate_limit(out),
                errors=lib.follow_result_errors(out),
            )
        finally:
            lib.x_follow_result_free(out)

    def me(self) -> User:
        """The authenticated user (`GET /2/users/me`)."""
        out = _ffi.UserP()
        handle = self._enter()
        try:
            self._lib.x_me(handle, byref(out))
        finally:
            self._leave()
        return self._user(out)

    def user_by_username(self, username: str) -> User:
        """The user with this @handle, without `@` (`GET /2/users/by/username/{username}`;
        1 to 15 of `A-Z a-z 0-9 _`). An unknown handle raises `xfollow.NotFound`."""
        name = _ffi.encode(username, "username")
        out = _ffi.UserP()
        handle = self._enter()
        try:
            self._lib.x_user_by_username(handle, name, byref(out))
        finally:
            self._leave()
        return self._user(out)

    def own_user_id(self) -> str:
        """The authenticated user's id: the OAuth 1.0a token's prefix, or (OAuth 2.0) the
        id from `GET /2/users/me`, fetched once per client."""
        out = c_void_p()
        handle = self._enter()
        try:
            self._lib.x_client_own_user_id(handle, byref(out))
        finally:
            self._leave()
        try:
            return string_at(out).decode("utf-8")
        finally:
            self._lib.x_string_free(out)

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
        handle = self._enter()
        try:
            getattr(lib, fn)(handle, user, size, token, byref(out))
        finally:
            self._leave()
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
