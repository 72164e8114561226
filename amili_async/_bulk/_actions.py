"""The engine behind ``create_many`` of the creditor actions and of invoice registrations.

Each item is read, refused when its key already appeared earlier in the job,
checked against the journal, looked up when an earlier run may have sent it,
and sent (the service reconciles a lost answer by the same lookup). The key
is what finds the action again: a crediting's ``creditor_reference``, a
cancellation's case, an invoice's number; an item without one is refused,
because a lost answer could then not be told apart from a new action.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from os import PathLike
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import anyio
from anyio.streams.memory import MemoryObjectSendStream
from attrs import frozen

from .._journal import Journal, JournalEntry, JournalState
from .._serde import converter
from ..errors import AmiliError, OutcomeUnknownError, PreviouslyFailedError, RequestValidationError
from ..models._base import parse_request
from ._jobs import (
    BulkJob,
    Items,
    ProgressCallback,
    ProgressTracker,
    check_concurrency,
    fan_out,
    opened_journal,
    total_of,
)
from ._results import ActionOutcome, OutcomeStatus

if TYPE_CHECKING:
    from .._clock import Clock

__all__ = ["ActionCalls", "Stored", "create_many"]

N = TypeVar("N")


class Stored(Protocol):
    """What every stored action has: its id."""

    @property
    def id(self) -> str: ...


M = TypeVar("M", bound=Stored)


@frozen
class ActionCalls(Generic[N, M]):
    """What the engine calls back into: one service, timeout bound.

    ``request`` is the request model; ``key`` the item's stable identity
    (``None`` when it has none, with ``missing_key`` saying which field to
    set); ``find`` looks it up; ``create_or_find`` sends it (reconciling a
    lost answer) and says whether it was found stored instead.
    """

    path: str
    request: type[N]
    key: Callable[[N], str | None]
    missing_key: tuple[str, str]
    find: Callable[[N], Awaitable[M | None]]
    create_or_find: Callable[[N], Awaitable[tuple[M, bool]]]


class _Actor(Generic[N, M]):
    """Sends one item: read, de-duplicate, consult the journal, look up, send."""

    def __init__(
        self, calls: ActionCalls[N, M], journal: Journal | None, *, retry_failed: bool
    ) -> None:
        self._calls = calls
        self._journal = journal
        self._retry_failed = retry_failed
        self._seen: set[str] = set()

    async def __call__(self, index: int, raw: Any) -> tuple[ActionOutcome[M], str]:
        outcome = await self._act(index, raw)
        return outcome, outcome.status.value

    async def _act(self, index: int, raw: Any) -> ActionOutcome[M]:
        try:
            new = parse_request(self._calls.request, raw)
            key = self._key_of(new)
        except RequestValidationError as error:
            return ActionOutcome(index, raw, OutcomeStatus.FAILED, error=error)
        item = _Item(index, raw, key)
        previous = await self._claim(key, index)
        if previous is not None and previous.state is not JournalState.PENDING:
            settled = self._settled_earlier(item, previous)
            if settled is not None:
                return settled
            found = await self._look_up(new)
            if isinstance(found, Exception):
                return item.failed(found)
            if found is not None:
                return await self._stored(item, found, existed=True)
        return await self._send(item, new)

    def _key_of(self, new: N) -> str:
        """The item's key; :class:`RequestValidationError` when it has none or repeats one."""
        model = self._calls.request.__name__
        field, reason = self._calls.missing_key
        key = self._calls.key(new)
        if key is None:
            raise RequestValidationError({field: reason}, model=model)
        if key in self._seen:
            raise RequestValidationError(
                {field: "appears in an earlier item of this job; each is sent once"}, model=model
            )
        self._seen.add(key)
        return key

    async def _claim(self, key: str, index: int) -> JournalEntry | None:
        if self._journal is None:
            return None
        return (await self._journal.claim_key(key, index)).previous

    def _settled_earlier(self, item: _Item, previous: JournalEntry) -> ActionOutcome[M] | None:
        """The outcome the journal already decides, if it does."""
        if previous.state is JournalState.CREATED:
            return ActionOutcome(
                item.index,
                item.raw,
                OutcomeStatus.ALREADY_REGISTERED,
                result_id=previous.registration_id,
                key=item.key,
                from_journal=True,
            )
        if previous.state is JournalState.FAILED and not self._retry_failed:
            earlier = PreviouslyFailedError(previous.error_type or "?", previous.error or "")
            return item.failed(earlier)
        return None

    async def _look_up(self, new: N) -> M | Exception | None:
        """What an earlier run may have stored; :class:`OutcomeUnknownError` if lookup fails."""
        try:
            return await self._calls.find(new)
        except AmiliError as error:
            return OutcomeUnknownError(
                "an earlier run may have sent this and looking it up failed "
                f"({type(error).__name__}); it was not sent again",
                method="POST",
                path=self._calls.path,
                request_body=converter.unstructure(new),
                reason=str(error),
            )

    async def _send(self, item: _Item, new: N) -> ActionOutcome[M]:
        try:
            if self._journal is not None:
                await self._journal.mark_sent(item.key)
            stored, existed = await self._calls.create_or_find(new)
        except OutcomeUnknownError as error:
            # The journal keeps "sent": the next run looks it up before sending.
            return item.failed(error)
        except AmiliError as error:
            if self._journal is not None:
                with anyio.CancelScope(shield=True):
                    await self._journal.mark_failed(item.key, error)
            return item.failed(error)
        return await self._stored(item, stored, existed=existed)

    async def _stored(self, item: _Item, stored: M, *, existed: bool) -> ActionOutcome[M]:
        """Record a stored action in the journal (even while being cancelled); its outcome."""
        if self._journal is not None:
            with anyio.CancelScope(shield=True):
                await self._journal.mark_recorded(item.key, stored.id)
        status = OutcomeStatus.ALREADY_REGISTERED if existed else OutcomeStatus.CREATED
        return ActionOutcome(
            item.index, item.raw, status, result=stored, result_id=stored.id, key=item.key
        )


@frozen
class _Item:
    """One input item, read: its position, the raw item and its key."""

    index: int
    raw: Any
    key: str

    def failed(self, error: Exception) -> ActionOutcome[Any]:
        """This item failed with ``error``."""
        return ActionOutcome(self.index, self.raw, OutcomeStatus.FAILED, error=error, key=self.key)


def create_many(
    calls: ActionCalls[N, M],
    items: Items[Any],
    *,
    clock: Clock,
    concurrency: int = 10,
    journal: Journal | str | PathLike[str] | None = None,
    retry_failed: bool = False,
    progress: ProgressCallback | None = None,
    total: int | None = None,
) -> BulkJob[ActionOutcome[M]]:
    """The engine of the actions' ``create_many`` (see there), on ``clock``."""
    check_concurrency(concurrency)
    tracker = ProgressTracker(clock, total_of(items, total), progress)

    async def body(
        send: MemoryObjectSendStream[ActionOutcome[M]], tracker: ProgressTracker
    ) -> None:
        async with opened_journal(journal, clock) as opened:
            actor = _Actor(calls, opened, retry_failed=retry_failed)
            await fan_out(items, concurrency, actor, send, tracker)

    return BulkJob(body, tracker, buffer=concurrency)
