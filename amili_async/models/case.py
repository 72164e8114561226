"""Cases: one per registered debt, with its life cycle, amounts and transactions.

These are response models only (cases are made by registering debts), so
nothing here refuses what the API sends: apart from the case's ``id``, every
field may be missing (left out by a ``projection``, or absent from an older
record) and then reads as ``None``; lists read as ``()``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from attrs import field, frozen

from ._base import EveDocument, OpenStrEnum, mask_optional

__all__ = [
    "Case",
    "CaseDebt",
    "CaseSettings",
    "CaseState",
    "CaseStatus",
    "CloseReason",
    "Closed",
    "InterestRateSettings",
    "Limitation",
    "NextFlowItem",
    "OriginalInvoice",
    "ServiceEntry",
    "StateChange",
    "StatusChange",
    "Transaction",
    "TransactionOrigin",
    "TransactionType",
]


class CaseState(OpenStrEnum):
    """Where a case is in Amili's process (``state``)."""

    INVOICE = "invoice"
    INITIALIZING = "initializing"
    REMINDER = "reminder"
    DEBT_COLLECTION = "debt_collection"


class CaseStatus(OpenStrEnum):
    """A case's finer-grained status (``status``)."""

    INVOICE = "invoice"
    INITIALIZING = "initializing"
    INITIALIZED = "initialized"
    REMINDER = "reminder"
    DEBT_COLLECTION = "debt_collection"
    DEBT_COLLECTION_ACTIVE = "debt_collection_active"
    CLOSED = "closed"


class TransactionType(OpenStrEnum):
    """What a transaction moves: capital, interest or costs."""

    CAPITAL = "capital"
    INTEREST = "interest"
    COSTS = "costs"


class TransactionOrigin(OpenStrEnum):
    """Which system booked a transaction."""

    CREDITOR_SYSTEM = "creditor_system"
    SOLICITOR_SYSTEM = "solicitor_system"


class CloseReason(OpenStrEnum):
    """Why a case was closed.

    Only ``fully_paid_depreciation`` is documented. ``credited`` and
    ``cancelled`` are the names the sandbox uses for a case closed by a
    crediting or a cancellation; Amili's own names are not documented (any
    other value still parses, as a pseudo-member).
    """

    FULLY_PAID_DEPRECIATION = "fully_paid_depreciation"
    CREDITED = "credited"
    CANCELLED = "cancelled"


@frozen
class InterestRateSettings:
    """How interest is charged: ``reference_rate`` means Swedish late-payment interest."""

    reference_rate: bool | None = None


@frozen
class CaseSettings:
    """Per-case settings."""

    interest_rate: InterestRateSettings | None = None


@frozen
class CaseDebt:
    """The debt a case collects, as Amili stores it. Any field may be ``None``."""

    invoice_number: str | None = None
    invoice_date: datetime | None = None
    capital_to_claim: Decimal | None = None
    invoice_due_days_after_invoice_date: int | None = None
    interest_days_after_invoice_date: int | None = None
    initial_capital: Decimal | None = None
    debt_description: str | None = None
    debt_reference: str | None = None
    payout_reference: str | None = None


@frozen
class StateChange:
    """One entry of ``state_history``. Either field may be ``None``."""

    state: CaseState | None = None
    state_date: datetime | None = None


@frozen
class StatusChange:
    """One entry of ``status_history``. Either field may be ``None``."""

    status: CaseStatus | None = None
    status_date: datetime | None = None


@frozen
class ServiceEntry:
    """A service Amili started on the case, and when. Either field may be ``None``."""

    service: str | None = None
    service_date: datetime | None = None


@frozen
class Transaction:
    """A booking on the case. Payments and write-offs have negative amounts.

    Any field may be ``None`` (a projection, an older record).
    """

    amount: Decimal | None = None
    type: TransactionType | None = None
    bank_transaction_date: datetime | None = None
    registration_date: datetime | None = None
    origin: TransactionOrigin | None = None
    description_locale_tag: str | None = None
    payment_method: str | None = None
    creditor_payment: str | None = None
    creditor_crediting: str | None = None


