"""xfollow: follow and unfollow accounts on X (API v2) on behalf of users.

A thin binding of libxfollow (a Rust library with a C ABI) through ctypes::

    import xfollow

    with xfollow.Client.oauth1(consumer_key, consumer_secret,
                               access_token, access_token_secret) as client:
        result = client.follow("783214")
        print(result.following, result.pending_follow, result.rate_limit.endpoint)

Errors are `xfollow.XError` subclasses carrying the HTTP status, the API's problem fields
and the rate-limit windows. Set `XFOLLOW_LIBRARY=/path/to/libxfollow.so` to load another
build of the library than the bundled one (it must be the same version).
"""

from . import _ffi
from ._version import __version__
from .client import Client
from .errors import (
    ApiError,
    AuthError,
    Cancelled,
    Forbidden,
    InternalError,
    InvalidArgument,
    LibraryVersionError,
    NetworkError,
    NotFound,
    ProtocolError,
    QuotaExhausted,
    QuotaStoreError,
    RateLimited,
    ServerError,
    Timeout,
    TlsError,
    TokenStoreError,
    XError,
)
from .limits import QuotaLimits, QuotaStatus, RetryPolicy, RetryReason
from .plans import Plan, PlanProgress, PlanRun, PlanStatus
from .tokens import (
    AuthorizationRequest,
    OAuth1Credentials,
    OAuth1Flow,
    OAuth1RequestToken,
    OAuth2PKCE,
    RedirectReceiver,
    TokenSet,
)
from .types import (
    ApiErrorEntry,
    FollowResult,
    FollowState,
    RateLimit,
    RateLimitWindow,
    UnfollowResult,
    User,
    UserPage,
)

_library = _ffi.load()

library_version: str = _library.version()
"""The version reported by the loaded libxfollow (`x_version()`)."""
library_path: str = _library.path
"""The path of the loaded libxfollow."""

__all__ = [
    "ApiError",
    "ApiErrorEntry",
    "AuthorizationRequest",
    "AuthError",
    "Cancelled",
    "Client",
    "FollowResult",
    "FollowState",
    "Forbidden",
    "InternalError",
    "InvalidArgument",
    "LibraryVersionError",
    "NetworkError",
    "NotFound",
    "OAuth1Credentials",
    "OAuth1Flow",
    "OAuth1RequestToken",
    "OAuth2PKCE",
    "Plan",
    "PlanProgress",
    "PlanRun",
    "PlanStatus",
    "ProtocolError",
    "QuotaExhausted",
    "QuotaLimits",
    "QuotaStatus",
    "QuotaStoreError",
    "RateLimit",
    "RateLimitWindow",
    "RateLimited",
    "RetryPolicy",
    "RetryReason",
    "RedirectReceiver",
    "ServerError",
    "Timeout",
    "TlsError",
    "TokenSet",
    "TokenStoreError",
    "UnfollowResult",
    "User",
    "UserPage",
    "XError",
    "__version__",
    "library_path",
    "library_version",
]
