"""``/finance--payouts`` and ``/finance--payout-specifications``: payouts appear as payments settle.

Simulated throughout (Amili documents the fields and the categories, not how
lines are grouped or when payouts are made; every rule is one constant or one
function below, easy to change):

* The sandbox has no debtor payments to Amili, so a settled creditor payment
  stands in for money collected. Each becomes lines, one per category on its
  case: ``capital`` (article ``capital``), ``interest`` (``interest``),
  ``creditor_outlay`` for costs paid (the reminder fee the creditor claimed,
  article ``reminder``), and ``creditor_commission`` of
  :data:`COMMISSION_RATE` of the capital paid, plus :data:`COMMISSION_VAT`,
  when the case had reached reminder or debt collection (article: that
  state). Only commission carries VAT.
* One payout per creditor, category, currency and booking day collects the
  lines booked that day; its ``amount``, ``vat_amount`` and ``total_amount``
  are always the sums of its lines'. It is paid (``payout_status``
  ``pending`` -> ``paid``) on its ``payout_date``, the first Friday after the
  booking day, and ``payout_date`` and ``payout_reference`` are copied to its
  lines (the docs' cascade).
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ._collections import Documents
from ._ids import IdFactory
from ._lifecycle import CaseRecord, interest_style, stamp

__all__ = ["COMMISSION_RATE", "COMMISSION_VAT", "FinanceLedger"]

#: The creditor's commission on the capital collected (simulated).
COMMISSION_RATE = Decimal("0.05")
#: VAT on commission (Swedish standard rate).
COMMISSION_VAT = Decimal("0.25")
_ORE = Decimal("0.01")
_FRIDAY = 4
#: A kind the payment paid on the case -> (finance category, article).
_LINES = {
    "capital": ("capital", "capital"),
    "interest": ("interest", "interest"),
    "costs": ("creditor_outlay", "reminder"),
}
_REFERENCES = {
    "capital": "Capital",
    "interest": "Interest",
    "creditor_commission": "Creditor Commission",
    "creditor_outlay": "Creditor Outlay",
}
_COMMISSION_STATES = ("reminder", "debt_collection")


class FinanceLedger:
    """The payouts and their lines; the caller holds the state's lock."""

    def __init__(self, ids: IdFactory) -> None:
        self._ids = ids
        self.payouts = Documents("finance--payouts")
        self.specifications = Documents("finance--payout-specifications")
        self._open: dict[tuple[str, str, str, datetime], dict[str, Any]] = {}
        #: The pending payouts by ``payout_date`` (a heap): every request catches up, so
        #: it looks at the due ones only, not at every payout ever made.
        self._pending: list[tuple[datetime, int, dict[str, Any]]] = []
        self._sequence = 0

    def clear(self) -> None:
        """Forget every payout and line."""
        self.payouts.clear()
        self.specifications.clear()
        self._open.clear()
        self._pending.clear()

    def catch_up(self, now: datetime) -> None:
        """Pay every pending payout whose ``payout_date`` has come."""
        while self._pending and self._pending[0][0] <= now:
            _, _, payout = heapq.heappop(self._pending)
            if payout["payout_status"] == "pending":
                payout["payout_status"] = "paid"
                stamp(payout, payout["payout_date"])

    def settle(
        self,
        record: CaseRecord,
        paid: Mapping[str, Decimal],
        *,
        creditor_name: str,
        now: datetime,
    ) -> None:
        """Book the lines of a payment that paid ``paid`` (by kind) on ``record``'s case."""
        for kind, amount in paid.items():
            category, article = _LINES[kind]
            self._book(record, category, article, amount, Decimal(0), creditor_name, now)
        state = record.doc.get("state")
        capital = paid.get("capital", Decimal(0))
        commission = (capital * COMMISSION_RATE).quantize(_ORE, ROUND_HALF_UP)
        if state in _COMMISSION_STATES and commission > 0:
            vat = (commission * COMMISSION_VAT).quantize(_ORE, ROUND_HALF_UP)
            self._book(record, "creditor_commission", state, commission, vat, creditor_name, now)

    def _book(
        self,
        record: CaseRecord,
        category: str,
        article: str,
        amount: Decimal,
        vat: Decimal,
        creditor_name: str,
        now: datetime,
    ) -> None:
        doc = record.doc
        payout = self._payout(doc, category, creditor_name, now)
        line: dict[str, Any] = {
            "_id": self._ids.object_id(now),
            "account": doc["account"],
            "creditor": doc["creditor"],
            "creditor_name": creditor_name,
            "case": doc["_id"],
            "currency": doc["currency"],
            "amount": interest_style(amount),
            "vat_amount": interest_style(vat),
            "total_amount": interest_style(amount + vat),
            "article": article,
            "state": doc.get("state"),
            "booking_date": _day(now),
            "finance_category": category,
            "invoice_number": doc["debt"]["invoice_number"],
            "reference_number": doc.get("reference_number"),
            "payout_reference": payout["payout_reference"],
            "payout_date": payout["payout_date"],
            "payout": payout["_id"],
            "_created": now,
        }
        stamp(line, now)
        self.specifications.add(line)
        for key, value in (("amount", amount), ("vat_amount", vat), ("total_amount", amount + vat)):
            payout[key] = interest_style(Decimal(payout[key]) + value)
        stamp(payout, now)

    def _payout(
        self, case: Mapping[str, Any], category: str, creditor_name: str, now: datetime
    ) -> dict[str, Any]:
        """The open payout of this creditor, category, currency and day (created if none)."""
        key = (case["creditor"], category, case["currency"], _day(now))
        payout = self._open.get(key)
        if payout is None:
            payout = {
                "_id": self._ids.object_id(now),
                "account": case["account"],
                "creditor": case["creditor"],
                "creditor_name": creditor_name,
                "currency": case["currency"],
                "finance_category": category,
                "amount": interest_style(Decimal(0)),
                "vat_amount": interest_style(Decimal(0)),
                "total_amount": interest_style(Decimal(0)),
                "payout_status": "pending",
                "payout_date": _next_friday(_day(now)),
                "payout_reference": _REFERENCES[category],
                "_created": now,
            }
            stamp(payout, now)
            self._open[key] = payout
            self.payouts.add(payout)
            self._sequence += 1
            heapq.heappush(self._pending, (payout["payout_date"], self._sequence, payout))
        return payout


def _day(when: datetime) -> datetime:
    return when.replace(hour=0, minute=0, second=0, microsecond=0)


def _next_friday(day: datetime) -> datetime:
    """The first Friday after ``day`` (a Friday's is a week later)."""
    return day + timedelta(days=(_FRIDAY - day.weekday() - 1) % 7 + 1)
