"""Many requests at once: bulk registration, fetching many cases, and watching cases.

Every bulk call returns a :class:`BulkJob`: an async context manager whose
body receives the outcomes one at a time, as they complete::

    async with client.case_registrations.create_many(rows, concurrency=50) as outcomes:
        async for outcome in outcomes:
            print(outcome.index, outcome.status, outcome.error)

Why a context manager and not an async generator: the job runs in a task group
(structured concurrency), and a task group must be entered and left by the
same task, around the code that consumes its results. An async generator that
yields from inside a task group breaks that rule on trio and anyio (its
consumer may abandon it half-way, and cancellation then lands in the wrong
task). ``async with`` gives the job a clear lifetime instead:

* leaving the block, normally or by an exception, cancels whatever is still
  running and waits for it: no task outlives the block;
* cancelling the surrounding scope (Ctrl-C, a timeout) cancels the job the
  same way;
* an unexpected error in the job (a bug, a progress callback that raises, an
  input iterable that raises) cancels the job and is raised from the block.

Expected failures never end a job: they become failed outcomes.

Memory stays proportional to ``concurrency``, not to the number of items: the
input is pulled lazily, one item per free slot, and at most ``concurrency``
outcomes wait for the consumer (a slow consumer slows the job down). The one
exception is duplicate detection within a registration job, which remembers
an 8-byte digest per invoice number seen.
"""

from __future__ import annotations

import hashlib
import heapq
import random
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Mapping,
    Sized,
)
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from enum import StrEnum
from os import PathLike
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import anyio
from anyio.streams.memory import MemoryObjectSendStream
from attrs import define, field, frozen

from ._journal import Journal, JournalEntry, JournalState, registration_key
from ._serde import converter
from .errors import (
    AmiliError,
    APIStatusError,
    ConflictError,
    OutcomeUnknownError,
    PreviouslyFailedError,
    RequestValidationError,
    WaitTimeoutError,
)
from .models._base import parse_request
from .models.case import Case, CaseStatus
from .models.case_registration import CaseRegistration, NewCaseRegistration

if TYPE_CHECKING:
    from ._clock import Clock
    from .services._base import TimeoutArg
    from .services.case_registrations import CaseRegistrations
    from .services.cases import Cases

__all__ = [
    "BulkJob",
    "BulkProgress",
    "CaseResult",
    "CaseUpdate",
    "OutcomeStatus",
    "ProgressCallback",
    "RegistrationOutcome",
    "UntilArg",
]

T = TypeVar("T")

#: A bulk call's input: any iterable or async iterable, consumed lazily.
Items = Iterable[T] | AsyncIterable[T]

#: When ``watch`` stops following a case: a predicate, or one or more statuses.
UntilArg = Callable[[Case], bool] | str | Iterable[str] | None


class OutcomeStatus(StrEnum):
    """What became of one item of :meth:`CaseRegistrations.create_many`."""

    #: Sent now and created by this call.
    CREATED = "created"
    #: Already stored: found by reconciliation after a lost answer, by a lookup,
    #: or recorded as created by an earlier run of the same journal.
    ALREADY_REGISTERED = "already_registered"
    #: Not registered; ``error`` says why.
    FAILED = "failed"


@frozen
class RegistrationOutcome:
    """The result for one input item of a bulk registration.

    ``index`` is the item's position in the input (from 0) and ``item`` the
    item itself (left out of ``repr``, which never shows personal data).
    ``registration`` is set unless the item failed; when it comes from the
    journal (``from_journal``) it holds the ids and OCR numbers only. ``error``
    is the typed error of a failed item: a
    :class:`~amili_async.errors.RequestValidationError` with per-field
    ``issues`` for bad input, an
    :class:`~amili_async.errors.OutcomeUnknownError` when it could not be
    established whether the registration landed, an API error otherwise.
    ``key`` is the item's stable identity (account, creditor, sorted invoice
    numbers), ``None`` when the item could not be read.
    """

    index: int
    item: Any = field(repr=False)
    status: OutcomeStatus
    registration: CaseRegistration | None = None
    error: Exception | None = None
    key: str | None = None
    from_journal: bool = False

    @property
    def ok(self) -> bool:
        """Whether the registration is stored (created now or earlier)."""
        return self.status is not OutcomeStatus.FAILED


