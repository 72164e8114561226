"""How often and how long to retry: :class:`RetryPolicy` and its tenacity glue.

*What* is retried is the pipeline's decision table (:mod:`._decision`).
Waits are exponential with full jitter, capped; a ``Retry-After`` from the API
wins, up to its own cap.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime
from typing import Any

import anyio
import tenacity
from attrs import field, frozen, validators

from ._clock import Clock
from ._serde import parse_http_date
from ._settings import setting
from .errors import RateLimitError

__all__ = ["RetryPolicy", "make_retrying", "parse_retry_after"]


@frozen
class RetryPolicy:
    """How the client retries.

    ``max_attempts`` counts the first try (1 means no retry). The n-th retry
    waits a random time between 0 and ``min(max_backoff, initial_backoff * 2**(n-1))``
    (full jitter), or what ``Retry-After`` says, at most ``max_retry_after``.
    A value that cannot work raises :class:`~amili_async.ConfigurationError`.
    """

    max_attempts: int = field(default=4, validator=setting(validators.ge(1)))
    initial_backoff: float = field(default=0.5, validator=setting(validators.ge(0)))
    max_backoff: float = field(default=8.0, validator=setting(validators.ge(0)))
    max_retry_after: float = field(default=60.0, validator=setting(validators.ge(0)))
    jitter: bool = True

    @classmethod
    def none(cls) -> RetryPolicy:
        """A policy that never retries."""
        return cls(max_attempts=1)

    def backoff(self, retry_number: int, rng: random.Random) -> float:
        """The wait before retry number ``retry_number`` (1-based), without ``Retry-After``."""
        ceiling = min(self.max_backoff, self.initial_backoff * 2 ** (retry_number - 1))
        return rng.uniform(0.0, ceiling) if self.jitter else ceiling

    def rate_limit_pause(self, streak: int, rng: random.Random) -> float:
        """The client-wide pause after the ``streak``-th 429 in a row that said nothing of
        when to come back (Eve's 429 never does, and no earlier answer told the reset).

        Exponential from ``max(1 s, initial_backoff)``, at most ``max_retry_after``,
        with equal jitter so that no pause is near zero: Eve counts every request and
        moves its window's end with each one, so coming back too soon prolongs the block.
        """
        base = max(1.0, self.initial_backoff)
        ceiling = min(self.max_retry_after, base * 2 ** min(streak - 1, 30))
        return rng.uniform(ceiling / 2, ceiling) if self.jitter else ceiling


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


class RetryWait(tenacity.wait.wait_base):
    """tenacity wait: none after a 429 (the client-wide pause holds the retry in the rate
    limiter), ``Retry-After`` when the error carries one, else jittered backoff."""

    def __init__(self, policy: RetryPolicy, rng: random.Random) -> None:
        self._policy = policy
        self._rng = rng

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        outcome = retry_state.outcome
        error = outcome.exception() if outcome is not None else None
        if isinstance(error, RateLimitError):
            return 0.0
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

    async def sleep(seconds: float) -> None:
        # No wait (after a 429 the limiter does the waiting) is no sleep on the clock.
        if seconds > 0:
            await clock.sleep(seconds)
        else:
            await anyio.lowlevel.checkpoint()

    return tenacity.AsyncRetrying(
        stop=tenacity.stop_after_attempt(policy.max_attempts),
        wait=RetryWait(policy, rng),
        retry=tenacity.retry_if_exception(should_retry),
        sleep=sleep,
        reraise=True,
        before_sleep=before_sleep,
    )
