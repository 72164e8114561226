"""``POST /creditor--payments``: which case a payment settles, what it may pay, what it stores.

A payment names its case by ``case`` or by ``invoice_number`` (the creditor's
only open case with that number), may not pay more than the case owes
(including interest not booked yet), and settles at once.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from .._serde import parse_http_date
from ._collections import Documents
from ._errors import ApiError, insertion_failure
from ._finance import FinanceLedger
from ._lifecycle import CaseRecord, capital_style, pending_interest, stamp
from ._schema import Issues, validate_payment
from ._writes import WriteContext, Writer

__all__ = ["PaymentWriter", "payment_body"]

_SETTLED = "creditor_payment.payment_settled"
_DATE_FIELDS = ("bank_transaction_date", "client_registration_date")
_ANSWER_FIELDS = ("_updated", "_created", "_etag", "_id")


def payment_body(body: Any) -> dict[str, Any]:
    """A single-document request body (a payment, a crediting, ...), or a 400 ``ApiError``.

    Anything but a JSON object is refused.
    """
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object")
    return body


class PaymentWriter(Writer):
    """Checks, stores and settles creditor payments; the caller holds the lock and has caught up."""

    def __init__(
        self, context: WriteContext, payments: Documents, *, finance: FinanceLedger
    ) -> None:
        super().__init__(context)
        self._payments = payments
        self._finance = finance

    def pay(
        self, account_id: str, body: Mapping[str, Any], *, now: datetime, keep: bool
    ) -> dict[str, Any]:
        """Check, store and settle one payment; returns the answer. Raises ``ApiError``."""
        issues = validate_payment(body)
        self._accounts.check_account(account_id, body, issues)
        creditor = self._accounts.check_creditor(body, issues)
        record = self.case_of(body, creditor, issues) if creditor else None
        if record is not None:
            self._amount_issues(record, body, issues, now)
        if issues or record is None:
            raise ApiError(422, insertion_failure(1), issues=issues)
        payment = self._settled(body, record, now)
        paid = self._lifecycle.apply_payment(record, payment, now)
        self._created["creditor--payments"] += 1
        if keep:
            self._payments.add(payment)
            creditor_name = self._accounts.creditor_name(record.doc["creditor"])
            self._finance.settle(record, paid, creditor_name=creditor_name, now=now)
        answer: dict[str, Any] = {field: payment[field] for field in _ANSWER_FIELDS}
        answer.update(
            _status="OK",
            _payment_status="completed",
            settled_amount=payment["settled_amount"],
            status="completed",
            status_reason_locale=payment["status_reason_locale"],
        )
        return answer

    def _settled(
        self, body: Mapping[str, Any], record: CaseRecord, now: datetime
    ) -> dict[str, Any]:
        """The stored form of a payment that settles on ``record``."""
        payment: dict[str, Any] = copy.deepcopy(dict(body))
        payment["case"] = record.id
        for key in _DATE_FIELDS:
            if key in payment:
                payment[key] = parse_http_date(payment[key])
        payment["_id"] = self._ids.object_id(now)
        payment["_created"] = now
        payment["_payment_status"] = "completed"
        payment["settled_amount"] = capital_style(Decimal(body["amount"]))
        payment["status"] = "completed"
        payment["status_reason_locale"] = _SETTLED
        stamp(payment, now, algorithm="sha1")
        return payment

    @staticmethod
    def _amount_issues(
        record: CaseRecord, body: Mapping[str, Any], issues: Issues, now: datetime
    ) -> None:
        field = "case" if body.get("case") is not None else "invoice_number"
        if record.is_closed:
            issues[field] = f"case '{record.id}' is closed; it takes no more payments"
            return
        currency = body.get("currency")
        if "currency" not in issues and currency != record.doc["currency"]:
            issues["currency"] = (
                f"must be the case currency {record.doc['currency']}, got {currency}"
            )
        if "amount" not in issues:
            owed = record.remaining_total() + pending_interest(record, now)
            amount = Decimal(body["amount"])
            if amount > owed:
                issues["amount"] = (
                    f"overpayment: {amount} is more than the {capital_style(owed)} "
                    f"{record.doc['currency']} remaining on the case"
                )