@frozen
class CaseResult:
    """One case of :meth:`Cases.get_many`: the case, or the error reading it."""

    index: int
    case_id: str
    case: Case | None = None
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        """Whether the case was read."""
        return self.case is not None


#: What ``watch`` compares to decide that a case changed.
WATCHED_FIELDS = (
    "status",
    "state",
    "closed",
    "total_remaining_capital_amount",
    "total_remaining_costs_amount",
    "total_remaining_interest_amount",
    "total_remaining_transaction_amount",
    "local_remaining_capital_amount",
    "local_remaining_costs_amount",
    "local_remaining_interest_amount",
    "local_remaining_transaction_amount",
)


@frozen
class CaseUpdate:
    """A change seen by :meth:`Cases.watch`.

    ``case`` is the case now and ``previous`` as last reported (``None`` the
    first time). ``done`` is true when ``until`` holds (or the case cannot be
    followed any longer): the watch stops polling it. ``error`` is set, and
    ``case`` is the last good reading, when a poll failed even after retries.
    """

    case_id: str
    case: Case | None
    previous: Case | None = None
    done: bool = False
    error: Exception | None = None

    @property
    def changed(self) -> tuple[str, ...]:
        """The watched fields that differ from ``previous`` (all of them the first time)."""
        if self.case is None:
            return ()
        if self.previous is None:
            return WATCHED_FIELDS
        return tuple(
            name
            for name in WATCHED_FIELDS
            if getattr(self.case, name) != getattr(self.previous, name)
        )


@frozen
class BulkProgress:
    """A snapshot of a bulk job, handed to the ``progress`` callback after every step.

    ``total`` is the number of items when known (a sized input or ``total=``),
    ``done`` how many finished, ``in_flight`` how many are being worked on,
    ``counts`` the finished ones by outcome (``created``, ``already_registered``,
    ``failed`` for registrations; ``ok``, ``failed`` for reads; ``polls``,
    ``changes``, ``errors``, ``following`` for a watch), ``elapsed`` the
    seconds since the start on the client's clock.
    """

    total: int | None
    done: int
    in_flight: int
    counts: Mapping[str, int]
    elapsed: float

    @property
    def rate(self) -> float:
        """Finished items per second so far."""
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def created(self) -> int:
        """Registrations created by this run."""
        return self.counts.get(OutcomeStatus.CREATED.value, 0)

    @property
    def already_registered(self) -> int:
        """Registrations found already stored."""
        return self.counts.get(OutcomeStatus.ALREADY_REGISTERED.value, 0)

    @property
    def failed(self) -> int:
        """Items that failed."""
        return self.counts.get(OutcomeStatus.FAILED.value, 0)


#: A bulk call's ``progress=``: a plain function, called in the job's task, so keep it quick.
ProgressCallback = Callable[[BulkProgress], object]


@define
class _Tracker:
    clock: Clock
    total: int | None
    callback: ProgressCallback | None
    started: float = 0.0
    done: int = 0
    in_flight: int = 0
    counts: dict[str, int] = field(factory=dict)

    def start(self) -> None:
        self.started = self.clock.monotonic()
        self.report()

    def begin(self) -> None:
        self.in_flight += 1

    def finish(self, kind: str) -> None:
        self.in_flight -= 1
        self.done += 1
        self.count(kind)

    def count(self, kind: str, amount: int = 1) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + amount

    def snapshot(self) -> BulkProgress:
        return BulkProgress(
            total=self.total,
            done=self.done,
            in_flight=self.in_flight,
            counts=dict(self.counts),
            elapsed=max(0.0, self.clock.monotonic() - self.started),
        )

    def report(self) -> None:
        if self.callback is not None:
            self.callback(self.snapshot())


def _single_exception(group: BaseExceptionGroup[BaseException]) -> BaseException | None:
    leaves = list(group.exceptions)
    while len(leaves) == 1 and isinstance(leaves[0], BaseExceptionGroup):
        leaves = list(leaves[0].exceptions)
    return leaves[0] if len(leaves) == 1 else None


