"""What is retried, and how long to wait: :class:`RetryPolicy` and its tenacity glue.

Reads (replay-safe requests) are retried on connection errors, timeouts, 408,
429, 500, 502, 503 and 504. Writes are retried only when the server provably
did not process them: the connection was never made, 429, or 503 with
``Retry-After``. Waits are exponential with full jitter, capped; a
``Retry-After`` from the API wins, up to its own cap.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime
from typing import Any

import tenacity
from attrs import field, frozen, validators

from ._clock import Clock
from ._serde import parse_http_date
from .errors import (
    APIStatusError,
    ConnectError,
    OutcomeUnknownError,
    RateLimitError,
    TransportError,
)

__all__ = ["RetryPolicy", "is_retryable", "parse_retry_after"]

_RETRYABLE_READ_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


@frozen
class RetryPolicy:
    """How the client retries.

    ``max_attempts`` counts the first try (1 means no retry). The n-th retry
    waits a random time between 0 and ``min(max_backoff, initial_backoff * 2**(n-1))``
    (full jitter), or what ``Retry-After`` says, at most ``max_retry_after``.
    """

    max_attempts: int = field(default=4, validator=validators.ge(1))
    initial_backoff: float = field(default=0.5, validator=validators.ge(0))
    max_backoff: float = field(default=8.0, validator=validators.ge(0))
    max_retry_after: float = field(default=60.0, validator=validators.ge(0))
    jitter: bool = True

    @classmethod
    def none(cls) -> RetryPolicy:
        """A policy that never retries."""
        return cls(max_attempts=1)

    def backoff(self, retry_number: int, rng: random.Random) -> float:
        """The wait before retry number ``retry_number`` (1-based), without ``Retry-After``."""
        ceiling = min(self.max_backoff, self.initial_backoff * 2 ** (retry_number - 1))
        return rng.uniform(0.0, ceiling) if self.jitter else ceiling


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parse_http_date(value) - now).total_seconds())
    except ValueError:
        return None


def is_retryable(error: BaseException, *, replay_safe: bool) -> bool:
    """Whether the request that raised ``error`` may be sent again."""
    if isinstance(error, ConnectError):
        return True
    if isinstance(error, RateLimitError):
        return True
    if isinstance(error, APIStatusError):
        if error.status_code == 503 and error.retry_after is not None:
            return True
        return replay_safe and error.status_code in _RETRYABLE_READ_STATUSES
    if isinstance(error, TransportError) and not isinstance(error, OutcomeUnknownError):
        return replay_safe
    return False


class RetryWait(tenacity.wait.wait_base):
    """tenacity wait: ``Retry-After`` when the error carries one, else jittered backoff."""

    def __init__(self, policy: RetryPolicy, rng: random.Random) -> None:
        self._policy = policy
        self._rng = rng

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        outcome = retry_state.outcome
        error = outcome.exception() if outcome is not None else None
        retry_after = getattr(error, "retry_after", None)
        if isinstance(retry_after, int | float):
            return min(float(retry_after), self._policy.max_retry_after)
        return self._policy.backoff(retry_state.attempt_number, self._rng)


def make_retrying(
    policy: RetryPolicy,
    *,
    should_retry: Callable[[BaseException], bool],
    clock: Clock,
    rng: random.Random,
    before_sleep: Callable[[tenacity.RetryCallState], Any] | None = None,
) -> tenacity.AsyncRetrying:
    """A tenacity ``AsyncRetrying`` for one request under ``policy``, sleeping on ``clock``."""
    return tenacity.AsyncRetrying(
        stop=tenacity.stop_after_attempt(policy.max_attempts),
        wait=RetryWait(policy, rng),
        retry=tenacity.retry_if_exception(should_retry),
        sleep=clock.sleep,
        reraise=True,
        before_sleep=before_sleep,
    )
