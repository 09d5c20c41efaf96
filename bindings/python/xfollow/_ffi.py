"""The ctypes layer over libxfollow's C ABI (include/xfollow.h).

One table, `_SIGNATURES`, declares `restype`/`argtypes` for every exported function; every
function that returns an `x_result` gets `_check` as its `errcheck`, which turns a non-zero
code into the matching `XError` subclass built from the thread-local last-error accessors
(read on the same thread, right after the call, as the ABI requires).

The library is `XFOLLOW_LIBRARY` when set, else the `libxfollow.so` bundled in this package.
It is loaded with `ctypes.CDLL`, so the GIL is released during every foreign call.
"""

from __future__ import annotations

import ctypes
import os
import sys
from ctypes import (
    POINTER,
    Structure,
    byref,
    c_bool,
    c_char_p,
    c_int,
    c_int32,
    c_int64,
    c_size_t,
    c_uint32,
    c_uint64,
    c_void_p,
)
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ._version import __version__
from .errors import LibraryVersionError, XError, error_class
from .types import ApiErrorEntry, RateLimit, RateLimitWindow

# -- constants of include/xfollow.h ------------------------------------------------------
X_SUCCESS = 0
X_ERR_INVALID_ARGUMENT = 1
X_WINDOW_ENDPOINT = 0
X_WINDOW_USER_24H = 1
X_WINDOW_APP_24H = 2
X_STATE_NOT_FOLLOWING = 0
X_STATE_FOLLOWING = 1
X_STATE_PENDING = 2
X_MAX_TIMEOUT_MS = 3_600_000
X_ERR_NETWORK = 6
X_ERR_TIMEOUT = 7
X_ERR_SERVER = 9
X_ERR_RATE_LIMITED = 5
X_ENDPOINT_FOLLOW = 0
X_ENDPOINT_UNFOLLOW = 1
X_ENDPOINT_ME = 2
X_ENDPOINT_USER_BY_USERNAME = 3
X_ENDPOINT_FOLLOWERS = 4
X_ENDPOINT_FOLLOWING = 5
X_TOKEN_ACCESS = 0
X_TOKEN_REFRESH = 1

if sys.platform == "darwin":
    LIBRARY_FILE = "libxfollow.dylib"
elif sys.platform == "win32":
    LIBRARY_FILE = "xfollow.dll"
else:
    LIBRARY_FILE = "libxfollow.so"


# -- opaque handles ------------------------------------------------------------------------
class x_config(Structure):
    """Opaque `struct x_config`."""


class x_client(Structure):
    """Opaque `struct x_client`."""


class x_follow_result(Structure):
    """Opaque `struct x_follow_result`."""


class x_user(Structure):
    """Opaque `struct x_user`."""


class x_quota_status(Structure):
    """Opaque `struct x_quota_status`."""
class x_token_set(Structure):
    """Opaque `struct x_token_set`."""


class x_oauth1_flow(Structure):
    """Opaque `struct x_oauth1_flow`."""


class x_oauth1_request(Structure):
    """Opaque `struct x_oauth1_request`."""


class x_oauth1_credentials(Structure):
    """Opaque `struct x_oauth1_credentials`."""


class x_oauth2_flow(Structure):
    """Opaque `struct x_oauth2_flow`."""


class x_redirect_receiver(Structure):
    """Opaque `struct x_redirect_receiver`."""


ConfigP = POINTER(x_config)
ClientP = POINTER(x_client)
FollowResultP = POINTER(x_follow_result)
UserP = POINTER(x_user)
QuotaStatusP = POINTER(x_quota_status)
TokenSetP = POINTER(x_token_set)
OAuth1FlowP = POINTER(x_oauth1_flow)
OAuth1RequestP = POINTER(x_oauth1_request)
OAuth1CredentialsP = POINTER(x_oauth1_credentials)
OAuth2FlowP = POINTER(x_oauth2_flow)
ReceiverP = POINTER(x_redirect_receiver)
x_result = c_int
x_token_kind = c_int
# void (*x_persist_fn)(void *user_data, const x_token_set *tokens)
x_persist_fn = ctypes.CFUNCTYPE(None, c_void_p, TokenSetP)
x_rate_window = c_int
x_follow_state = c_int
u64p = POINTER(c_uint64)
x_endpoint = c_int
# void (*x_on_retry_fn)(void *user_data, uint32_t attempt, x_result reason,
#                       int32_t http_status, uint64_t delay_ms)
ON_RETRY_FN = ctypes.CFUNCTYPE(None, c_void_p, c_uint32, c_int, c_int32, c_uint64)