class BulkJob(Generic[T]):
    """A running bulk call: ``async with job as results: async for result in results: ...``.

    Entering starts the work in a task group; iterating yields each result as
    it completes (not in input order); leaving the block cancels whatever has
    not finished and waits for it, so no task outlives the block. A job runs
    once. :attr:`progress` is a snapshot at any time.
    """

    def __init__(
        self,
        body: Callable[[MemoryObjectSendStream[T], _Tracker], Awaitable[None]],
        tracker: _Tracker,
        *,
        buffer: int,
    ) -> None:
        self._body = body
        self._tracker = tracker
        self._buffer = max(0, buffer)
        self._stream: AsyncIterator[T] | None = None
        self._context: AbstractAsyncContextManager[None] | None = None
        self._used = False

    @property
    def progress(self) -> BulkProgress:
        """Where the job stands now."""
        return self._tracker.snapshot()

    @asynccontextmanager
    async def _running(self) -> AsyncIterator[None]:
        send, receive = anyio.create_memory_object_stream[T](self._buffer)

        async def produce() -> None:
            async with send:
                await self._body(send, self._tracker)

        with receive:
            async with anyio.create_task_group() as group:
                self._tracker.start()
                group.start_soon(produce)
                self._stream = receive.__aiter__()
                try:
                    yield
                finally:
                    self._stream = None
                    group.cancel_scope.cancel()

    async def __aenter__(self) -> BulkJob[T]:
        if self._used:
            raise RuntimeError("a bulk job runs once; call the bulk method again for a new one")
        self._used = True
        self._context = self._running()
        await self._context.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool | None:
        context, self._context = self._context, None
        if context is None:  # pragma: no cover - guarded by __aenter__
            return None
        try:
            return await context.__aexit__(exc_type, exc, traceback)
        except BaseExceptionGroup as group:
            inner = _single_exception(group)
            if inner is None:
                raise
            if inner is exc:
                return False
            raise inner from inner.__cause__

    def __aiter__(self) -> BulkJob[T]:
        return self

    async def __anext__(self) -> T:
        if self._stream is None:
            raise RuntimeError("iterate over a bulk job inside `async with job as results:`")
        return await self._stream.__anext__()


# -- feeding a bounded pool from a lazy input ---------------------------------------------


class _SyncSource(Generic[T]):
    def __init__(self, items: Iterable[T]) -> None:
        self._iterator = iter(items)

    def __aiter__(self) -> _SyncSource[T]:
        return self

    async def __anext__(self) -> T:
        try:
            return next(self._iterator)
        except StopIteration:
            raise StopAsyncIteration from None


def _as_async_iterator(items: Items[T]) -> AsyncIterator[T]:
    if isinstance(items, AsyncIterable):
        return items.__aiter__()
    if isinstance(items, Iterable):
        return _SyncSource(items)
    raise TypeError(f"expected an iterable or async iterable, got {type(items).__name__}")


def _check_concurrency(concurrency: int) -> int:
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError(f"concurrency must be a whole number ≥ 1, got {concurrency!r}")
    return concurrency


def _total_of(items: object, total: int | None) -> int | None:
    if total is not None:
        return total
    return len(items) if isinstance(items, Sized) else None


async def _fan_out(
    items: Items[Any],
    concurrency: int,
    handle: Callable[[int, Any], Awaitable[tuple[T, str]]],
    send: MemoryObjectSendStream[T],
    tracker: _Tracker,
) -> None:
    """Run ``handle`` over ``items`` with at most ``concurrency`` at once, sending results.

    The next item is pulled only when a slot is free; a slot is released only
    after its result was handed over, so a slow consumer slows the intake.
    """
    slots = anyio.Semaphore(concurrency)
    iterator = _as_async_iterator(items)

    async def run_one(index: int, item: Any) -> None:
        try:
            result, kind = await handle(index, item)
            tracker.finish(kind)
            tracker.report()
            await send.send(result)
        finally:
            slots.release()

    try:
        async with anyio.create_task_group() as group:
            index = 0
            while True:
                await slots.acquire()
                try:
                    item = await iterator.__anext__()
                except StopAsyncIteration:
                    slots.release()
                    break
                except BaseException:
                    slots.release()
                    raise
                tracker.begin()
                group.start_soon(run_one, index, item)
                index += 1
    finally:
        close = getattr(iterator, "aclose", None)
        if close is not None:
            with anyio.CancelScope(shield=True):
                await close()


