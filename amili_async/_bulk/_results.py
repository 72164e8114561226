"""What a bulk call yields: an outcome per registration, a result per read, an update per change."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Generic, TypeVar

from attrs import field, frozen

from ..models.case import Case
from ..models.case_registration import CaseRegistration

__all__ = [
    "WATCHED_FIELDS",
    "ActionOutcome",
    "CaseResult",
    "CaseUpdate",
    "OutcomeStatus",
    "RegistrationOutcome",
]


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


R = TypeVar("R")


@frozen
class ActionOutcome(Generic[R]):
    """The result for one input item of a bulk creditor action.

    What ``create_many`` of ``creditor_creditings``, ``creditor_cancellations``
    and ``invoice_registrations`` yields: ``index`` and ``item`` as in
    :class:`RegistrationOutcome`; ``status`` ``created`` (sent now),
    ``already_registered`` (stored already: found after a lost answer, by a
    lookup, or recorded by an earlier run of the same journal) or ``failed``
    (``error`` says why). ``result`` is what the API answered or the lookup
    found (``None`` when it comes from the journal, which keeps only
    ``result_id``). ``key`` is the item's stable identity in the journal.
    A crediting whose ``result`` has a ``warning`` status is still ``created``:
    check ``result.needs_attention``.
    """

    index: int
    item: Any = field(repr=False)
    status: OutcomeStatus
    result: R | None = None
    result_id: str | None = None
    error: Exception | None = None
    key: str | None = None
    from_journal: bool = False

    @property
    def ok(self) -> bool:
        """Whether the action is stored (now or earlier)."""
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
