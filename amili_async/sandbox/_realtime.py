"""A sandbox clock that also follows real time, for a served sandbox people poke at by hand."""

from __future__ import annotations

from datetime import datetime, timedelta

from .._clock import Clock, ManualClock, SystemClock

__all__ = ["RealtimeClock"]


class RealtimeClock(ManualClock):
    """A :class:`~amili_async.ManualClock` that moves with real time as well.

    It starts at ``start`` (the real current time by default) and then runs at
    the speed of the ``source`` clock; :meth:`advance` still jumps ahead, so a
    served sandbox can be fast-forwarded through ``POST /_sandbox/clock/advance``.
    """

    def __init__(self, start: datetime | None = None, *, source: Clock | None = None) -> None:
        self._source = source if source is not None else SystemClock()
        super().__init__(start if start is not None else self._source.now())
        self._origin = self._source.monotonic()

    def _real_elapsed(self) -> float:
        return max(0.0, self._source.monotonic() - self._origin)

    def now(self) -> datetime:
        """Start time, plus real time elapsed, plus every :meth:`advance`."""
        return super().now() + timedelta(seconds=self._real_elapsed())

    def monotonic(self) -> float:
        """Seconds since the clock was made, real and advanced."""
        return super().monotonic() + self._real_elapsed()

    def __repr__(self) -> str:
        return f"RealtimeClock(now={self.now().isoformat()})"