# -- registrations -------------------------------------------------------------------------


def _digest(account: str, creditor: str, invoice_number: str) -> int:
    data = "\x00".join((account, creditor, invoice_number)).encode()
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")


class _Registrar:
    """Registers one item: validate, de-duplicate, consult the journal, look up, send."""

    def __init__(
        self,
        service: CaseRegistrations,
        *,
        journal: Journal | None,
        retry_failed: bool,
        lookup_first: bool,
        timeout: TimeoutArg,
    ) -> None:
        self._service = service
        self._journal = journal
        self._retry_failed = retry_failed
        self._lookup_first = lookup_first
        self._timeout = timeout
        self._seen: set[int] = set()

    def _duplicate(self, new: NewCaseRegistration) -> RequestValidationError | None:
        digests = [_digest(new.account, new.creditor, number) for number in new.invoice_numbers]
        for position, digest in enumerate(digests):
            if digest in self._seen:
                return RequestValidationError(
                    {
                        f"debts.{position}.invoice_number": (
                            "this creditor's invoice number already appears in an earlier "
                            "item of this job; each invoice is registered once"
                        )
                    },
                    model="NewCaseRegistration",
                )
        self._seen.update(digests)
        return None

    async def __call__(self, index: int, item: Any) -> tuple[RegistrationOutcome, str]:
        def outcome(
            status: OutcomeStatus,
            *,
            key: str | None,
            registration: CaseRegistration | None = None,
            error: Exception | None = None,
            from_journal: bool = False,
        ) -> tuple[RegistrationOutcome, str]:
            result = RegistrationOutcome(
                index=index,
                item=item,
                status=status,
                registration=registration,
                error=error,
                key=key,
                from_journal=from_journal,
            )
            return result, status.value

        try:
            new = parse_request(NewCaseRegistration, item)
        except RequestValidationError as error:
            return outcome(OutcomeStatus.FAILED, key=None, error=error)
        key = registration_key(new)
        duplicate = self._duplicate(new)
        if duplicate is not None:
            return outcome(OutcomeStatus.FAILED, key=key, error=duplicate)

        journal = self._journal
        previous: JournalEntry | None = None
        if journal is not None:
            claim = await journal.claim(new, index)
            if claim.conflict is not None:
                number, _ = claim.conflict
                conflict = RequestValidationError(
                    {
                        "debts.invoice_number": (
                            f"invoice number {number!r} belongs to another registration in "
                            "the journal (the input groups it differently than before); "
                            "not sent, so that the debt is not registered twice"
                        )
                    },
                    model="NewCaseRegistration",
                )
                return outcome(OutcomeStatus.FAILED, key=key, error=conflict)
            previous = claim.previous
            if previous is not None and previous.state is JournalState.CREATED:
                return outcome(
                    OutcomeStatus.ALREADY_REGISTERED,
                    key=key,
                    registration=previous.registration(),
                    from_journal=True,
                )
            if (
                previous is not None
                and previous.state is JournalState.FAILED
                and not self._retry_failed
            ):
                earlier = PreviouslyFailedError(previous.error_type or "?", previous.error or "")
                return outcome(OutcomeStatus.FAILED, key=key, error=earlier)

        may_exist = previous is not None and previous.state in (
            JournalState.SENT,
            JournalState.FAILED,
        )
        if self._lookup_first or may_exist:
            try:
                found = await self._service.find(new, timeout=self._timeout)
            except ConflictError as error:
                if journal is not None:
                    await self._record(journal.mark_failed(key, error))
                return outcome(OutcomeStatus.FAILED, key=key, error=error)
            except AmiliError as error:
                if may_exist:
                    error = OutcomeUnknownError(
                        "an earlier run may have sent this registration and looking it up "
                        f"failed ({type(error).__name__}); it was not sent again",
                        method="POST",
                        path=self._service.path,
                        request_body=converter.unstructure(new),
                        reason=str(error),
                    )
                return outcome(OutcomeStatus.FAILED, key=key, error=error)
            if found is not None:
                if journal is not None:
                    await self._record(journal.mark_created(key, found))
                return outcome(OutcomeStatus.ALREADY_REGISTERED, key=key, registration=found)

        try:
            if journal is not None:
                await journal.mark_sent(key)
            registration, existed = await self._service.create_or_find(new, timeout=self._timeout)
        except OutcomeUnknownError as error:
            # The journal keeps "sent": the next run looks it up before sending.
            return outcome(OutcomeStatus.FAILED, key=key, error=error)
        except AmiliError as error:
            if journal is not None:
                await self._record(journal.mark_failed(key, error))
            return outcome(OutcomeStatus.FAILED, key=key, error=error)
        if journal is not None:
            await self._record(journal.mark_created(key, registration))
        status = OutcomeStatus.ALREADY_REGISTERED if existed else OutcomeStatus.CREATED
        return outcome(status, key=key, registration=registration)

    @staticmethod
    async def _record(write: Awaitable[None]) -> None:
        # What the API answered is written down even if the job is being cancelled.
        with anyio.CancelScope(shield=True):
            await write


