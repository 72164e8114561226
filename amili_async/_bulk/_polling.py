"""Reading and following cases: ``cases.get_many``, ``cases.watch`` and ``cases.wait_for``.

Each engine reads a case through a ``read`` callable (the ``cases`` service's
``get``, with the request timeout bound) and times itself on the client's
clock, both given by the caller.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from ..errors import (
    AmiliError,
    APIStatusError,
    ConfigurationError,
    RequestValidationError,
    WaitTimeoutError,
)
from ..models.case import Case, CaseStatus
from ._jobs import (
    BulkJob,
    Items,
    ProgressCallback,
    ProgressTracker,
    check_concurrency,
    fan_out,
    total_of,
)
from ._results import WATCHED_FIELDS, CaseResult, CaseUpdate

if TYPE_CHECKING:
    from .._clock import Clock

__all__ = ["ReadCase", "UntilArg", "get_many", "until_predicate", "wait_for", "watch"]

#: How an engine reads one case by id.
ReadCase = Callable[[str], Awaitable[Case]]

#: When ``watch`` stops following a case: a predicate, or one or more statuses.
UntilArg = Callable[[Case], bool] | str | Iterable[str] | None


def get_many(
    read: ReadCase,
    case_ids: Items[str],
    *,
    clock: Clock,
    concurrency: int = 10,
    progress: ProgressCallback | None = None,
    total: int | None = None,
) -> BulkJob[CaseResult]:
    """The engine of :meth:`Cases.get_many` (see there), on ``clock``."""
    check_concurrency(concurrency)
    tracker = ProgressTracker(clock, total_of(case_ids, total), progress)

    async def fetch(index: int, case_id: str) -> tuple[CaseResult, str]:
        try:
            case = await read(case_id)
        except AmiliError as error:
            return CaseResult(index, case_id, error=error), "failed"
        return CaseResult(index, case_id, case=case), "ok"

    async def body(send: MemoryObjectSendStream[CaseResult], tracker: ProgressTracker) -> None:
        await fan_out(case_ids, concurrency, fetch, send, tracker)

    return BulkJob(body, tracker, buffer=concurrency)


def until_predicate(until: UntilArg) -> Callable[[Case], bool]:
    """Turn ``until=`` into a predicate: default "closed"; a status or several; or a function."""
    if until is None:
        return _is_closed
    if callable(until):
        return until
    statuses = {str(until)} if isinstance(until, str) else {str(status) for status in until}
    if not statuses:
        raise ConfigurationError("until= names no status")

    def reached(case: Case) -> bool:
        if case.status is not None and case.status.value in statuses:
            return True
        return CaseStatus.CLOSED.value in statuses and case.is_closed

    return reached


def _is_closed(case: Case) -> bool:
    return case.is_closed


def _fingerprint(case: Case) -> tuple[object, ...]:
    return tuple(getattr(case, name) for name in WATCHED_FIELDS)


def _is_final(error: Exception) -> bool:
    """A poll error after which following the case makes no sense (a 4xx other than 408/429)."""
    if isinstance(error, RequestValidationError):
        return True
    return (
        isinstance(error, APIStatusError)
        and 400 <= error.status_code < 500
        and (error.status_code not in (408, 429))
    )


def _check_interval(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigurationError(f"{name} must be a positive number of seconds, got {value!r}")
    return float(value)


# -- watch ---------------------------------------------------------------------------------


class _Watch:
    """One running watch: which case is due when, and how each looked when last reported.

    A scheduler hands each case to a pool of workers when it is due; a worker
    polls it, reports a change, and puts it back on the schedule unless it is
    done. The watch ends when no case is followed any more.
    """

    def __init__(
        self,
        read: ReadCase,
        case_ids: list[str],
        *,
        clock: Clock,
        interval: float,
        jitter: float,
        reached: Callable[[Case], bool],
        rng: random.Random,
    ) -> None:
        self._read = read
        self._ids = case_ids
        self._clock = clock
        self._interval = interval
        self._jitter = jitter
        self._reached = reached
        self._rng = rng
        self._heap: list[tuple[float, int, str]] = []
        self._sequence = len(case_ids)
        self._following = len(case_ids)
        self._last: dict[str, Case] = {}
        self._wake = anyio.Event()

    async def run(
        self,
        send: MemoryObjectSendStream[CaseUpdate],
        tracker: ProgressTracker,
        concurrency: int,
    ) -> None:
        """Poll every case until each is done, sending its updates to ``send``."""
        tracker.count("following", len(self._ids))
        self._spread_first_round()
        work_send, work_receive = anyio.create_memory_object_stream[tuple[float, str]](0)
        with work_receive:
            async with anyio.create_task_group() as group:
                group.start_soon(self._schedule, work_send)
                for _ in range(min(concurrency, max(1, len(self._ids)))):
                    group.start_soon(self._work, work_receive, send, tracker)

    def _spread_first_round(self) -> None:
        # Spread the first round evenly over one interval: no burst at the start.
        start = self._clock.monotonic()
        step = self._interval / max(1, len(self._ids))
        self._heap = [
            (start + position * step, position, case_id)
            for position, case_id in enumerate(self._ids)
        ]
        heapq.heapify(self._heap)

    async def _schedule(self, work: MemoryObjectSendStream[tuple[float, str]]) -> None:
        async with work:
            while self._following:
                if not self._heap:
                    await self._wake.wait()
                    self._wake = anyio.Event()
                    continue
                due, _, case_id = self._heap[0]
                now = self._clock.monotonic()
                if due > now:
                    await self._clock.sleep(due - now)
                    continue
                heapq.heappop(self._heap)
                await work.send((due, case_id))

    async def _work(
        self,
        work: MemoryObjectReceiveStream[tuple[float, str]],
        send: MemoryObjectSendStream[CaseUpdate],
        tracker: ProgressTracker,
    ) -> None:
        async for due, case_id in work:
            tracker.begin()
            update, done = await self._poll(case_id, tracker)
            tracker.finish("polls")
            if done:
                self._stop_following(case_id, tracker)
            else:
                self._reschedule(due, case_id)
            self._wake.set()
            tracker.report()
            if update is not None:
                await send.send(update)

    async def _poll(self, case_id: str, tracker: ProgressTracker) -> tuple[CaseUpdate | None, bool]:
        """Read the case once: the update to report (``None`` if nothing changed), and done."""
        previous = self._last.get(case_id)
        try:
            case = await self._read(case_id)
        except AmiliError as error:
            tracker.count("errors")
            done = _is_final(error)
            return CaseUpdate(case_id, previous, previous, done=done, error=error), done
        done = self._reached(case)
        self._last[case_id] = case
        if previous is None or _fingerprint(case) != _fingerprint(previous) or done:
            tracker.count("changes")
            return CaseUpdate(case_id, case, previous, done=done), done
        return None, done

    def _stop_following(self, case_id: str, tracker: ProgressTracker) -> None:
        self._following -= 1
        tracker.count("following", -1)
        self._last.pop(case_id, None)

    def _reschedule(self, due: float, case_id: str) -> None:
        jitter = self._jitter
        spread = self._interval * self._rng.uniform(-jitter, jitter) if jitter else 0.0
        next_due = max(self._clock.monotonic(), due + self._interval + spread)
        heapq.heappush(self._heap, (next_due, self._sequence, case_id))
        self._sequence += 1


def watch(
    read: ReadCase,
    case_ids: Iterable[str],
    *,
    clock: Clock,
    interval: float = 60.0,
    until: UntilArg = None,
    concurrency: int = 10,
    jitter: float = 0.1,
    progress: ProgressCallback | None = None,
    seed: int | None = None,
) -> BulkJob[CaseUpdate]:
    """The engine of :meth:`Cases.watch` (see there), on ``clock``."""
    check_concurrency(concurrency)
    _check_interval("interval", interval)
    if not 0.0 <= jitter < 1.0:
        raise ConfigurationError(f"jitter must be in [0, 1), got {jitter!r}")
    ids = list(dict.fromkeys(case_ids))
    reached = until_predicate(until)
    rng = random.Random(seed)

    async def body(send: MemoryObjectSendStream[CaseUpdate], tracker: ProgressTracker) -> None:
        state = _Watch(
            read, ids, clock=clock, interval=interval, jitter=jitter, reached=reached, rng=rng
        )
        await state.run(send, tracker, concurrency)

    return BulkJob(body, ProgressTracker(clock, len(ids), progress), buffer=concurrency)


# -- wait_for ------------------------------------------------------------------------------


async def wait_for(
    read: ReadCase,
    case_id: str,
    *,
    clock: Clock,
    status: UntilArg = None,
    max_wait: float | None = None,
    interval: float = 60.0,
) -> Case:
    """The engine of :meth:`Cases.wait_for` (see there), on ``clock``."""
    _check_interval("interval", interval)
    if max_wait is not None:
        _check_interval("max_wait", max_wait)
    reached = until_predicate(status)
    deadline = None if max_wait is None else clock.monotonic() + max_wait
    while True:
        last = await read(case_id)
        if reached(last):
            return last
        now = clock.monotonic()
        if deadline is not None and now >= deadline:
            wanted = "closed" if status is None else repr(status)
            raise WaitTimeoutError(
                f"case {case_id} did not reach {wanted} within {max_wait:g} s "
                f"(last status: {last.status})",
                case_id=case_id,
                last=last,
            )
        pause = interval if deadline is None else min(interval, deadline - now)
        await clock.sleep(pause)