class x_user_page(Structure):
    """Opaque `struct x_user_page`."""


UserPageP = POINTER(x_user_page)


class x_plan(Structure):
    """Opaque `struct x_plan`."""


class x_plan_progress(Structure):
    """Opaque `struct x_plan_progress` (lent to the progress callback only)."""


PlanP = POINTER(x_plan)
PlanProgressP = POINTER(x_plan_progress)
x_plan_state = c_int
x_plan_stop = c_int
X_PLAN_QUEUED = 0
X_PLAN_DONE = 1
X_PLAN_PENDING = 2
X_PLAN_SKIPPED = 3
X_PLAN_FAILED = 4
X_PLAN_FINISHED = 0
X_PLAN_DEADLINE = 1
X_PLAN_CANCELLED = 2
X_PLAN_STOPPED = 3
X_PLAN_MAX_KEEP = 100_000
# bool (*x_plan_progress_fn)(void *user_data, const x_plan_progress *progress)
PLAN_PROGRESS_FN = ctypes.CFUNCTYPE(ctypes.c_bool, c_void_p, PlanProgressP)

_CHECKED = object()  # marks functions returning x_result

# name: (restype, argtypes). `_CHECKED` as restype means x_result with errcheck.
_SIGNATURES: Dict[str, Tuple[Any, List[Any]]] = {
    # version and codes
    "x_version": (c_char_p, []),
    "x_version_number": (c_uint32, []),
    "x_result_str": (c_char_p, [x_result]),
    "x_string_free": (None, [c_void_p]),
    "x_test_panic": (_CHECKED, []),
    # configuration
    "x_config_new": (_CHECKED, [POINTER(ConfigP)]),
    "x_config_free": (None, [ConfigP]),
    "x_config_set_base_url": (_CHECKED, [ConfigP, c_char_p]),
    "x_config_set_oauth1": (_CHECKED, [ConfigP, c_char_p, c_char_p, c_char_p, c_char_p]),
    "x_config_set_oauth2_token": (_CHECKED, [ConfigP, c_char_p]),
    "x_config_set_connect_timeout_ms": (_CHECKED, [ConfigP, c_uint32]),
    "x_config_set_timeout_ms": (_CHECKED, [ConfigP, c_uint32]),
    "x_config_set_proxy": (_CHECKED, [ConfigP, c_char_p]),
    "x_config_set_ca_file": (_CHECKED, [ConfigP, c_char_p]),
    "x_config_set_gzip": (_CHECKED, [ConfigP, c_bool]),
    "x_config_set_retry": (_CHECKED, [ConfigP, c_uint32, c_uint32, c_uint32, c_uint32]),
    "x_config_set_retry_jitter": (_CHECKED, [ConfigP, c_bool]),
    "x_config_set_on_retry": (_CHECKED, [ConfigP, ON_RETRY_FN, c_void_p]),
    "x_config_set_quota": (_CHECKED, [ConfigP, c_char_p]),
    "x_config_set_quota_limits": (_CHECKED, [ConfigP, c_uint32, c_uint32, c_uint32]),
    "x_config_set_client_id": (_CHECKED, [ConfigP, c_char_p]),
    # client and calls
    "x_client_new": (_CHECKED, [ConfigP, POINTER(ClientP)]),
    "x_client_free": (None, [ClientP]),
    "x_follow": (_CHECKED, [ClientP, c_char_p, c_char_p, POINTER(FollowResultP)]),
    "x_unfollow": (_CHECKED, [ClientP, c_char_p, c_char_p, POINTER(FollowResultP)]),
    "x_me": (_CHECKED, [ClientP, POINTER(UserP)]),
    "x_user_by_username": (_CHECKED, [ClientP, c_char_p, POINTER(UserP)]),
    "x_client_own_user_id": (_CHECKED, [ClientP, POINTER(c_void_p)]),
    "x_client_cancel": (_CHECKED, [ClientP]),
    "x_client_cancel_reset": (_CHECKED, [ClientP]),
    "x_client_rate_limit": (c_bool, [ClientP, x_endpoint, x_rate_window, u64p, u64p, u64p]),
    # quota ledger status
    "x_client_quota_status": (_CHECKED, [ClientP, c_char_p, POINTER(QuotaStatusP)]),
    "x_quota_status_free": (None, [QuotaStatusP]),
    "x_quota_status_at": (c_int64, [QuotaStatusP]),
    "x_quota_status_user_used": (c_uint32, [QuotaStatusP]),
    "x_quota_status_user_remaining": (c_int64, [QuotaStatusP]),
    "x_quota_status_app_used": (c_uint32, [QuotaStatusP]),
    "x_quota_status_app_remaining": (c_int64, [QuotaStatusP]),
    "x_quota_status_unfollows_used": (c_uint32, [QuotaStatusP]),
    "x_quota_status_unfollows_remaining": (c_int64, [QuotaStatusP]),
    "x_quota_status_next_free_at": (c_int64, [QuotaStatusP]),
    "x_quota_status_unfollows_next_free_at": (c_int64, [QuotaStatusP]),
    # follow results
    "x_follow_result_free": (None, [FollowResultP]),
    "x_follow_result_following": (c_bool, [FollowResultP]),
    "x_follow_result_pending_follow": (c_bool, [FollowResultP]),
    "x_follow_result_state": (x_follow_state, [FollowResultP]),
    "x_follow_result_http_status": (c_int32, [FollowResultP]),
    "x_follow_result_rate_limit": (c_bool, [FollowResultP, x_rate_window, u64p, u64p, u64p]),
    "x_follow_result_error_count": (c_size_t, [FollowResultP]),
    "x_follow_result_error_code": (c_int64, [FollowResultP, c_size_t]),
    "x_follow_result_error_message": (c_char_p, [FollowResultP, c_size_t]),
    # users
    "x_user_free": (None, [UserP]),
    "x_user_id": (c_char_p, [UserP]),
    "x_user_username": (c_char_p, [UserP]),
    "x_user_name": (c_char_p, [UserP]),
    "x_user_rate_limit": (c_bool, [UserP, x_rate_window, u64p, u64p, u64p]),
    # followers/following lookups
    "x_followers": (_CHECKED, [ClientP, c_char_p, c_uint32, c_char_p, POINTER(UserPageP)]),
    "x_following": (_CHECKED, [ClientP, c_char_p, c_uint32, c_char_p, POINTER(UserPageP)]),
    "x_user_page_free": (None, [UserPageP]),
    "x_user_page_count": (c_size_t, [UserPageP]),
    "x_user_page_result_count": (c_uint32, [UserPageP]),
    "x_user_page_user_id": (c_char_p, [UserPageP, c_size_t]),
    "x_user_page_username": (c_char_p, [UserPageP, c_size_t]),
    "x_user_page_name": (c_char_p, [UserPageP, c_size_t]),
    "x_user_page_next_token": (c_char_p, [UserPageP]),
    "x_user_page_previous_token": (c_char_p, [UserPageP]),
    "x_user_page_rate_limit": (c_bool, [UserPageP, x_rate_window, u64p, u64p, u64p]),
    # thread-local last error
    "x_last_error_code": (x_result, []),
    "x_last_error_message": (c_char_p, []),
    "x_last_error_http_status": (c_int32, []),
    "x_last_error_may_have_reached_server": (c_bool, []),
    "x_last_error_title": (c_char_p, []),
    "x_last_error_detail": (c_char_p, []),
    "x_last_error_type": (c_char_p, []),
    "x_last_error_type_name": (c_char_p, []),
    "x_last_error_reason": (c_char_p, []),
    "x_last_error_required_enrollment": (c_char_p, []),
    "x_last_error_registration_url": (c_char_p, []),
    "x_last_error_api_error_count": (c_size_t, []),
    "x_last_error_api_error_code": (c_int64, [c_size_t]),
    "x_last_error_api_error_message": (c_char_p, [c_size_t]),
    "x_last_error_rate_limit": (c_bool, [x_rate_window, u64p, u64p, u64p]),
    "x_last_error_retry_at": (c_uint64, []),
    "x_last_error_next_free_at": (c_int64, []),
    "x_last_error_exhausted_window": (x_rate_window, []),
    # token sets
    "x_token_set_new": (_CHECKED, [c_char_p, c_char_p, c_uint64, c_char_p, POINTER(TokenSetP)]),
    "x_token_set_free": (None, [TokenSetP]),
    "x_token_set_access_token": (c_char_p, [TokenSetP]),
    "x_token_set_refresh_token": (c_char_p, [TokenSetP]),
    "x_token_set_expires_at": (c_uint64, [TokenSetP]),
    "x_token_set_scopes": (c_char_p, [TokenSetP]),
    # OAuth 1.0a three-legged flow
    "x_oauth1_flow_new": (_CHECKED, [ConfigP, c_char_p, c_char_p, c_char_p, c_char_p, POINTER(OAuth1FlowP)]),
    "x_oauth1_flow_free": (None, [OAuth1FlowP]),
    "x_oauth1_flow_request_token": (_CHECKED, [OAuth1FlowP, c_char_p, POINTER(OAuth1RequestP)]),
    "x_oauth1_request_free": (None, [OAuth1RequestP]),
    "x_oauth1_request_token": (c_char_p, [OAuth1RequestP]),
    "x_oauth1_request_authorize_url": (c_char_p, [OAuth1RequestP]),
    "x_oauth1_flow_authorize_url": (_CHECKED, [OAuth1FlowP, OAuth1RequestP, c_bool, c_bool, c_char_p, POINTER(c_void_p)]),
    "x_oauth1_flow_access_token": (_CHECKED, [OAuth1FlowP, OAuth1RequestP, c_char_p, POINTER(OAuth1CredentialsP)]),
    "x_oauth1_flow_access_token_from_callback": (_CHECKED, [OAuth1FlowP, OAuth1RequestP, c_char_p, POINTER(OAuth1CredentialsP)]),
    "x_oauth1_credentials_free": (None, [OAuth1CredentialsP]),
    "x_oauth1_credentials_token": (c_char_p, [OAuth1CredentialsP]),
    "x_oauth1_credentials_token_secret": (c_char_p, [OAuth1CredentialsP]),
    "x_oauth1_credentials_user_id": (c_char_p, [OAuth1CredentialsP]),
    "x_oauth1_credentials_screen_name": (c_char_p, [OAuth1CredentialsP]),
    # OAuth 2.0 PKCE
    "x_oauth2_flow_new": (_CHECKED, [ConfigP, c_char_p, c_char_p, c_char_p, c_char_p, c_char_p, c_char_p, POINTER(OAuth2FlowP)]),
    "x_oauth2_flow_free": (None, [OAuth2FlowP]),
    "x_oauth2_flow_authorization_request": (_CHECKED, [OAuth2FlowP, POINTER(c_void_p), POINTER(c_void_p), POINTER(c_void_p)]),
    "x_oauth2_flow_exchange": (_CHECKED, [OAuth2FlowP, c_char_p, c_char_p, POINTER(TokenSetP)]),
    "x_oauth2_flow_refresh": (_CHECKED, [OAuth2FlowP, c_char_p, POINTER(TokenSetP)]),
    "x_oauth2_flow_revoke": (_CHECKED, [OAuth2FlowP, c_char_p, x_token_kind]),
    # loopback redirect receiver
    "x_redirect_receiver_bind": (_CHECKED, [c_char_p, POINTER(ReceiverP)]),
    "x_redirect_receiver_redirect_uri": (c_char_p, [ReceiverP]),
    "x_redirect_receiver_wait": (_CHECKED, [ReceiverP, c_char_p, c_uint32, POINTER(c_void_p)]),
    "x_redirect_receiver_wait_oauth1": (_CHECKED, [ReceiverP, OAuth1RequestP, c_uint32, POINTER(c_void_p)]),
    "x_redirect_receiver_free": (None, [ReceiverP]),
    # refreshing clients
    "x_config_set_oauth2_refreshing": (_CHECKED, [ConfigP, TokenSetP, c_char_p, c_char_p, c_uint32, x_persist_fn, c_void_p, c_char_p]),
    "x_client_token_set": (_CHECKED, [ClientP, POINTER(TokenSetP)]),
    # follow plans
    "x_plan_open": (_CHECKED, [c_char_p, c_char_p, c_char_p, POINTER(PlanP)]),
    "x_plan_free": (None, [PlanP]),
    "x_plan_add": (_CHECKED, [PlanP, POINTER(c_char_p), c_size_t, c_bool, u64p]),
    "x_plan_unfollow_non_followers": (_CHECKED, [PlanP, ClientP, POINTER(c_char_p), c_size_t, u64p]),
    "x_plan_follow_back": (_CHECKED, [PlanP, ClientP, u64p]),
    "x_plan_status": (_CHECKED, [PlanP, u64p, u64p, u64p, u64p, u64p]),
    "x_plan_dry_run": (_CHECKED, [PlanP, c_size_t, POINTER(c_void_p)]),
    "x_plan_run": (_CHECKED, [PlanP, ClientP, c_char_p, c_uint64, PLAN_PROGRESS_FN, c_void_p, POINTER(x_plan_stop), u64p]),
    "x_plan_progress_target": (c_char_p, [PlanProgressP]),
    "x_plan_progress_unfollow": (c_int, [PlanProgressP]),
    "x_plan_progress_state": (x_plan_state, [PlanProgressP]),
    "x_plan_progress_count": (c_uint64, [PlanProgressP, x_plan_state]),
    "x_plan_progress_next_request_at": (c_int64, [PlanProgressP]),
    "x_plan_list": (_CHECKED, [c_char_p, POINTER(c_void_p)]),
    "x_plan_drop": (_CHECKED, [c_char_p, c_char_p, POINTER(c_bool)]),
}


