"""Getting user tokens: the OAuth 1.0a three-legged flow (PIN or callback), OAuth 2.0
Authorization Code with PKCE (exchange, refresh, revoke), and a one-shot loopback redirect
receiver for desktop and command-line programs.

    pkce = xfollow.OAuth2PKCE("client-id", "http://127.0.0.1:8765/callback",
                              ["tweet.read", "users.read", "follows.write", "offline.access"])
    with xfollow.RedirectReceiver(pkce.redirect_uri) as receiver:
        url, state, verifier = pkce.authorization_request()
        print("Open", url)
        code = receiver.wait(state, timeout=300)
    tokens = pkce.exchange(code, verifier)

Tokens and secrets never appear in `repr()`.
"""

from __future__ import annotations

import threading
import weakref
from contextlib import contextmanager
from ctypes import byref, c_void_p
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Optional, Sequence, Tuple, Union

from . import _ffi

__all__ = [
    "AuthorizationRequest",
    "OAuth1Credentials",
    "OAuth1Flow",
    "OAuth1RequestToken",
    "OAuth2PKCE",
    "RedirectReceiver",
    "TokenSet",
]


_lib = _ffi.library


def _text(b: Optional[bytes]) -> Optional[str]:
    return None if b is None else b.decode("utf-8")


@dataclass(frozen=True)
class TokenSet:
    """An OAuth 2.0 token set: the access token, the refresh token (with `offline.access`),
    the absolute expiry (Unix seconds, None when unknown) and the granted scopes."""

    access_token: str = field(repr=False)
    refresh_token: Optional[str] = field(default=None, repr=False)
    expires_at: Optional[int] = None
    scopes: Tuple[str, ...] = ()

    def _native(self, lib: _ffi.Library) -> Any:
        out = _ffi.TokenSetP()
        lib.x_token_set_new(
            _ffi.encode(self.access_token, "access_token"),
            _ffi.encode_optional(self.refresh_token, "refresh_token"),
            int(self.expires_at or 0),
            _ffi.encode(" ".join(self.scopes), "scopes"),
            byref(out),
        )
        return out

    @classmethod
    def _from_native(cls, lib: _ffi.Library, t: Any) -> "TokenSet":
        expires = lib.x_token_set_expires_at(t)
        return cls(
            access_token=_text(lib.x_token_set_access_token(t)) or "",
            refresh_token=_text(lib.x_token_set_refresh_token(t)),
            expires_at=expires or None,
            scopes=tuple((_text(lib.x_token_set_scopes(t)) or "").split()),
        )

    @classmethod
    def _take(cls, lib: _ffi.Library, t: Any) -> "TokenSet":
        try:
            return cls._from_native(lib, t)
        finally:
            lib.x_token_set_free(t)


class AuthorizationRequest(tuple):
    """`(url, state, code_verifier)` of an OAuth 2.0 authorization request. The verifier is
    secret: keep it for `OAuth2PKCE.exchange` and do not log it."""

    def __new__(cls, url: str, state: str, code_verifier: str) -> "AuthorizationRequest":
        return super().__new__(cls, (url, state, code_verifier))

    @property
    def url(self) -> str:
        return self[0]

    @property
    def state(self) -> str:
        return self[1]

    @property
    def code_verifier(self) -> str:
        return self[2]

    def __repr__(self) -> str:
        return f"AuthorizationRequest(url={self[0]!r}, state={self[1]!r}, code_verifier=<redacted>)"


@contextmanager
def _transport_config(timeout: Optional[float], connect_timeout: Optional[float],
                      ca_file: Optional[str], proxy: Optional[str]) -> Iterator[Any]:
    """An x_config carrying the transport options, freed when the block ends (a flow copies
    what it needs)."""
    from .client import _set_transport, _timeout_ms

    lib = _lib()
    total_ms = _timeout_ms(timeout, "timeout")
    connect_ms = _timeout_ms(connect_timeout, "connect_timeout")
    ca = _ffi.encode_optional(ca_file, "ca_file")
    prox = _ffi.encode_optional(proxy, "proxy")
    cfg = _ffi.ConfigP()
    lib.x_config_new(byref(cfg))
    try:
        _set_transport(lib, cfg, total_ms, connect_ms, ca, prox)
        yield cfg
    finally:
        lib.x_config_free(cfg)