@frozen
class NextFlowItem:
    """The next step Amili's flow will take on the case."""

    item: str | None = None
    schedule_to_execute: datetime | None = None
    flow_config: str | None = None
    is_failed: bool | None = None
    waiting_for: str | None = None
    moved_to_next_state: bool | None = None
    flow_config_name_locale: str | None = None


@frozen
class Limitation:
    """The statute-of-limitations dates (``limitation_date`` ten years after ``break_date``)."""

    break_date: datetime | None = None
    limitation_date: datetime | None = None
    locale_annotation: str | None = None


@frozen
class Closed:
    """When and why a case closed. Either field may be ``None``."""

    close_date: datetime | None = None
    reason: CloseReason | None = None


@frozen
class OriginalInvoice:
    """The invoice file uploaded for the case. Any field may be ``None``."""

    id: str | None = None
    filename: str | None = None
    content_type: str | None = None
    size: int | None = None


@frozen
class Case(EveDocument):
    """A case as ``GET /cases/{id}`` returns it.

    Every date is an aware UTC ``datetime``, every amount an exact ``Decimal``.
    Fields the API adds later are ignored; values the SDK does not know yet
    (a new status, say) still parse, as pseudo-members of their enum.
    Only ``id`` is required (Eve always sends ``_id``, even under a
    ``projection``): any other field the answer leaves out is ``None``, and
    the lists (``state_history``, ``status_history``, ``services``,
    ``transactions``) are ``()``. Identity numbers are masked in ``repr``.
    """

    account: str | None = None
    creditor: str | None = None
    creditor_name: str | None = None
    customer: str | None = None
    customer_name: str | None = None
    customer_id_number: str | None = field(default=None, repr=mask_optional)
    customer_number: str | None = None
    customer_status: str | None = None
    debtor: str | None = None
    debtor_name: str | None = None
    debtor_id_number: str | None = field(default=None, repr=mask_optional)
    currency: str | None = None
    reference_number: str | None = None
    agreement_version: str | None = None
    case_registration: str | None = None
    invoice_registration: str | None = None
    case_settings: CaseSettings | None = None
    debt: CaseDebt | None = None
    state: CaseState | None = None
    status: CaseStatus | None = None
    state_history: tuple[StateChange, ...] = ()
    status_history: tuple[StatusChange, ...] = ()
    latest_state_date: datetime | None = None
    services: tuple[ServiceEntry, ...] = ()
    local_added_capital_amount: Decimal | None = None
    local_added_costs_amount: Decimal | None = None
    local_added_interest_amount: Decimal | None = None
    local_added_transaction_amount: Decimal | None = None
    local_remaining_capital_amount: Decimal | None = None
    local_remaining_costs_amount: Decimal | None = None
    local_remaining_interest_amount: Decimal | None = None
    local_remaining_transaction_amount: Decimal | None = None
    total_added_capital_amount: Decimal | None = None
    total_added_costs_amount: Decimal | None = None
    total_added_interest_amount: Decimal | None = None
    total_added_transaction_amount: Decimal | None = None
    total_remaining_capital_amount: Decimal | None = None
    total_remaining_costs_amount: Decimal | None = None
    total_remaining_interest_amount: Decimal | None = None
    total_remaining_transaction_amount: Decimal | None = None
    transactions: tuple[Transaction, ...] = ()
    original_invoice: OriginalInvoice | None = None
    next_flow_item: NextFlowItem | None = None
    next_flow_item_on_close: NextFlowItem | None = None
    debt_collection: str | None = None
    limitation: Limitation | None = None
    closed: Closed | None = None

    @property
    def is_closed(self) -> bool:
        """Whether the case has closed."""
        return self.status == CaseStatus.CLOSED or self.closed is not None
