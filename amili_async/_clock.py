"""Injected time: one clock that the transport, the rate limiter and the sandbox read.

Code in this package never calls ``datetime.now()``, ``time.monotonic()`` or
``anyio.sleep()`` directly; it asks a :class:`Clock`. Tests hand in a
:class:`ManualClock` and move time themselves, so nothing really waits.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

import anyio

__all__ = ["Clock", "ManualClock", "SystemClock"]


@runtime_checkable
class Clock(Protocol):
    """Where the SDK gets the time from and how it waits."""

    def now(self) -> datetime:
        """The current wall-clock time, timezone-aware UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (cancellable)."""
        ...


class SystemClock:
    """The real clock: wall time from the OS, sleeping through anyio."""

    def now(self) -> datetime:
        """The current wall-clock time, timezone-aware UTC."""
        return datetime.now(UTC)

    def monotonic(self) -> float:
        """Seconds from ``time.monotonic()``."""
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        """Sleep for real (cancellable)."""
        await anyio.sleep(max(0.0, seconds))

    def __repr__(self) -> str:
        return "SystemClock()"


class ManualClock:
    """A clock that only moves when told to: for tests and the sandbox.

    ``sleep()`` advances the clock instead of waiting and then yields once to
    the event loop, so code that backs off or paces itself runs instantly and
    deterministically. The monotonic reading and the wall time move together.
    """

    def __init__(self, start: datetime | None = None) -> None:
        if start is None:
            start = datetime(2025, 9, 3, 7, 56, 11, tzinfo=UTC)
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start time")
        self._start = start.astimezone(UTC)
        self._elapsed = 0.0
        self.slept: list[float] = []

    def now(self) -> datetime:
        """The simulated wall-clock time."""
        return self._start + timedelta(seconds=self._elapsed)

    def monotonic(self) -> float:
        """Simulated seconds since the clock was made."""
        return self._elapsed

    def advance(self, seconds: float = 0.0, *, days: float = 0.0, hours: float = 0.0) -> None:
        """Move time forward (``ValueError`` for a step back, NaN, or past year 9999)."""
        delta = seconds + hours * 3600.0 + days * 86400.0
        if delta < 0:
            raise ValueError("time only moves forward")
        if not math.isfinite(delta):
            raise ValueError(f"cannot advance the clock by {delta} seconds")
        try:
            self._start + timedelta(seconds=self._elapsed + delta)
        except OverflowError:
            raise ValueError(f"advancing by {delta:.6g} seconds passes year 9999") from None
        self._elapsed += delta

    async def sleep(self, seconds: float) -> None:
        """Record the requested wait, advance the clock by it, and yield once."""
        seconds = max(0.0, seconds)
        self.slept.append(seconds)
        self._elapsed += seconds
        await anyio.lowlevel.checkpoint()

    def __repr__(self) -> str:
        return f"ManualClock(now={self.now().isoformat()})"