class _Handle:
    """Owns a native handle, freed once by close() or the garbage collector."""

    _free_name = ""

    def __init__(self, lib: _ffi.Library, handle: Any) -> None:
        self._lib = lib
        self._handle = handle
        self._finalizer = weakref.finalize(self, getattr(lib, self._free_name), handle)

    def close(self) -> None:
        self._finalizer()

    def _live(self) -> Any:
        if not self._finalizer.alive:
            raise ValueError(f"operation on a closed {type(self).__name__}")
        return self._handle

    def __enter__(self):  # type: ignore[no-untyped-def]
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- OAuth 1.0a ----------------------------------------------------------------------------
@dataclass(frozen=True)
class OAuth1Credentials:
    """A user's OAuth 1.0a access token (it does not expire; the user can revoke it)."""

    token: str = field(repr=False)
    token_secret: str = field(repr=False)
    user_id: Optional[str] = None
    screen_name: Optional[str] = None


class OAuth1RequestToken(_Handle):
    """A request token from `OAuth1Flow.request_token()`: `token` and `authorize_url`."""

    _free_name = "x_oauth1_request_free"

    @property
    def token(self) -> str:
        return _text(self._lib.x_oauth1_request_token(self._live())) or ""

    @property
    def authorize_url(self) -> str:
        return _text(self._lib.x_oauth1_request_authorize_url(self._live())) or ""

    def __repr__(self) -> str:
        return f"<xfollow.OAuth1RequestToken {self.token!r}>"


class OAuth1Flow(_Handle):
    """The OAuth 1.0a three-legged flow for one app.

    `callback="oob"` is the PIN flow (X shows the user a PIN to type into the program); a
    URL registered with the app is the callback flow. `base_url` defaults to
    `https://api.x.com` (the authorize page is then on `https://x.com`; with another base, as
    the emulator's, it is under that base). The flow remembers the last request token, so
    that `authorize_url()` and `access_token(verifier)` need no argument.
    """

    _free_name = "x_oauth1_flow_free"

    def __init__(self, consumer_key: str, consumer_secret: str, *, callback: str = "oob",
                 base_url: Optional[str] = None, timeout: Optional[float] = None,
                 connect_timeout: Optional[float] = None, ca_file: Optional[str] = None,
                 proxy: Optional[str] = None) -> None:
        lib = _lib()
        args = (
            _ffi.encode(consumer_key, "consumer_key"),
            _ffi.encode(consumer_secret, "consumer_secret"),
            _ffi.encode(callback, "callback"),
            _ffi.encode_optional(base_url, "base_url"),
        )
        with _transport_config(timeout, connect_timeout, ca_file, proxy) as cfg:
            out = _ffi.OAuth1FlowP()
            lib.x_oauth1_flow_new(cfg, *args, byref(out))
        super().__init__(lib, out)
        self._request: Optional[OAuth1RequestToken] = None

    def request_token(self, *, access_type: Optional[str] = None) -> OAuth1RequestToken:
        """Step 1: `POST /oauth/request_token` (`access_type`: None, "read" or "write")."""
        out = _ffi.OAuth1RequestP()
        self._lib.x_oauth1_flow_request_token(
            self._live(), _ffi.encode_optional(access_type, "access_type"), byref(out))
        self._request = OAuth1RequestToken(self._lib, out)
        return self._request

    def _req(self, request_token: Optional[OAuth1RequestToken]) -> OAuth1RequestToken:
        r = request_token or self._request
        if r is None:
            raise ValueError("no request token: call request_token() first")
        return r

    def authorize_url(self, *, request_token: Optional[OAuth1RequestToken] = None,
                      authenticate: bool = False, force_login: bool = False,
                      screen_name: Optional[str] = None) -> str:
        """Step 2: the page to send the user to (`/oauth/authorize`, or with
        `authenticate=True` the "Log in with X" page `/oauth/authenticate`)."""
        r = self._req(request_token)
        out = c_void_p()
        self._lib.x_oauth1_flow_authorize_url(
            self._live(), r._live(), bool(authenticate), bool(force_login),
            _ffi.encode_optional(screen_name, "screen_name"), byref(out))
        return _ffi.take_string(self._lib, out)

    def _credentials(self, out: Any) -> OAuth1Credentials:
        lib = self._lib
        try:
            return OAuth1Credentials(
                token=_text(lib.x_oauth1_credentials_token(out)) or "",
                token_secret=_text(lib.x_oauth1_credentials_token_secret(out)) or "",
                user_id=_text(lib.x_oauth1_credentials_user_id(out)),
                screen_name=_text(lib.x_oauth1_credentials_screen_name(out)),
            )
        finally:
            lib.x_oauth1_credentials_free(out)

    def access_token(self, verifier: str, *,
                     request_token: Optional[OAuth1RequestToken] = None) -> OAuth1Credentials:
        """Step 3: `POST /oauth/access_token` with the verifier (the PIN, or the callback's
        `oauth_verifier`)."""
        r = self._req(request_token)
        out = _ffi.OAuth1CredentialsP()
        self._lib.x_oauth1_flow_access_token(
            self._live(), r._live(), _ffi.encode(verifier, "verifier"), byref(out))
        return self._credentials(out)

    def access_token_from_callback(self, callback_url: str, *,
                                   request_token: Optional[OAuth1RequestToken] = None) -> OAuth1Credentials:
        """Step 3 from the callback URL: checks its `oauth_token` (else `AuthError`), then
        exchanges its `oauth_verifier`."""
        r = self._req(request_token)
        out = _ffi.OAuth1CredentialsP()
        self._lib.x_oauth1_flow_access_token_from_callback(
            self._live(), r._live(), _ffi.encode(callback_url, "callback_url"), byref(out))
        return self._credentials(out)

    def __repr__(self) -> str:
        return "<xfollow.OAuth1Flow>"


