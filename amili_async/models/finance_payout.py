"""Finance payouts: what Amili pays a creditor, one payout per category and period.

A payout adds up its lines (:class:`~amili_async.FinancePayoutSpecification`,
listed with ``client.finance_payout_specifications.list(payout=payout.id)``):
its ``amount``, ``vat_amount`` and ``total_amount`` are the sums of theirs.
A response model only: apart from ``id`` every field may be missing and reads
as ``None``; unknown fields are ignored.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from attrs import frozen

from ._base import EveDocument
from .finance_payout_specification import FinanceCategory

__all__ = ["FinancePayout"]


@frozen
class FinancePayout(EveDocument):
    """One payout to a creditor (``GET /finance--payouts``).

    ``finance_category`` says what it pays (capital, interest, commission,
    outlay); ``payout_status`` whether it has been paid (values not
    documented, so a plain string); ``payout_date`` and ``payout_reference``
    are what the creditor's bank statement shows.
    """

    account: str | None = None
    creditor: str | None = None
    creditor_name: str | None = None
    currency: str | None = None
    finance_category: FinanceCategory | None = None
    amount: Decimal | None = None
    vat_amount: Decimal | None = None
    total_amount: Decimal | None = None
    payout_status: str | None = None
    payout_date: datetime | None = None
    payout_reference: str | None = None
