"""The registration engine behind ``case_registrations.create_many``.

Each item goes through the same steps: read it, refuse an invoice number seen
earlier in the job, ask the journal what an earlier run did with it, look it
up when it may already be stored, and send it. What the journal is told at
each step goes through a :class:`_Ledger`: one that writes to a
:class:`~amili_async.Journal`, or one that forgets everything when the job
has no journal, so that the steps read the same either way.

Every item gets exactly one outcome, whatever goes wrong with it: an error
nobody expected (a ``UnicodeEncodeError`` while encoding it, an
``OverflowError``, a bug) fails that item, is recorded in the journal when the
item was claimed, and the job goes on. Only a journal that cannot be used
(:class:`~amili_async.errors.JournalError`) ends the job, before anything
more is sent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Mapping
from os import PathLike
from typing import TYPE_CHECKING, Any, Protocol

import anyio
from anyio.streams.memory import MemoryObjectSendStream
from attrs import frozen

from .._journal import Claim, Journal, JournalEntry, JournalState, registration_key
from .._serde import converter
from ..errors import (
    AmiliError,
    ConflictError,
    JournalError,
    OutcomeUnknownError,
    PreviouslyFailedError,
    RequestValidationError,
)
from ..models._base import parse_request
from ..models.case_registration import CaseRegistration, NewCaseRegistration
from ._jobs import (
    BulkJob,
    Items,
    ProgressCallback,
    ProgressTracker,
    check_concurrency,
    fan_out,
    total_of,
)
from ._results import OutcomeStatus, RegistrationOutcome

if TYPE_CHECKING:
    from .._clock import Clock

__all__ = ["RegistrationCalls", "create_many"]


@frozen
class RegistrationCalls:
    """What the engine calls back into: the ``case_registrations`` service, timeout bound.

    ``path`` names the endpoint in errors; ``server`` is the client's base URL
    (a journal records it); ``find`` looks a registration up (``None`` when it
    is not stored); ``create_or_find`` sends it and says whether it was found
    already stored instead.
    """

    path: str
    server: str
    find: Callable[[NewCaseRegistration], Awaitable[CaseRegistration | None]]
    create_or_find: Callable[[NewCaseRegistration], Awaitable[tuple[CaseRegistration, bool]]]


# -- what the journal is told --------------------------------------------------------------


class _Ledger(Protocol):
    """Where the engine records each item's progress: a journal, or nowhere."""

    async def claim(self, registration: NewCaseRegistration, index: int) -> Claim: ...

    async def mark_sent(self, key: str) -> None: ...

    async def mark_created(self, key: str, registration: CaseRegistration) -> None: ...

    async def mark_failed(self, key: str, error: BaseException) -> None: ...


class _NoLedger:
    """A job without a journal: nothing was done before, and nothing is written down."""

    async def claim(self, registration: NewCaseRegistration, index: int) -> Claim:
        return Claim(previous=None)

    async def mark_sent(self, key: str) -> None:
        return None

    async def mark_created(self, key: str, registration: CaseRegistration) -> None:
        return None

    async def mark_failed(self, key: str, error: BaseException) -> None:
        return None


class _JournalLedger:
    """A job with a journal: what the API answered is written down even if the job is cancelled."""

    def __init__(self, journal: Journal) -> None:
        self._journal = journal

    async def claim(self, registration: NewCaseRegistration, index: int) -> Claim:
        return await self._journal.claim(registration, index)

    async def mark_sent(self, key: str) -> None:
        await self._journal.mark_sent(key)

    async def mark_created(self, key: str, registration: CaseRegistration) -> None:
        with anyio.CancelScope(shield=True):
            await self._journal.mark_created(key, registration)

    async def mark_failed(self, key: str, error: BaseException) -> None:
        with anyio.CancelScope(shield=True):
            await self._journal.mark_failed(key, error)


# -- one item ------------------------------------------------------------------------------


@frozen
class _Item:
    """One input item, read: its position, the raw item, the registration and its key."""

    index: int
    raw: Any
    new: NewCaseRegistration
    key: str

    def outcome(
        self,
        status: OutcomeStatus,
        *,
        registration: CaseRegistration | None = None,
        error: Exception | None = None,
        from_journal: bool = False,
    ) -> RegistrationOutcome:
        """This item's outcome."""
        return RegistrationOutcome(
            index=self.index,
            item=self.raw,
            status=status,
            registration=registration,
            error=error,
            key=self.key,
            from_journal=from_journal,
        )

    def failed(self, error: Exception) -> RegistrationOutcome:
        """This item failed with ``error``."""
        return self.outcome(OutcomeStatus.FAILED, error=error)


