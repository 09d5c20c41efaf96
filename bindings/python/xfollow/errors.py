"""Exceptions: one class per libxfollow result code, carrying every detail the C ABI keeps
(HTTP status, the API's problem fields, legacy error codes, rate-limit windows)."""

from __future__ import annotations

import time
from typing import Dict, Optional, Tuple, Type

from .types import ApiErrorEntry, RateLimit

__all__ = [
    "ApiError",
    "AuthError",
    "Cancelled",
    "Forbidden",
    "InternalError",
    "InvalidArgument",
    "LibraryVersionError",
    "NetworkError",
    "NotFound",
    "ProtocolError",
    "QuotaExhausted",
    "QuotaStoreError",
    "RateLimited",
    "ServerError",
    "Timeout",
    "TlsError",
    "XError",
]


class XError(Exception):
    """A failed libxfollow call.

    `str(error)` is the library's one-line message (it never contains a secret). The other
    attributes are None when the failure did not carry them (for example no HTTP status
    when the request never got an answer).
    """

    code: int
    """The stable `x_result` code (see the `X_ERR_*` constants of include/xfollow.h)."""
    message: str
    """The one-line message."""
    http_status: Optional[int]
    """The HTTP status of the failed response, None when there was no response."""
    title: Optional[str]
    """The problem `title`, e.g. "Client Forbidden"."""
    detail: Optional[str]
    """The problem `detail`."""
    problem_type: Optional[str]
    """The problem type name after `/2/problems/`, e.g. "client-forbidden" (host-independent)."""
    type_uri: Optional[str]
    """The problem `type` URI exactly as sent."""
    reason: Optional[str]
    """The problem `reason`, e.g. "client-not-enrolled"."""
    required_enrollment: Optional[str]
    """The problem `required_enrollment`."""
    registration_url: Optional[str]
    """The problem `registration_url`: where to fix an enrollment problem."""
    errors: Tuple[ApiErrorEntry, ...]
    """The body's `errors` array (legacy codes such as 88, 89, 135, and v2 entries)."""
    rate_limit: RateLimit
    """The rate-limit windows of the failed response (empty when there was none)."""
    may_have_reached_server: bool
    """False when the request provably never left (bad input, connection refused...)."""

    def __init__(
        self,
        message: str,
        *,
        code: int = 0,
        http_status: Optional[int] = None,
        title: Optional[str] = None,
        detail: Optional[str] = None,
        problem_type: Optional[str] = None,
        type_uri: Optional[str] = None,
        reason: Optional[str] = None,
        required_enrollment: Optional[str] = None,
        registration_url: Optional[str] = None,
        errors: Tuple[ApiErrorEntry, ...] = (),
        rate_limit: Optional[RateLimit] = None,
        may_have_reached_server: bool = False,
        retry_at: Optional[int] = None,
        next_free_at: Optional[int] = None,
        exhausted_window: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status
        self.title = title
        self.detail = detail
        self.problem_type = problem_type
        self.type_uri = type_uri
        self.reason = reason
        self.required_enrollment = required_enrollment
        self.registration_url = registration_url
        self.errors = tuple(errors)
        self.rate_limit = rate_limit if rate_limit is not None else RateLimit()
        self.may_have_reached_server = may_have_reached_server
        self._retry_at = retry_at
        self._next_free_at = next_free_at
        self._exhausted_window = exhausted_window

    @property
    def legacy_codes(self) -> Tuple[int, ...]:
        """The numeric codes of the `errors` entries that have one."""
        return tuple(e.code for e in self.errors if e.code is not None)

    def __repr__(self) -> str:
        parts = [repr(self.message), f"code={self.code}"]
        for name in ("http_status", "problem_type", "reason"):
            value = getattr(self, name)
            if value is not None:
                parts.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(parts)})"


class InvalidArgument(XError, ValueError):
    """A bad argument or configuration, refused before any request was sent."""


class AuthError(XError):
    """HTTP 401: the credentials were refused (wrong secret, revoked token, clock skew)."""


class Forbidden(XError):
    """HTTP 403: not allowed (wrong source user, app not enrolled, suspended target...)."""


class NotFound(XError):
    """HTTP 404, or a resource-not-found problem (unknown user)."""


class RateLimited(XError):
    """HTTP 429: a rate limit or a daily cap was hit."""

    @property
    def reset_at(self) -> Optional[int]:
        """Unix time (seconds) to wait for: the latest reset among the exhausted windows."""
        return self._retry_at

    @property
    def exhausted_window(self) -> Optional[str]:
        """The window whose reset `reset_at` is: "endpoint" (15 minutes), "user_24h" or
        "app_24h". None without rate-limit headers (then `reset_at` is None too and the
        error was raised without waiting)."""
        return self._exhausted_window

    @property
    def retry_after(self) -> Optional[float]:
        """Seconds to wait from now (0 when the reset is already past), None when unknown."""
        if self._retry_at is None:
            return None
        return max(0.0, self._retry_at - time.time())


class NetworkError(XError):
    """Could not connect, or the connection broke."""


class Timeout(NetworkError):
    """The connect timeout or the overall timeout expired."""


class TlsError(NetworkError):
    """The TLS handshake or the certificate verification failed."""


class ServerError(XError):
    """HTTP 5xx."""


class ProtocolError(XError):
    """A response that is not what the API documents (malformed JSON, missing fields)."""


class ApiError(XError):
    """Any other API error (HTTP 400 and other 4xx)."""


class InternalError(XError):
    """A bug inside libxfollow, caught at its boundary (please report it)."""


class QuotaExhausted(XError):
    """A follow or unfollow refused locally by the quota ledger: a daily cap is reached and
    no request was sent."""

    @property
    def next_free_at(self) -> Optional[int]:
        """Unix time (seconds) at which the exhausted window has a free slot again."""
        return self._next_free_at


class QuotaStoreError(XError):
    """The quota ledger's store failed (SQLite I/O, Redis unreachable); nothing was sent."""


class Cancelled(XError):
    """`Client.cancel()` was called: before the first attempt, during an attempt on a direct
    connection, or while waiting to retry."""


class TokenStoreError(XError):
    """The OAuth 2.0 token store could not be read, locked or written (or is readable by
    group or others), or a refreshed token set could not be persisted."""


class LibraryVersionError(ImportError):
    """The loaded libxfollow is not the version this package was built for."""


# x_result code -> exception class (include/xfollow.h, X_ERR_*).
ERROR_CLASSES: Dict[int, Type[XError]] = {
    1: InvalidArgument,
    2: AuthError,
    3: Forbidden,
    4: NotFound,
    5: RateLimited,
    6: NetworkError,
    7: Timeout,
    8: TlsError,
    9: ServerError,
    10: ProtocolError,
    11: ApiError,
    12: InternalError,
    13: QuotaExhausted,
    14: QuotaStoreError,
    15: Cancelled,
    16: TokenStoreError,
}


def error_class(code: int) -> Type[XError]:
    """The exception class for an `x_result` code (XError for codes added later)."""
    return ERROR_CLASSES.get(code, XError)
