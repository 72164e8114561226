"""Client-wide pacing: a token bucket, a concurrency cap, and a pause after 429.

One :class:`RateLimiter` serves every task of an :class:`~amili_async.AmiliClient`,
so a thousand concurrent polls share one budget. When the API answers 429 the
whole client pauses for the advised delay, not only the task that got it.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from types import TracebackType

import anyio
from attrs import field as attr_field
from attrs import frozen, validators

from ._clock import Clock
from ._settings import setting

__all__ = ["RateLimit", "RateLimiter"]


@frozen
class RateLimit:
    """How fast one client may go.

    ``requests_per_second`` refills the bucket, ``burst`` is its size (how many
    requests may start at once after a quiet spell), ``max_concurrency`` caps
    requests in flight. ``None`` for ``requests_per_second`` means no pacing.
    A value that cannot work raises :class:`~amili_async.ConfigurationError`.
    """

    requests_per_second: float | None = attr_field(
        default=None, validator=setting(validators.optional(validators.gt(0)))
    )
    burst: int = attr_field(default=10, validator=setting(validators.ge(1)))
    max_concurrency: int = attr_field(default=100, validator=setting(validators.ge(1)))


class RateLimiter:
    """The runtime side of :class:`RateLimit`, on anyio and an injected clock."""

    def __init__(self, limit: RateLimit, clock: Clock) -> None:
        self.limit = limit
        self._clock = clock
        self._tokens = float(limit.burst)
        self._last_refill = clock.monotonic()
        self._paused_until = 0.0
        self._bucket_lock = anyio.Lock()
        self._in_flight = anyio.CapacityLimiter(limit.max_concurrency)
        self._slot = _Slot(self)

    def pause(self, seconds: float) -> None:
        """Hold every request of the client for ``seconds`` from now."""
        self._paused_until = max(self._paused_until, self._clock.monotonic() + seconds)

    def _take_token_now(self) -> bool:
        """Take a token without waiting, when nobody is in line and one is there.

        Nobody waits in line unless the lock is held, so taking the token here
        keeps the order fair; with nothing to wait for, a request is admitted
        without a trip through the event loop.
        """
        if self._bucket_lock.locked():
            return False
        now = self._clock.monotonic()
        if now < self._paused_until:
            return False
        rate = self.limit.requests_per_second
        if rate is None:
            return True
        self._tokens = min(float(self.limit.burst), self._tokens + (now - self._last_refill) * rate)
        self._last_refill = now
        if self._tokens >= 1.0 - 1e-9:
            self._tokens = max(0.0, self._tokens - 1.0)
            return True
        return False

    async def _take_token(self) -> None:
        rate = self.limit.requests_per_second
        # The lock makes waiters queue in order: a fair line, not a thundering herd.
        async with self._bucket_lock:
            while True:
                now = self._clock.monotonic()
                if now < self._paused_until:
                    await self._clock.sleep(self._paused_until - now)
                    continue
                if rate is None:
                    return
                self._tokens = min(
                    float(self.limit.burst), self._tokens + (now - self._last_refill) * rate
                )
                self._last_refill = now
                # The epsilon absorbs float rounding, which could otherwise leave a
                # wait too small to move the clock at all.
                if self._tokens >= 1.0 - 1e-9:
                    self._tokens = max(0.0, self._tokens - 1.0)
                    return
                await self._clock.sleep((1.0 - self._tokens) / rate)

    async def _acquire(self) -> None:
        if not self._take_token_now():
            await self._take_token()
        try:
            self._in_flight.acquire_nowait()
        except anyio.WouldBlock:
            await self._in_flight.acquire()

    def _release(self) -> None:
        self._in_flight.release()

    def slot(self) -> AbstractAsyncContextManager[None]:
        """Wait for the bucket and a concurrency slot; hold the slot while the request runs.

        ``async with limiter.slot(): ...``. When a token and a slot are free
        and nobody is waiting for either, entering does not wait at all.
        """
        return self._slot


class _Slot:
    """The context manager :meth:`RateLimiter.slot` returns (stateless: one per limiter)."""

    __slots__ = ("_limiter",)

    def __init__(self, limiter: RateLimiter) -> None:
        self._limiter = limiter

    async def __aenter__(self) -> None:
        await self._limiter._acquire()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._limiter._release()
