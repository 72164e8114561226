"""``/case--registrations``: hand customers and their debts to Amili."""

from __future__ import annotations

import re
from collections.abc import AsyncIterable, Iterable, Mapping
from os import PathLike
from typing import Any

from .._bulk import _registering
from .._bulk._jobs import BulkJob, ProgressCallback
from .._bulk._results import RegistrationOutcome
from .._journal import Journal
from ..errors import ConflictError, UnprocessableEntityError
from ..models._base import parse_request
from ..models._input import NewCaseRegistrationDict
from ..models.case_registration import CaseRegistration, NewCaseRegistration
from ._base import ReadableResource, TimeoutArg

__all__ = ["CaseRegistrations"]

#: Eve's ``unique`` rule on a debt's invoice number: ``"value 'INV-1' is not unique"``.
_NOT_UNIQUE = re.compile(r"value '.*' is not unique", re.DOTALL)
_INVOICE_FIELD = re.compile(r"debts\.\d+\.invoice_number")


def _invoices_not_unique(error: UnprocessableEntityError) -> bool:
    """Whether the 422 refuses nothing but invoice numbers already stored."""
    return bool(error.issues) and all(
        _INVOICE_FIELD.fullmatch(field) and all(_NOT_UNIQUE.fullmatch(m) for m in messages)
        for field, messages in error.issues.items()
    )


class CaseRegistrations(ReadableResource[CaseRegistration]):
    """Register cases (one per debt) and read registrations back."""

    path = "/case--registrations"
    model = CaseRegistration

    async def create(
        self,
        registration: NewCaseRegistration | NewCaseRegistrationDict,
        *,
        timeout: TimeoutArg = None,
        deadline: float | None = None,
    ) -> CaseRegistration:
        """Register a customer's debts; each debt becomes its own case.

        ``registration`` is a :class:`NewCaseRegistration` or a mapping shaped
        like the API's JSON; it is validated before anything is sent. If the
        answer is lost on the way back, the SDK looks the registration up (by
        creditor and invoice numbers) before sending it again, so a registration
        never lands twice.
        """
        registered, _ = await self.create_or_find(registration, timeout=timeout, deadline=deadline)
        return registered

    async def create_or_find(
        self,
        registration: NewCaseRegistration | NewCaseRegistrationDict,
        *,
        timeout: TimeoutArg = None,
        deadline: float | None = None,
    ) -> tuple[CaseRegistration, bool]:
        """Like :meth:`create`, also saying whether the registration was found already stored.

        The flag is ``True`` when the registration was found on the server
        instead of created: the answer to the send was lost (or could not be
        read) and reconciliation found it, or the API refused the invoice
        numbers as not unique (Eve's 422 ``"value '...' is not unique"``) and
        a lookup found this very registration stored. When stored
        registrations hold only some of the invoice numbers,
        :class:`~amili_async.errors.ConflictError` names them.
        """
        new = parse_request(NewCaseRegistration, registration)

        async def find_existing() -> CaseRegistration | None:
            return await self.find(new, timeout=timeout)

        try:
            return await self._create(new, find_existing, timeout, deadline)
        except UnprocessableEntityError as error:
            if not _invoices_not_unique(error):
                raise
            found = await find_existing()
            if found is None:
                raise
            return found, True

    def create_many(
        self,
        items: Iterable[NewCaseRegistration | NewCaseRegistrationDict | Mapping[str, Any]]
        | AsyncIterable[NewCaseRegistration | NewCaseRegistrationDict | Mapping[str, Any]],
        *,
        concurrency: int = 10,
        journal: Journal | str | PathLike[str] | None = None,
        retry_failed: bool = False,
        lookup_first: bool = False,
        progress: ProgressCallback | None = None,
        total: int | None = None,
        timeout: TimeoutArg = None,
        deadline: float | None = None,
    ) -> BulkJob[RegistrationOutcome]:
        """Register many customers' debts at once, one outcome per item::

            async with client.case_registrations.create_many(rows, concurrency=50) as outcomes:
                async for outcome in outcomes:
                    ...

        ``items`` is any iterable or async iterable of :class:`NewCaseRegistration`
        or mappings, pulled lazily: 100,000 rows stream through with memory
        proportional to ``concurrency``. At most ``concurrency`` registrations are
        worked on at once, all under the client's rate limit. Each item yields
        one :class:`~amili_async.RegistrationOutcome` as it completes (not in
        input order; ``outcome.index`` is its position): created, already
        registered (found after a lost answer, or by the journal), or failed
        with its typed error. Invalid items and items whose invoice numbers
        already appeared earlier in the job are failed outcomes, never dropped
        and never sent.

        ``journal`` (a :class:`~amili_async.Journal` or a path to a SQLite file)
        makes the job resumable: a rerun skips what was created, looks up what
        was in flight before sending it again, and retries what failed only
        with ``retry_failed=True``. A journal serves one job at a time (a second
        job on it, here or in another process, raises
        :class:`~amili_async.errors.JournalLockedError` from ``async with`` and
        sends nothing) and belongs to one server and account
        (:class:`~amili_async.errors.JournalMismatchError` otherwise). A journal
        whose records were lost (an emptied file, a lost ``-wal`` file) or that
        cannot be read raises :class:`~amili_async.errors.JournalError`.
        ``lookup_first=True`` looks every item up before sending it (one more
        request each): for a rerun whose journal is lost, and the way to resume
        from a journal whose records were lost. An item that raises anything,
        expected or not, fails alone: its outcome carries the error, the
        journal records it, and the job goes on. ``progress`` is called with a
        :class:`~amili_async.BulkProgress` after every item; ``total`` tells it
        how many items to expect when ``items`` has no ``len()``.

        Leaving the ``async with`` block early, or cancelling it, cancels the
        registrations still in flight and waits for them; with a journal a
        rerun settles them.
        """
        calls = _registering.RegistrationCalls(
            path=self.path,
            server=self._client.base_url,
            find=lambda new: self.find(new, timeout=timeout, deadline=deadline),
            create_or_find=lambda new: self.create_or_find(new, timeout=timeout, deadline=deadline),
        )
        return _registering.create_many(
            calls,
            items,
            clock=self._client.clock,
            concurrency=concurrency,
            journal=journal,
            retry_failed=retry_failed,
            lookup_first=lookup_first,
            progress=progress,
            total=total,
        )

    async def find(
        self,
        registration: NewCaseRegistration | NewCaseRegistrationDict,
        *,
        timeout: TimeoutArg = None,
        deadline: float | None = None,
    ) -> CaseRegistration | None:
        """The stored registration of the same creditor with the same invoice numbers, if any.

        Raises :class:`~amili_async.errors.ConflictError` when stored
        registrations hold only some of the invoice numbers: that is not the
        same registration, and sending it would duplicate those debts.
        """
        new = parse_request(NewCaseRegistration, registration)
        wanted = set(new.invoice_numbers)
        where = {
            "account": new.account,
            "creditor": new.creditor,
            "debts.invoice_number": {"$in": sorted(wanted)},
        }
        overlapping: list[str] = []
        stored_ones = self.list(where=where, max_results=50, timeout=timeout, deadline=deadline)
        async for stored in stored_ones:
            if set(stored.invoice_numbers) == wanted:
                return stored
            overlapping.append(stored.id)
        if overlapping:
            raise ConflictError(
                "stored registrations "
                + ", ".join(overlapping)
                + " already hold some of these invoice numbers",
                status_code=409,
                method="GET",
                path=self.path,
            )
        return None
