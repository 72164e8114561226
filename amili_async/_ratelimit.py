"""Client-wide pacing: a token bucket, a concurrency cap, the server's budget, a pause after 429.

One :class:`RateLimiter` serves every task of an :class:`~amili_async.AmiliClient`,
so a thousand concurrent polls share one budget. When the API answers 429 the
whole client pauses, not only the task that got it.

The server's own budget is learnt from Eve's ``X-RateLimit-Limit``,
``X-RateLimit-Remaining`` and ``X-RateLimit-Reset`` headers (the reset is
absolute epoch seconds) on every answer (:class:`ServerBudget`). Eve counts
every request, rejected ones included, and moves the window's end with each
one, so once the budget is spent the client sends nothing until the reset:
sending into a 429 would only push the reset further away.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from types import TracebackType

import anyio
from attrs import field as attr_field
from attrs import frozen, validators

from ._clock import Clock
from ._settings import setting

__all__ = ["RateLimit", "RateLimiter", "ServerBudget"]


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


def _header_int(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


#: A reset further ahead than this is ignored: no rate-limit window is a day long.
MAX_RESET_AHEAD = 86_400.0


class ServerBudget:
    """What the server said is left of its rate-limit window, spent down as requests go out.

    ``remaining`` is the last ``X-RateLimit-Remaining`` less the requests sent
    since; ``reset_at`` the last ``X-RateLimit-Reset`` (epoch seconds). Both are
    ``None`` until the server has sent them (a server without limits never does).
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.limit: int | None = None
        self.remaining: int | None = None
        self.reset_at: float | None = None

    def observe(self, headers: Mapping[str, str]) -> None:
        """Learn the budget from an answer's headers (absent or malformed: nothing changes)."""
        remaining = _header_int(headers, "X-RateLimit-Remaining")
        reset_at = _header_int(headers, "X-RateLimit-Reset")
        if remaining is None or reset_at is None:
            return
        if reset_at - self._clock.now().timestamp() > MAX_RESET_AHEAD:
            return  # not a window any server keeps: a broken or hostile header
        self.limit = _header_int(headers, "X-RateLimit-Limit")
        # Answers to requests sent after this one's are not in its count yet: the
        # lower figure is the safe one within a window.
        if self.remaining is None or reset_at > (self.reset_at or 0.0) + 1.0:
            self.remaining = remaining
        else:
            self.remaining = min(self.remaining, remaining)
        self.reset_at = float(reset_at)

    def seconds_to_reset(self) -> float | None:
        """Seconds until the last known reset, or ``None`` when none is known or it has passed."""
        if self.reset_at is None:
            return None
        wait = self.reset_at - self._clock.now().timestamp()
        return wait if wait > 0 else None

    def hold(self) -> float:
        """How long to hold the next request: until the reset when the budget is spent, else 0."""
        if self.remaining is None or self.remaining > 0:
            return 0.0
        wait = self.seconds_to_reset()
        if wait is None:
            # The window ended while nothing was sent: Eve has forgotten the count.
            self.remaining = None
            return 0.0
        return wait

    def spend(self) -> None:
        """Count one request going out."""
        if self.remaining is not None:
            self.remaining -= 1


class RateLimiter:
    """The runtime side of :class:`RateLimit`, on anyio and an injected clock."""

    def __init__(self, limit: RateLimit, clock: Clock) -> None:
        self.limit = limit
        self.server_budget = ServerBudget(clock)
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
        if self._hold(now) > 0.0:
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

    def _hold(self, now: float) -> float:
        """How long every request is held: a 429 pause, or the server's spent budget."""
        return max(self._paused_until - now, self.server_budget.hold())

    def is_paused(self) -> bool:
        """Whether the client is holding its requests after a 429."""
        return self._clock.monotonic() < self._paused_until

    async def wait_for_server_budget(self) -> None:
        """Wait out a 429 pause and the server's spent budget, then count one request.

        For the login, which takes neither a bucket token nor a concurrency slot.
        """
        while (hold := self._hold(self._clock.monotonic())) > 0.0:
            await self._clock.sleep(hold)
        self.server_budget.spend()

    def observe_server_budget(self, headers: Mapping[str, str]) -> None:
        """Learn the server's budget from an answer's ``X-RateLimit-*`` headers."""
        if "X-RateLimit-Remaining" in headers:
            self.server_budget.observe(headers)

    async def _take_token(self) -> None:
        rate = self.limit.requests_per_second
        # The lock makes waiters queue in order: a fair line, not a thundering herd.
        async with self._bucket_lock:
            while True:
                now = self._clock.monotonic()
                hold = self._hold(now)
                if hold > 0.0:
                    await self._clock.sleep(hold)
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
        # Counted as the token is taken, with no await between: the hold just checked
        # and this request's share of the server's budget go together.
        self.server_budget.spend()
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
