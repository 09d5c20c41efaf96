"""Result types: plain, immutable dataclasses that own their data (nothing points into the
library after a call returns)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Iterator, Optional, Tuple

__all__ = [
    "ApiErrorEntry",
    "FollowResult",
    "FollowState",
    "RateLimit",
    "RateLimitWindow",
    "UnfollowResult",
    "User",
    "UserPage",
]


@dataclass(frozen=True)
class RateLimitWindow:
    """One rate-limit window as the API sent it."""

    limit: int
    """Requests allowed in the window (`*-limit`)."""
    remaining: int
    """Requests left in the window (`*-remaining`)."""
    reset: int
    """Unix time (seconds) at which the window resets (`*-reset`)."""


@dataclass(frozen=True)
class RateLimit:
    """Every rate-limit window one response carried; a window is None when absent."""

    endpoint: Optional[RateLimitWindow] = None
    """`x-rate-limit-*`: the endpoint's 15-minute window."""
    user_24h: Optional[RateLimitWindow] = None
    """`x-user-limit-24hour-*`: the user's 24-hour window."""
    app_24h: Optional[RateLimitWindow] = None
    """`x-app-limit-24hour-*`: the app's 24-hour window."""

    @property
    def windows(self) -> Tuple[RateLimitWindow, ...]:
        """The windows that are present."""
        return tuple(w for w in (self.endpoint, self.user_24h, self.app_24h) if w is not None)

    @property
    def binding_reset(self) -> Optional[int]:
        """The latest reset among the exhausted windows (remaining == 0), or None."""
        exhausted = [w.reset for w in self.windows if w.remaining == 0]
        return max(exhausted) if exhausted else None

    def __bool__(self) -> bool:
        return bool(self.windows)


class FollowState(enum.Enum):
    """The relationship after a follow or an unfollow."""

    NOT_FOLLOWING = "not_following"
    FOLLOWING = "following"
    PENDING = "pending"
    """A follow request is waiting for a protected account's approval."""


@dataclass(frozen=True)
class ApiErrorEntry:
    """One entry of an `errors` array (legacy `{code, message}` or a v2 partial error)."""

    code: Optional[int]
    message: Optional[str]


@dataclass(frozen=True)
class FollowResult:
    """The outcome of `Client.follow`."""

    following: bool
    """`data.following`: the source now follows the target."""
    pending_follow: bool
    """`data.pending_follow`: the target is protected and a request is pending."""
    state: FollowState
    rate_limit: RateLimit = field(default_factory=RateLimit)
    errors: Tuple[ApiErrorEntry, ...] = ()
    """Partial errors that came beside `data` (usually empty)."""


@dataclass(frozen=True)
class UnfollowResult:
    """The outcome of `Client.unfollow`."""

    following: bool
    """`data.following` (False after a successful unfollow)."""
    state: FollowState
    rate_limit: RateLimit = field(default_factory=RateLimit)
    errors: Tuple[ApiErrorEntry, ...] = ()


@dataclass(frozen=True)
class User:
    """An X account."""

    id: str
    """The numeric id, as a string (ids exceed 2**53)."""
    username: str
    """The @handle, without `@`."""
    name: str
    """The display name."""
    rate_limit: RateLimit = field(default_factory=RateLimit, compare=False, repr=False)
    """The rate-limit windows of the response that returned this user."""


@dataclass(frozen=True)
class UserPage:
    """One page of a followers or following list, newest relationship first."""

    users: Tuple[User, ...]
    """The users of this page (each carries the page's `rate_limit`)."""
    next_token: Optional[str]
    """The token of the next page (pass it as `pagination_token`); None on the last page."""
    result_count: int
    """`meta.result_count`: the number of users on this page."""
    previous_token: Optional[str] = None
    """The token of the previous page; None on the first page."""
    rate_limit: RateLimit = field(default_factory=RateLimit, compare=False, repr=False)
    """The rate-limit windows of the response."""

    def __len__(self) -> int:
        return len(self.users)

    def __iter__(self) -> "Iterator[User]":
        return iter(self.users)
