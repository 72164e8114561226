"""``/finance--payouts``: what Amili pays each creditor."""

from __future__ import annotations

from ..models.finance_payout import FinancePayout
from ._base import ReadableResource

__all__ = ["FinancePayouts"]


class FinancePayouts(ReadableResource[FinancePayout]):
    """Read payouts, e.g. a creditor's latest:
    ``client.finance_payouts.list(where={"creditor": creditor_id}, sort="-_created")``.

    A payout's lines are ``client.finance_payout_specifications.list(payout=payout.id)``.
    """

    path = "/finance--payouts"
    model = FinancePayout