# -- OAuth 2.0 PKCE --------------------------------------------------------------------------
_HINTS = {"access_token": _ffi.X_TOKEN_ACCESS, "refresh_token": _ffi.X_TOKEN_REFRESH}


class OAuth2PKCE(_Handle):
    """OAuth 2.0 Authorization Code with PKCE for one app.

    Public clients send `client_id` in the token requests; with `client_secret` the client
    is confidential and uses HTTP Basic. `authorize_url` defaults to
    `https://x.com/i/oauth2/authorize` (or `<base_url>/i/oauth2/authorize` when `base_url`
    is given); `base_url` (token and revoke endpoints) to `https://api.x.com`.
    """

    _free_name = "x_oauth2_flow_free"

    def __init__(self, client_id: str, redirect_uri: str, scopes: Union[str, Iterable[str]], *,
                 client_secret: Optional[str] = None, authorize_url: Optional[str] = None,
                 base_url: Optional[str] = None, timeout: Optional[float] = None,
                 connect_timeout: Optional[float] = None, ca_file: Optional[str] = None,
                 proxy: Optional[str] = None) -> None:
        lib = _lib()
        scope_list: Sequence[str] = scopes.split() if isinstance(scopes, str) else list(scopes)
        args = (
            _ffi.encode(client_id, "client_id"),
            _ffi.encode_optional(client_secret, "client_secret"),
            _ffi.encode(redirect_uri, "redirect_uri"),
            _ffi.encode(" ".join(scope_list), "scopes"),
            _ffi.encode_optional(authorize_url, "authorize_url"),
            _ffi.encode_optional(base_url, "base_url"),
        )
        with _transport_config(timeout, connect_timeout, ca_file, proxy) as cfg:
            out = _ffi.OAuth2FlowP()
            lib.x_oauth2_flow_new(cfg, *args, byref(out))
        super().__init__(lib, out)
        self.client_id = client_id
        self.redirect_uri = redirect_uri
        self.scopes = tuple(scope_list)

    def authorization_request(self) -> AuthorizationRequest:
        """A new `(url, state, code_verifier)`: open `url` in the user's browser, check
        `state` on the callback, keep `code_verifier` for `exchange`."""
        url, state, verifier = c_void_p(), c_void_p(), c_void_p()
        self._lib.x_oauth2_flow_authorization_request(
            self._live(), byref(url), byref(state), byref(verifier))
        lib = self._lib
        return AuthorizationRequest(_ffi.take_string(lib, url), _ffi.take_string(lib, state),
                                    _ffi.take_string(lib, verifier))

    def exchange(self, code: str, code_verifier: str) -> TokenSet:
        """Exchanges the callback's code for a token set (a refused code raises `AuthError`
        with the provider's message)."""
        out = _ffi.TokenSetP()
        self._lib.x_oauth2_flow_exchange(
            self._live(), _ffi.encode(code, "code"),
            _ffi.encode(code_verifier, "code_verifier"), byref(out))
        return TokenSet._take(self._lib, out)

    def refresh(self, refresh_token: str) -> TokenSet:
        """A new token set; on X the refresh token given is spent (keep the new one)."""
        out = _ffi.TokenSetP()
        self._lib.x_oauth2_flow_refresh(
            self._live(), _ffi.encode(refresh_token, "refresh_token"), byref(out))
        return TokenSet._take(self._lib, out)

    def revoke(self, token: str, *, token_type_hint: str = "access_token") -> None:
        """Revokes an access token, or a refresh token with
        `token_type_hint="refresh_token"`."""
        if token_type_hint not in _HINTS:
            raise ValueError('token_type_hint must be "access_token" or "refresh_token"')
        self._lib.x_oauth2_flow_revoke(self._live(), _ffi.encode(token, "token"),
                                       _HINTS[token_type_hint])

    def __repr__(self) -> str:
        return f"<xfollow.OAuth2PKCE client_id={self.client_id!r}>"


