"""Finance payout specifications: one line per financial transaction behind a payout.

A line is created when a payment settles; its ``payout`` names the payout it
belongs to (list a payout's lines with
``client.finance_payout_specifications.list(payout=payout_id)``). A response
model only: apart from ``id`` every field may be missing and reads as
``None``; unknown fields and unknown categories or articles are accepted.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from attrs import frozen

from ._base import EveDocument, OpenStrEnum

__all__ = ["FinanceArticle", "FinanceCategory", "FinancePayoutSpecification"]


class FinanceCategory(OpenStrEnum):
    """What a finance line or payout is for (``finance_category``; the docs' complete list)."""

    CAPITAL = "capital"
    INTEREST = "interest"
    CREDITOR_COMMISSION = "creditor_commission"
    CREDITOR_OUTLAY = "creditor_outlay"


class FinanceArticle(OpenStrEnum):
    """The article of a finance line (``article``): capital, interest, or the fee it stems from."""

    CAPITAL = "capital"
    INTEREST = "interest"
    REMINDER = "reminder"
    DEBT_COLLECTION = "debt_collection"
    INVOICE_FEE = "invoice_fee"
    LATE_PAYMENT_FEE = "late_payment_fee"
    VERDICT_FEE = "verdict_fee"
    ENFORCEMENT = "enforcement"


@frozen
class FinancePayoutSpecification(EveDocument):
    """One finance line (``GET /finance--payout-specifications``).

    ``amount`` excludes VAT, ``vat_amount`` is the VAT on it and
    ``total_amount`` both; ``booking_date`` is when it was booked and
    ``state`` the case's state then. ``payout_date`` and
    ``payout_reference`` are copied down from the payout.
    """

    account: str | None = None
    creditor: str | None = None
    creditor_name: str | None = None
    payout: str | None = None
    case: str | None = None
    currency: str | None = None
    amount: Decimal | None = None
    vat_amount: Decimal | None = None
    total_amount: Decimal | None = None
    finance_category: FinanceCategory | None = None
    article: FinanceArticle | None = None
    state: str | None = None
    booking_date: datetime | None = None
    invoice_number: str | None = None
    reference_number: str | None = None
    payout_reference: str | None = None
    payout_date: datetime | None = None
