"""Creditor creditings: the creditor credits a whole case, a whole invoice, or part of one."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from attrs import field, frozen

from ._base import EveDocument, Issues, api_field, as_origin
from .creditor_payment import BusinessOutcome, BusinessStatus, PaymentStatus

__all__ = ["CreditorCrediting", "NewCreditorCrediting"]


@frozen
class NewCreditorCrediting:
    """The body of ``POST /creditor--creditings``.

    Name the case either by ``case`` (its id) or by ``invoice_number`` (with
    ``creditor``), not both. ``amount`` is what to credit; crediting what
    remains of the case credits it whole. ``credit_invoice`` is the id of the
    credit invoice in the creditor's system, for traceability;
    ``client_registration_date`` when the crediting was made there (the API
    uses "now" when it is left out).

    ``creditor_reference`` is also what the SDK looks the crediting up by
    when a send's outcome is unknown, so set it: without one a crediting
    whose answer was lost cannot be told apart from an identical one and is
    not re-sent (:class:`~amili_async.errors.OutcomeUnknownError`).
    """

    account: str
    creditor: str
    amount: Decimal
    case: str | None = None
    invoice_number: str | None = None
    currency: str = "SEK"
    credit_invoice: str | None = None
    client_registration_date: datetime | None = None
    creditor_reference: str | None = None
    origin: str = field(default="creditor_system", converter=as_origin)

    def __attrs_post_init__(self) -> None:
        issues = Issues()
        issues.require_text("account", self.account)
        issues.require_text("creditor", self.creditor)
        issues.require_amount("amount", self.amount)
        issues.case_or_invoice_number(self.case, self.invoice_number)
        issues.require_currency("currency", self.currency)
        issues.optional_text("credit_invoice", self.credit_invoice)
        issues.optional_text("creditor_reference", self.creditor_reference)
        if self.client_registration_date is not None:
            issues.require_datetime("client_registration_date", self.client_registration_date)
        issues.require_origin(self.origin)
        issues.check_strings(self)
        issues.raise_if_any("NewCreditorCrediting")


@frozen
class CreditorCrediting(EveDocument, BusinessOutcome):
    """A stored crediting: what ``POST`` answers and ``GET`` reads.

    ``payment_status`` is the API's ``_payment_status``, which its docs call
    the *credit process status* (only ``completed`` is documented).

    A ``201 Created`` answer means the API recorded the crediting, not that
    all of it took effect: check :attr:`status`. ``completed`` (or no status,
    as the production API's answers have) is the normal case. ``warning``
    means part of it could not be applied, for instance more was credited
    than the case still owed, or the case was already closed; ``error`` that
    none of it was. ``settled_amount`` says what was actually credited and
    ``status_reason_locale`` names the reason. These are not raised as
    exceptions, because the crediting exists and sending it again would
    credit twice. What to do: check :attr:`needs_attention`, record
    ``status_reason_locale``, read the case back to see what was booked, and
    settle any difference with Amili rather than by re-sending. ``create``
    also logs a warning on the ``amili_async`` logger.

    Only ``id`` is required; any other field the answer leaves out is ``None``.
    Unknown fields are ignored.
    """

    api_status: str | None = api_field("_status", default=None)
    payment_status: PaymentStatus | None = api_field("_payment_status", default=None)
    status: BusinessStatus | None = None
    status_reason_locale: str | None = None
    settled_amount: Decimal | None = None
    case_invoice_number: str | None = None
    case_reference_number: str | None = None
    account: str | None = None
    creditor: str | None = None
    case: str | None = None
    invoice_number: str | None = None
    currency: str | None = None
    amount: Decimal | None = None
    credit_invoice: str | None = None
    client_registration_date: datetime | None = None
    creditor_reference: str | None = None
    origin: str | None = None

    @property
    def credit_process_status(self) -> PaymentStatus | None:
        """The credit process status (the API's ``_payment_status``)."""
        return self.payment_status