def _text(b: Optional[bytes]) -> Optional[str]:
    return None if b is None else b.decode("utf-8", "replace")


X_ERR_QUOTA_EXHAUSTED = 13
_WINDOW_NAMES = {X_WINDOW_ENDPOINT: "endpoint", X_WINDOW_USER_24H: "user_24h", X_WINDOW_APP_24H: "app_24h"}


def _windows(read: Callable[..., bool]) -> RateLimit:
    """Builds a RateLimit from an `x_*_rate_limit(window, &limit, &remaining, &reset)` reader."""
    limit, remaining, reset = c_uint64(), c_uint64(), c_uint64()
    found: List[Optional[RateLimitWindow]] = []
    for window in (X_WINDOW_ENDPOINT, X_WINDOW_USER_24H, X_WINDOW_APP_24H):
        if read(window, byref(limit), byref(remaining), byref(reset)):
            found.append(RateLimitWindow(limit.value, remaining.value, reset.value))
        else:
            found.append(None)
    return RateLimit(*found)


class Library:
    """A loaded libxfollow with every function declared."""

    def __init__(self, path: str) -> None:
        self.path = path
        try:
            self.dll = ctypes.CDLL(path)
        except OSError as e:
            raise ImportError(f"xfollow: cannot load libxfollow from {path}: {e}") from e
        for name, (restype, argtypes) in _SIGNATURES.items():
            try:
                fn = getattr(self.dll, name)
            except AttributeError:
                raise ImportError(
                    f"xfollow: {path} does not export {name}: it is not the libxfollow "
                    f"{__version__} this package was built for"
                ) from None
            fn.argtypes = argtypes
            if restype is _CHECKED:
                fn.restype = x_result
                fn.errcheck = self._check
            else:
                fn.restype = restype
            setattr(self, name, fn)

    def __getattr__(self, name: str) -> Any:
        # The x_* functions are set in __init__ from _SIGNATURES; this only types them.
        raise AttributeError(name)

    # -- errors --------------------------------------------------------------------------
    def _check(self, result: int, func: Any, args: Tuple[Any, ...]) -> Tuple[Any, ...]:
        if result != X_SUCCESS:
            raise self.last_error(result)
        return args

    def last_error(self, code: int) -> XError:
        """The exception for `code`, with this thread's last-error details."""
        d = self.dll
        status = d.x_last_error_http_status()
        count = d.x_last_error_api_error_count()
        entries = []
        for i in range(count):
            c = d.x_last_error_api_error_code(i)
            entries.append(ApiErrorEntry(None if c < 0 else c, _text(d.x_last_error_api_error_message(i))))
        retry_at = d.x_last_error_retry_at()
        extra: Dict[str, Any] = {}
        if code == X_ERR_QUOTA_EXHAUSTED:
            extra["next_free_at"] = d.x_last_error_next_free_at() or None
        if code == X_ERR_RATE_LIMITED:
            extra["exhausted_window"] = _WINDOW_NAMES.get(d.x_last_error_exhausted_window())
        return error_class(code)(
            _text(d.x_last_error_message()) or _text(d.x_result_str(code)) or f"error {code}",
            code=code,
            http_status=status or None,
            title=_text(d.x_last_error_title()),
            detail=_text(d.x_last_error_detail()),
            problem_type=_text(d.x_last_error_type_name()),
            type_uri=_text(d.x_last_error_type()),
            reason=_text(d.x_last_error_reason()),
            required_enrollment=_text(d.x_last_error_required_enrollment()),
            registration_url=_text(d.x_last_error_registration_url()),
            errors=tuple(entries),
            rate_limit=_windows(d.x_last_error_rate_limit),
            may_have_reached_server=bool(d.x_last_error_may_have_reached_server()),
            retry_at=retry_at or None,
            **extra,
        )

    # -- result readers ------------------------------------------------------------------
    def follow_result_errors(self, r: Any) -> Tuple[ApiErrorEntry, ...]:
        n = self.x_follow_result_error_count(r)
        out = []
        for i in range(n):
            c = self.x_follow_result_error_code(r, i)
            out.append(ApiErrorEntry(None if c < 0 else c, _text(self.x_follow_result_error_message(r, i))))
        return tuple(out)

    def follow_result_rate_limit(self, r: Any) -> RateLimit:
        fn = self.x_follow_result_rate_limit
        return _windows(lambda w, a, b, c: fn(r, w, a, b, c))

    def client_rate_limit(self, c: Any, endpoint: int) -> Optional[RateLimit]:
        fn = self.x_client_rate_limit
        rl = _windows(lambda w, a, b, d: fn(c, endpoint, w, a, b, d))
        return None if rl == RateLimit() else rl

    def user_rate_limit(self, u: Any) -> RateLimit:
        fn = self.x_user_rate_limit
        return _windows(lambda w, a, b, c: fn(u, w, a, b, c))

    def user_page_rate_limit(self, p: Any) -> RateLimit:
        fn = self.x_user_page_rate_limit
        return _windows(lambda w, a, b, c: fn(p, w, a, b, c))

    def version(self) -> str:
        return _text(self.x_version()) or ""


