"""The whole-call deadline: one limit over every attempt, wait and token fetch of a call.

``timeout=`` is httpx's limit per network read, so a server that drips a byte
at a time, or a token fetch that hangs, can hold a call forever. A
:class:`CallDeadline` bounds the whole call twice over:

* on the **client's clock**: every wait the SDK makes on it (a backoff, a
  rate-limit pause, the look before reconciling) goes through a
  :class:`DeadlineClock`, which sleeps only until the deadline and then ends
  the call, so a :class:`~amili_async.ManualClock` counts exactly;
* in **real time**, with an anyio cancel scope: network I/O, a hanging token
  fetch and waiting for a connection slot are cut when it passes.

A call made inside another call (the login for a token, the lookups that
reconcile a write) keeps the outer call's deadline unless its own ends sooner.
The current deadline lives in a context variable, so each task sees only its
own call's.
"""

from __future__ import annotations

import math
from contextvars import ContextVar, Token
from datetime import datetime
from types import TracebackType

import anyio
import anyio.lowlevel

from ._clock import Clock
from .errors import ConfigurationError

__all__ = ["CallDeadline", "DeadlineClock", "check_deadline", "current_deadline"]


def check_deadline(deadline: float | None) -> float | None:
    """``deadline`` if it is ``None`` or a positive, finite number of seconds;
    else :class:`~amili_async.ConfigurationError`."""
    if deadline is None:
        return None
    if (
        isinstance(deadline, bool)
        or not isinstance(deadline, int | float)
        or not math.isfinite(deadline)
        or deadline <= 0
    ):
        raise ConfigurationError(f"deadline must be a positive number of seconds, got {deadline!r}")
    return float(deadline)


class CallDeadline:
    """``with CallDeadline(seconds, clock):`` runs one call under a deadline.

    When the deadline passes, the block is cancelled and the ``with``
    statement ends quietly with :attr:`expired` set; the caller then raises
    the error that fits (so that no cancelled exception is chained to it).
    ``seconds=None``, or an enclosing call's deadline that ends no later,
    makes it a no-op. :attr:`write_in_doubt` is set by the pipeline while a
    write has been sent and its outcome is not known.
    """

    __slots__ = ("_clock", "_reset", "_scope", "at", "seconds", "write_in_doubt")

    def __init__(self, seconds: float | None, clock: Clock) -> None:
        self.seconds = seconds
        self._clock = clock
        self._scope: anyio.CancelScope | None = None
        self._reset: Token[CallDeadline | None] | None = None
        self.at = math.inf if seconds is None else clock.monotonic() + seconds
        self.write_in_doubt = False

    @property
    def expired(self) -> bool:
        """Whether the deadline passed and cut the call."""
        return self._scope is not None and self._scope.cancelled_caught

    def __enter__(self) -> CallDeadline:
        outer = _current.get()
        if self.seconds is None or (outer is not None and outer.at <= self.at):
            return self
        self._scope = anyio.CancelScope(deadline=anyio.current_time() + self.seconds)
        self._scope.__enter__()
        self._reset = _current.set(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        if self._scope is None or self._reset is None:
            return False
        _current.reset(self._reset)
        return bool(self._scope.__exit__(exc_type, exc, traceback))

    def end_now(self) -> None:
        """Cancel the call: its deadline has come on the client's clock."""
        if self._scope is not None:
            self._scope.cancel()


#: The deadline of the call the current task is in, if it has one.
_current: ContextVar[CallDeadline | None] = ContextVar("amili_async_deadline", default=None)


def current_deadline() -> CallDeadline | None:
    """The deadline of the call the current task is in, if any."""
    return _current.get()


class DeadlineClock:
    """A :class:`~amili_async.Clock` whose waits never pass the current call's deadline.

    Outside a call with a deadline it is ``clock`` itself. Inside one, a
    wait that would end after the deadline sleeps only until it and then
    cancels the call, so that on a manual clock the call ends exactly at its
    deadline.
    """

    def __init__(self, clock: Clock) -> None:
        self.wrapped = clock

    def now(self) -> datetime:
        """The wrapped clock's wall time."""
        return self.wrapped.now()

    def monotonic(self) -> float:
        """The wrapped clock's monotonic reading."""
        return self.wrapped.monotonic()

    async def sleep(self, seconds: float) -> None:
        """Sleep ``seconds``, or until the current call's deadline and then end the call."""
        deadline = _current.get()
        if deadline is None:
            await self.wrapped.sleep(seconds)
            return
        left = deadline.at - self.wrapped.monotonic()
        if seconds < left:
            await self.wrapped.sleep(seconds)
            return
        await self.wrapped.sleep(max(0.0, left))
        deadline.end_now()
        await anyio.lowlevel.checkpoint()

    def __repr__(self) -> str:
        return repr(self.wrapped)
