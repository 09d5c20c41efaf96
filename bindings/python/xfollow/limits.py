"""X's limits from Python: the quota ledger's caps and status, the retry policy and its
on-retry callback, and the latest rate-limit snapshot per endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, NamedTuple, Optional

__all__ = ["QuotaLimits", "QuotaStatus", "RetryPolicy", "RetryReason"]


@dataclass(frozen=True)
class QuotaLimits:
    """The daily caps the quota ledger enforces, on rolling 24-hour windows. X's documented
    values are the defaults; 0 turns one cap off (its window is still counted)."""

    follows_per_user: int = 400
    follows_per_app: int = 1000
    unfollows_per_app: int = 500


@dataclass(frozen=True)
class QuotaStatus:
    """The ledger's counts for one user of the app, at one moment (`at`, Unix seconds).

    `*_remaining` is None when that cap is off. `next_free_at` is None when the user may
    follow now, else the Unix time at which both the user's and the app's follow windows
    have a free slot; `unfollows_next_free_at` likewise for the app's unfollows.
    """

    user_used: int
    user_remaining: Optional[int]
    app_used: int
    app_remaining: Optional[int]
    next_free_at: Optional[int]
    unfollows_used: int
    unfollows_remaining: Optional[int]
    unfollows_next_free_at: Optional[int]
    at: int


class RetryReason(NamedTuple):
    """Why an attempt is retried: `kind` is "network", "timeout", "server" (HTTP 500, 502,
    503, 504) or "rate_limited" (HTTP 429 with a reset within the maximum wait);
    `http_status` is the status for the last two, else None."""

    kind: str
    http_status: Optional[int]


OnRetry = Callable[[int, RetryReason, float], None]


@dataclass(frozen=True)
class RetryPolicy:
    """How every call is retried. Defaults: 3 attempts in all, a backoff from 0.5 s doubling
    up to 8 s with full jitter, and a 429 waited out only when its reset is at most 60 s
    away (else raised at once with `RateLimited.reset_at`). Retried: network errors,
    timeouts, HTTP 500/502/503/504, 429 within the wait; never 400, 401, 403, 404.

    `on_retry(attempt, reason, delay_seconds)` is called before each wait, on the calling
    thread; an exception it raises is printed by ctypes and otherwise ignored.
    """

    max_attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_rate_limit_wait: float = 60.0
    jitter: bool = True
    on_retry: Optional[OnRetry] = None

    @classmethod
    def never(cls) -> "RetryPolicy":
        """One attempt, no retry."""
        return cls(max_attempts=1)