def _digest(account: str, creditor: str, invoice_number: str) -> int:
    data = "\x00".join((account, creditor, invoice_number)).encode("utf-8", "backslashreplace")
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")


def _regrouped(invoice_number: str) -> RequestValidationError:
    return RequestValidationError(
        {
            "debts.invoice_number": (
                f"invoice number {invoice_number!r} belongs to another registration in "
                "the journal (the input groups it differently than before); "
                "not sent, so that the debt is not registered twice"
            )
        },
        model="NewCaseRegistration",
    )


def _may_exist(previous: JournalEntry | None) -> bool:
    """Whether an earlier run may have stored the registration without knowing it."""
    return previous is not None and previous.state in (JournalState.SENT, JournalState.FAILED)


class _Registrar:
    """Registers one item: validate, de-duplicate, consult the journal, look up, send."""

    def __init__(
        self,
        api: RegistrationCalls,
        *,
        ledger: _Ledger,
        retry_failed: bool,
        lookup_first: bool,
    ) -> None:
        self._api = api
        self._ledger = ledger
        self._retry_failed = retry_failed
        self._lookup_first = lookup_first
        self._seen: set[int] = set()
        #: The journal error that ends the job (the first, when several items meet it).
        self.fatal: JournalError | None = None
        self._stop_job = anyio.CancelScope()

    async def run(
        self,
        items: Items[Any],
        concurrency: int,
        send: MemoryObjectSendStream[RegistrationOutcome],
        tracker: ProgressTracker,
    ) -> None:
        """Register every item; raises the journal error that stopped the job, if one did."""
        with self._stop_job:
            await fan_out(items, concurrency, self, send, tracker)
        if self.fatal is not None:
            raise self.fatal

    async def _end_job(self, error: JournalError) -> None:
        """Stop every item (nothing more is sent) and have the job raise ``error``."""
        if self.fatal is None:
            self.fatal = error
        self._stop_job.cancel()
        await anyio.sleep_forever()  # cancelled at once: this item yields no outcome

    async def __call__(self, index: int, raw: Any) -> tuple[RegistrationOutcome, str]:
        try:
            new = parse_request(NewCaseRegistration, raw)
            outcome = await self._register(_Item(index, raw, new, registration_key(new)))
        except JournalError as error:
            await self._end_job(error)  # the journal cannot be used: nothing more is sent
            raise  # pragma: no cover - _end_job does not return
        except Exception as error:
            outcome = RegistrationOutcome(index, raw, OutcomeStatus.FAILED, error=error)
        return outcome, outcome.status.value

    async def _register(self, item: _Item) -> RegistrationOutcome:
        duplicate = self._duplicate(item.new)
        if duplicate is not None:
            return item.failed(duplicate)
        claim = await self._ledger.claim(item.new, item.index)
        settled = self._settled_earlier(item, claim)
        if settled is not None:
            return settled
        try:
            return await self._register_claimed(item, claim)
        except JournalError:
            raise
        except Exception as error:
            await self._ledger.mark_failed(item.key, error)
            return item.failed(error)

    async def _register_claimed(self, item: _Item, claim: Claim) -> RegistrationOutcome:
        may_exist = _may_exist(claim.previous)
        if self._lookup_first or may_exist:
            found = await self._look_up(item, may_exist=may_exist)
            if found is not None:
                return found
        return await self._send(item)

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

    def _settled_earlier(self, item: _Item, claim: Claim) -> RegistrationOutcome | None:
        """The outcome the journal already decides, if it does."""
        if claim.conflict is not None:
            number, _ = claim.conflict
            return item.failed(_regrouped(number))
        previous = claim.previous
        if previous is not None and previous.state is JournalState.CREATED:
            return item.outcome(
                OutcomeStatus.ALREADY_REGISTERED,
                registration=previous.registration(),
                from_journal=True,
            )
        if (
            previous is not None
            and previous.state is JournalState.FAILED
            and not self._retry_failed
        ):
            earlier = PreviouslyFailedError(previous.error_type or "?", previous.error or "")
            return item.failed(earlier)
        return None

    async def _look_up(self, item: _Item, *, may_exist: bool) -> RegistrationOutcome | None:
        """The outcome when the registration is found stored or the lookup fails, else ``None``."""
        try:
            found = await self._api.find(item.new)
        except ConflictError as error:
            await self._ledger.mark_failed(item.key, error)
            return item.failed(error)
        except AmiliError as error:
            return item.failed(self._unknown_after(error, item) if may_exist else error)
        if found is None:
            return None
        await self._ledger.mark_created(item.key, found)
        return item.outcome(OutcomeStatus.ALREADY_REGISTERED, registration=found)

    def _unknown_after(self, error: AmiliError, item: _Item) -> OutcomeUnknownError:
        return OutcomeUnknownError(
            "an earlier run may have sent this registration and looking it up "
            f"failed ({type(error).__name__}); it was not sent again",
            method="POST",
            path=self._api.path,
            request_body=converter.unstructure(item.new),
            reason=str(error),
        )

    async def _send(self, item: _Item) -> RegistrationOutcome:
        try:
            await self._ledger.mark_sent(item.key)
            registration, existed = await self._api.create_or_find(item.new)
        except OutcomeUnknownError as error:
            # The journal keeps "sent": the next run looks it up before sending.
            return item.failed(error)
        except AmiliError as error:
            await self._ledger.mark_failed(item.key, error)
            return item.failed(error)
        await self._ledger.mark_created(item.key, registration)
        status = OutcomeStatus.ALREADY_REGISTERED if existed else OutcomeStatus.CREATED
        return item.outcome(status, registration=registration)