def check_version(library_version: str, package_version: str, path: str) -> None:
    """Raises LibraryVersionError unless the library is the package's version."""
    if library_version != package_version:
        raise LibraryVersionError(
            f"xfollow {package_version} needs libxfollow {package_version}, but {path} is "
            f"libxfollow {library_version or '(unknown)'}: reinstall the package "
            f"(`pip install ./bindings/python`) or point XFOLLOW_LIBRARY at a matching build"
        )


def library_path() -> str:
    """`XFOLLOW_LIBRARY`, or the library bundled in this package."""
    env = os.environ.get("XFOLLOW_LIBRARY")
    if env:
        return env
    bundled = Path(__file__).resolve().parent / LIBRARY_FILE
    if not bundled.exists():
        raise ImportError(
            f"xfollow: {bundled} is missing: install the package with "
            f"`pip install ./bindings/python` (it builds libxfollow), or set XFOLLOW_LIBRARY "
            f"to the path of a libxfollow {__version__} build"
        )
    return str(bundled)


def load(path: Optional[str] = None) -> Library:
    """Loads and checks libxfollow (the version must be the package's)."""
    path = path or library_path()
    lib = Library(path)
    check_version(lib.version(), __version__, path)
    return lib


def library() -> Library:
    """The library the package loaded at import (`xfollow._library`)."""
    from . import _library

    return _library


def take_string(lib: Library, p: c_void_p) -> str:
    """A string the library handed to the caller, decoded, then freed with x_string_free
    (NULL reads as "")."""
    try:
        return ctypes.string_at(p).decode("utf-8") if p.value else ""
    finally:
        lib.x_string_free(p)


def encode(value: Any, name: str, *, allow_int: bool = False) -> bytes:
    """A str argument as UTF-8 for a `const char *` (ints allowed for ids).

    A NUL would silently cut a C string short, so it is refused here; every other check
    (UTF-8 validity, id and username syntax) is the library's.
    """
    if allow_int and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        kind = "a str or an int" if allow_int else "a str"
        raise TypeError(f"{name} must be {kind}, not {type(value).__name__}")
    if "\0" in value:
        raise error_class(X_ERR_INVALID_ARGUMENT)(
            f"{name} contains a NUL character", code=X_ERR_INVALID_ARGUMENT
        )
    return value.encode("utf-8", "surrogatepass")


def encode_optional(value: Any, name: str, *, allow_int: bool = False) -> Optional[bytes]:
    return None if value is None else encode(value, name, allow_int=allow_int)


__all__: Sequence[str] = ["Library", "check_version", "library_path", "load", "encode"]