# -- loopback redirect receiver -----------------------------------------------------------------
class RedirectReceiver(_Handle):
    """A one-shot listener on 127.0.0.1 for the browser's redirect. Bind it before sending
    the user away; `redirect_uri` is the URI it listens for (port 0 picks a free port, which
    must then be registered with the app). `wait` may be called once."""

    _free_name = "x_redirect_receiver_free"

    def __init__(self, redirect_uri: str = "http://127.0.0.1:8765/callback") -> None:
        lib = _lib()
        out = _ffi.ReceiverP()
        lib.x_redirect_receiver_bind(_ffi.encode(redirect_uri, "redirect_uri"), byref(out))
        super().__init__(lib, out)
        self._lock = threading.Lock()

    @property
    def redirect_uri(self) -> str:
        return _text(self._lib.x_redirect_receiver_redirect_uri(self._live())) or ""

    @staticmethod
    def _ms(timeout: float) -> int:
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
            raise TypeError("timeout must be a number of seconds")
        return min(max(round(timeout * 1000), 0), 0xFFFFFFFF)

    def wait(self, state: str, timeout: float = 300) -> str:
        """Waits for the OAuth 2.0 callback whose `state` is `state` and returns the
        authorization code. A callback with another or no state gets an error page and the
        wait goes on; a denial raises `AuthError`, nothing of this login in time `Timeout`."""
        out = c_void_p()
        with self._lock:
            self._lib.x_redirect_receiver_wait(
                self._live(), _ffi.encode(state, "state"), self._ms(timeout), byref(out))
        return _ffi.take_string(self._lib, out)

    def wait_oauth1(self, request_token: OAuth1RequestToken, timeout: float = 300) -> str:
        """Waits for the OAuth 1.0a callback of `request_token` and returns its verifier."""
        out = c_void_p()
        with self._lock:
            self._lib.x_redirect_receiver_wait_oauth1(
                self._live(), request_token._live(), self._ms(timeout), byref(out))
        return _ffi.take_string(self._lib, out)

    def __repr__(self) -> str:
        return f"<xfollow.RedirectReceiver {self.redirect_uri if self._finalizer.alive else 'closed'}>"