# -- the job -------------------------------------------------------------------------------


class _JournalSession:
    """The job's journal for its whole life: opened (or adopted), bound, and let go.

    Entered before the first item is read, so that a journal the job cannot
    use is refused at once; left after the last outcome. A journal given as a
    path, or a :class:`~amili_async.Journal` that is not open, is opened and
    closed here; an open one stays open for its owner.
    """

    def __init__(
        self,
        journal: Journal | str | PathLike[str] | None,
        *,
        clock: Clock,
        server: str,
        lookup_first: bool,
    ) -> None:
        self._given = journal
        self._clock = clock
        self._server = server
        self._lookup_first = lookup_first
        self._journal: Journal | None = None
        self._owned = False
        self.ledger: _Ledger = _NoLedger()
        #: Set when every item got its outcome (not cancelled, no error).
        self.complete = False

    async def __aenter__(self) -> _JournalSession:
        given = self._given
        if given is None:
            return self
        journal = given if isinstance(given, Journal) else Journal(given, clock=self._clock)
        self._owned = not journal.is_open  # opened here, so closed here
        try:
            await journal.open()
            await journal.begin_job(self._server, lookup_first=self._lookup_first)
        except BaseException:
            if self._owned:
                with anyio.CancelScope(shield=True):
                    await journal.aclose()
            raise
        self._journal = journal
        self.ledger = _JournalLedger(journal)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        journal, self._journal = self._journal, None
        if journal is None:
            return
        with anyio.CancelScope(shield=True):
            try:
                await journal.end_job(complete=self.complete)
            finally:
                if self._owned:
                    await journal.aclose()


def create_many(
    api: RegistrationCalls,
    items: Items[NewCaseRegistration | Mapping[str, Any]],
    *,
    clock: Clock,
    concurrency: int = 10,
    journal: Journal | str | PathLike[str] | None = None,
    retry_failed: bool = False,
    lookup_first: bool = False,
    progress: ProgressCallback | None = None,
    total: int | None = None,
) -> BulkJob[RegistrationOutcome]:
    """The engine of :meth:`CaseRegistrations.create_many` (see there), on ``clock``."""
    check_concurrency(concurrency)
    tracker = ProgressTracker(clock, total_of(items, total), progress)
    session = _JournalSession(journal, clock=clock, server=api.server, lookup_first=lookup_first)

    async def body(
        send: MemoryObjectSendStream[RegistrationOutcome], tracker: ProgressTracker
    ) -> None:
        registrar = _Registrar(
            api, ledger=session.ledger, retry_failed=retry_failed, lookup_first=lookup_first
        )
        await registrar.run(items, concurrency, send, tracker)
        session.complete = True

    return BulkJob(body, tracker, buffer=concurrency, setup=session)
