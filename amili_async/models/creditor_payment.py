"""Creditor payments: money the customer paid straight to the creditor."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from attrs import field, frozen

from ._base import EveDocument, Issues, OpenStrEnum, api_field, as_origin

__all__ = [
    "BusinessOutcome",
    "BusinessStatus",
    "CreditorPayment",
    "NewCreditorPayment",
    "PaymentStatus",
]


class PaymentStatus(OpenStrEnum):
    """How the API settled a creditor payment (``_payment_status``; only ``completed`` is seen)."""

    COMPLETED = "completed"
    WARNING = "warning"
    ERROR = "error"


class BusinessStatus(OpenStrEnum):
    """The business outcome of a creditor action (``status``), beside its HTTP status.

    The API may answer ``201 Created`` and still report ``warning`` or
    ``error`` here, with the reason in ``status_reason_locale``.
    """

    COMPLETED = "completed"
    WARNING = "warning"
    ERROR = "error"


class BusinessOutcome:
    """What a creditor action's answer says beyond ``201 Created``: its business ``status``.

    Mixed into :class:`CreditorPayment`, :class:`~amili_async.CreditorCrediting`
    and :class:`~amili_async.CreditorCancellation`.
    """

    __slots__ = ()

    status: BusinessStatus | None

    @property
    def is_warning(self) -> bool:
        """Whether the API recorded the action with a warning (see ``status_reason_locale``)."""
        return self.status == BusinessStatus.WARNING

    @property
    def is_error(self) -> bool:
        """Whether the API recorded the action but reports an error: it did not take effect."""
        return self.status == BusinessStatus.ERROR

    @property
    def needs_attention(self) -> bool:
        """Whether the business ``status`` is anything but ``completed`` (or absent)."""
        return self.status is not None and self.status != BusinessStatus.COMPLETED


@frozen
class NewCreditorPayment:
    """The body of ``POST /creditor--payments``.

    Name the case either by ``case`` (its id) or by ``invoice_number``, not both.
    ``amount`` is positive, below 10**12, with at most two decimals; the dates
    are timezone-aware, from 1900 to 2100.
    ``creditor_payment_reference`` is also what the SDK looks the payment up by
    when a send's outcome is unknown, so set it: without one a payment whose
    answer was lost cannot be told apart from an identical one and is not re-sent.
    """

    account: str
    creditor: str
    amount: Decimal
    bank_transaction_date: datetime
    case: str | None = None
    invoice_number: str | None = None
    currency: str = "SEK"
    creditor_payment_reference: str | None = None
    origin: str = field(default="creditor_system", converter=as_origin)
    client_registration_date: datetime | None = None

    def __attrs_post_init__(self) -> None:
        issues = Issues()
        issues.require_text("account", self.account)
        issues.require_text("creditor", self.creditor)
        issues.require_amount("amount", self.amount)
        issues.require_datetime("bank_transaction_date", self.bank_transaction_date)
        issues.case_or_invoice_number(self.case, self.invoice_number)
        issues.optional_text("creditor_payment_reference", self.creditor_payment_reference)
        issues.require_currency("currency", self.currency)
        issues.require_origin(self.origin)
        if self.client_registration_date is not None:
            issues.require_datetime("client_registration_date", self.client_registration_date)
        issues.check_strings(self)
        issues.raise_if_any("NewCreditorPayment")


@frozen
class CreditorPayment(EveDocument, BusinessOutcome):
    """A stored creditor payment: what ``POST`` answers and ``GET`` reads.

    A ``201 Created`` answer means the API recorded the payment, not that all
    went as asked: check :attr:`status`. ``completed`` (or no status, as the
    production API's answers have) is the normal case; ``warning`` and
    ``error`` are business outcomes, with a locale key naming the reason in
    ``status_reason_locale`` and what was actually settled in
    ``settled_amount``. The docs name these values but not their consequences.
    They are not raised as exceptions, because the payment exists and sending
    it again would book it twice. What to do: check :attr:`needs_attention`
    (or :attr:`is_warning` / :attr:`is_error`), record
    ``status_reason_locale``, read the case back to see what was booked, and
    settle any difference with Amili rather than by re-sending. ``create``
    also logs a warning on the ``amili_async`` logger.

    Only ``id`` is required (Eve always sends ``_id``); any other field the
    answer leaves out (the ``POST`` answer holds only the meta fields, a
    ``projection``, an older record) is ``None``. Unknown fields are ignored.
    """

    api_status: str | None = api_field("_status", default=None)
    payment_status: PaymentStatus | None = api_field("_payment_status", default=None)
    status: BusinessStatus | None = None
    status_reason_locale: str | None = None
    settled_amount: Decimal | None = None
    account: str | None = None
    creditor: str | None = None
    case: str | None = None
    invoice_number: str | None = None
    currency: str | None = None
    amount: Decimal | None = None
    bank_transaction_date: datetime | None = None
    creditor_payment_reference: str | None = None
    origin: str | None = None
    client_registration_date: datetime | None = None