def create_many(
    service: CaseRegistrations,
    items: Items[NewCaseRegistration | Mapping[str, Any]],
    *,
    concurrency: int = 10,
    journal: Journal | str | PathLike[str] | None = None,
    retry_failed: bool = False,
    lookup_first: bool = False,
    progress: ProgressCallback | None = None,
    total: int | None = None,
    timeout: TimeoutArg = None,
) -> BulkJob[RegistrationOutcome]:
    """The engine of :meth:`CaseRegistrations.create_many` (see there)."""
    _check_concurrency(concurrency)
    clock = service._client.clock
    tracker = _Tracker(clock, _total_of(items, total), progress)

    async def body(send: MemoryObjectSendStream[RegistrationOutcome], tracker: _Tracker) -> None:
        if journal is None or isinstance(journal, Journal):
            owned: Journal | None = None
            active = journal
        else:
            owned = active = Journal(journal, clock=clock)
        try:
            if owned is not None:
                await owned.open()
            registrar = _Registrar(
                service,
                journal=active,
                retry_failed=retry_failed,
                lookup_first=lookup_first,
                timeout=timeout,
            )
            await _fan_out(items, concurrency, registrar, send, tracker)
        finally:
            if owned is not None:
                with anyio.CancelScope(shield=True):
                    await owned.aclose()

    return BulkJob(body, tracker, buffer=concurrency)


# -- reading and watching cases ------------------------------------------------------------


def get_many(
    service: Cases,
    case_ids: Items[str],
    *,
    concurrency: int = 10,
    progress: ProgressCallback | None = None,
    total: int | None = None,
    timeout: TimeoutArg = None,
) -> BulkJob[CaseResult]:
    """The engine of :meth:`Cases.get_many` (see there)."""
    _check_concurrency(concurrency)
    tracker = _Tracker(service._client.clock, _total_of(case_ids, total), progress)

    async def fetch(index: int, case_id: str) -> tuple[CaseResult, str]:
        try:
            case = await service.get(case_id, timeout=timeout)
        except AmiliError as error:
            return CaseResult(index, case_id, error=error), "failed"
        return CaseResult(index, case_id, case=case), "ok"

    async def body(send: MemoryObjectSendStream[CaseResult], tracker: _Tracker) -> None:
        await _fan_out(case_ids, concurrency, fetch, send, tracker)

    return BulkJob(body, tracker, buffer=concurrency)


def until_predicate(until: UntilArg) -> Callable[[Case], bool]:
    """Turn ``until=`` into a predicate: default "closed"; a status or several; or a function."""
    if until is None:
        return _is_closed
    if callable(until):
        return until
    statuses = {str(until)} if isinstance(until, str) else {str(status) for status in until}
    if not statuses:
        raise ValueError("until= names no status")

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
        raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
    return float(value)


def watch(
    service: Cases,
    case_ids: Iterable[str],
    *,
    interval: float = 60.0,
    until: UntilArg = None,
    concurrency: int = 10,
    jitter: float = 0.1,
    progress: ProgressCallback | None = None,
    seed: int | None = None,
    timeout: TimeoutArg = None,
) -> BulkJob[CaseUpdate]:
    """The engine of :meth:`Cases.watch` (see there)."""
    _check_concurrency(concurrency)
    _check_interval("interval", interval)
    if not 0.0 <= jitter < 1.0:
        raise ValueError(f"jitter must be in [0, 1), got {jitter!r}")
    ids = list(dict.fromkeys(case_ids))
    reached = until_predicate(until)
    clock = service._client.clock
    rng = random.Random(seed)
    tracker = _Tracker(clock, len(ids), progress)

    async def body(send: MemoryObjectSendStream[CaseUpdate], tracker: _Tracker) -> None:
        tracker.count("following", len(ids))
        start = clock.monotonic()
        # Spread the first round evenly over one interval: no burst at the start.
        heap: list[tuple[float, int, str]] = [
            (start + position * interval / max(1, len(ids)), position, case_id)
            for position, case_id in enumerate(ids)
        ]
        heapq.heapify(heap)
        sequence = len(ids)
        following = len(ids)
        last: dict[str, Case] = {}
        wake = anyio.Event()
        work_send, work_receive = anyio.create_memory_object_stream[tuple[float, str]](0)

        async def schedule() -> None:
            nonlocal wake
            async with work_send:
                while following:
                    if not heap:
                        await wake.wait()
                        wake = anyio.Event()
                        continue
                    due, _, case_id = heap[0]
                    now = clock.monotonic()
                    if due > now:
                        await clock.sleep(due - now)
                        continue
                    heapq.heappop(heap)
                    await work_send.send((due, case_id))

        async def poll(due: float, case_id: str) -> None:
            nonlocal following, sequence
            tracker.begin()
            previous = last.get(case_id)
            update: CaseUpdate | None = None
            try:
                case = await service.get(case_id, timeout=timeout)
            except AmiliError as error:
                tracker.count("errors")
                done = _is_final(error)
                update = CaseUpdate(case_id, previous, previous, done=done, error=error)
            else:
                done = reached(case)
                if previous is None or _fingerprint(case) != _fingerprint(previous) or done:
                    update = CaseUpdate(case_id, case, previous, done=done)
                    tracker.count("changes")
                last[case_id] = case
            tracker.finish("polls")
            if done:
                following -= 1
                tracker.count("following", -1)
                last.pop(case_id, None)
            else:
                spread = interval * rng.uniform(-jitter, jitter) if jitter else 0.0
                next_due = max(clock.monotonic(), due + interval + spread)
                heapq.heappush(heap, (next_due, sequence, case_id))
                sequence += 1
            wake.set()
            tracker.report()
            if update is not None:
                await send.send(update)

        async def worker() -> None:
            async for due, case_id in work_receive:
                await poll(due, case_id)

        with work_receive:
            async with anyio.create_task_group() as group:
                group.start_soon(schedule)
                for _ in range(min(concurrency, max(1, len(ids)))):
                    group.start_soon(worker)

    return BulkJob(body, tracker, buffer=concurrency)


async def wait_for(
    service: Cases,
    case_id: str,
    *,
    status: UntilArg = None,
    timeout: float | None = None,
    interval: float = 60.0,
    request_timeout: TimeoutArg = None,
) -> Case:
    """The engine of :meth:`Cases.wait_for` (see there)."""
    _check_interval("interval", interval)
    if timeout is not None:
        _check_interval("timeout", timeout)
    reached = until_predicate(status)
    clock = service._client.clock
    deadline = None if timeout is None else clock.monotonic() + timeout
    last: Case | None = None
    while True:
        last = await service.get(case_id, timeout=request_timeout)
        if reached(last):
            return last
        now = clock.monotonic()
        if deadline is not None and now >= deadline:
            wanted = "closed" if status is None else repr(status)
            raise WaitTimeoutError(
                f"case {case_id} did not reach {wanted} within {timeout:g} s "
                f"(last status: {last.status})",
                case_id=case_id,
                last=last,
            )
        pause = interval if deadline is None else min(interval, deadline - now)
        await clock.sleep(pause)
