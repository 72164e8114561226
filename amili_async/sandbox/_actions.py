"""``POST /creditor--creditings`` and ``POST /creditor--cancellations``: a creditor acts on a case.

Both name their case like a payment does (``case``, or ``invoice_number`` with
``creditor``), answer ``201`` with Eve's meta fields plus the action's own
(``_payment_status`` / ``_cancellation_status``, ``status``,
``status_reason_locale``, ``case_invoice_number``, ``case_reference_number``)
and are stored whatever their business outcome. Simulated, because the docs
leave it open:

* a crediting lowers the case's remaining capital (at most to zero); crediting
  more than remains is a ``warning`` whose ``settled_amount`` is what could be
  credited; a crediting that leaves no capital closes the case (``credited``);
* a cancellation closes the case (``cancelled``);
* either action on a closed case is recorded with a ``warning`` and changes
  nothing (``settled_amount`` 0 for a crediting). So a second cancellation of
  a cancelled case is harmless.

The locale keys in ``status_reason_locale`` are the sandbox's own.
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
from ._lifecycle import CREDITING_SETTLED, CaseRecord, capital_style, stamp
from ._schema import Issues, validate_cancellation, validate_crediting
from ._writes import WriteContext, Writer

__all__ = [
    "CANCELLED",
    "CASE_CLOSED",
    "CREDITED_IN_PART",
    "CancellationWriter",
    "CreditingWriter",
]

#: ``status_reason_locale`` of a cancellation that closed its case.
CANCELLED = "creditor_cancellation.case_cancelled"
#: ``status_reason_locale`` of an action on a case that had closed already.
CASE_CLOSED = "creditor_action.case_already_closed"
#: ``status_reason_locale`` of a crediting of more than the case's remaining capital.
CREDITED_IN_PART = "creditor_crediting.amount_exceeds_remaining_capital"

_ANSWER_FIELDS = ("_updated", "_created", "_etag", "_id")
_CASE_FIELDS = ("case_invoice_number", "case_reference_number")


class _ActionWriter(Writer):
    """What both actions share: finding the case, storing the action, answering."""

    collection: str
    #: The action's own fields of the answer, besides the case fields.
    answer_fields: tuple[str, ...]

    def __init__(self, context: WriteContext, documents: Documents) -> None:
        super().__init__(context)
        self._documents = documents

    def _target(self, account_id: str, body: Mapping[str, Any], issues: Issues) -> CaseRecord:
        """The case the action names, or a 422 ``ApiError`` with every issue."""
        self._accounts.check_account(account_id, body, issues)
        scoped = {**body, "account": body.get("account", account_id)}
        creditor = self._accounts.check_creditor(scoped, issues)
        record = self.case_of(body, creditor, issues) if creditor else None
        if issues or record is None:
            raise ApiError(422, insertion_failure(1), issues=issues)
        return record

    def _new(self, body: Mapping[str, Any], record: CaseRecord, now: datetime) -> dict[str, Any]:
        """The stored form of an action on ``record``, before its outcome is known."""
        doc: dict[str, Any] = copy.deepcopy(dict(body))
        if "client_registration_date" in doc:
            doc["client_registration_date"] = parse_http_date(doc["client_registration_date"])
        doc["_id"] = self._ids.object_id(now)
        doc["_created"] = now
        doc["account"] = record.account
        doc["case"] = record.id
        doc["case_invoice_number"] = record.doc["debt"]["invoice_number"]
        doc["case_reference_number"] = record.doc["reference_number"]
        return doc

    def _store(self, doc: dict[str, Any], now: datetime, keep: bool) -> dict[str, Any]:
        """Stamp and (with ``keep``) store the action; returns its ``201`` answer."""
        stamp(doc, now, algorithm="sha1")
        self._created[self.collection] += 1
        if keep:
            self._documents.add(doc)
        answer: dict[str, Any] = {field: doc[field] for field in _ANSWER_FIELDS}
        answer["_status"] = "OK"
        answer.update({field: doc[field] for field in (*self.answer_fields, *_CASE_FIELDS)})
        return answer


class CreditingWriter(_ActionWriter):
    """Checks, stores and applies creditings; the caller holds the lock and has caught up."""

    collection = "creditor--creditings"
    answer_fields = ("_payment_status", "status", "status_reason_locale", "settled_amount")

    def credit(
        self, account_id: str, body: Mapping[str, Any], *, now: datetime, keep: bool
    ) -> dict[str, Any]:
        """Check, store and apply one crediting; returns the answer. Raises ``ApiError``."""
        issues = validate_crediting(body)
        record = self._target(account_id, body, issues)
        if body["currency"] != record.doc["currency"]:
            issues["currency"] = f"must be the case currency {record.doc['currency']}"
            raise ApiError(422, insertion_failure(1), issues=issues)
        doc = self._new(body, record, now)
        amount = Decimal(body["amount"])
        if record.is_closed:
            settled, reason = Decimal(0), CASE_CLOSED
        else:
            settled = self._lifecycle.apply_crediting(record, doc, now)
            reason = CREDITING_SETTLED if settled == amount else CREDITED_IN_PART
        doc.update(
            _payment_status="completed",
            status="completed" if reason == CREDITING_SETTLED else "warning",
            status_reason_locale=reason,
            settled_amount=capital_style(settled),
        )
        return self._store(doc, now, keep)


class CancellationWriter(_ActionWriter):
    """Checks, stores and applies cancellations; the caller holds the lock and has caught up."""

    collection = "creditor--cancellations"
    answer_fields = ("_cancellation_status", "status", "status_reason_locale")

    def cancel(
        self, account_id: str, body: Mapping[str, Any], *, now: datetime, keep: bool
    ) -> dict[str, Any]:
        """Check, store and apply one cancellation; returns the answer. Raises ``ApiError``."""
        record = self._target(account_id, body, validate_cancellation(body))
        doc = self._new(body, record, now)
        closed_before = record.is_closed
        if not closed_before:
            self._lifecycle.cancel(record, now)
        doc.update(
            _cancellation_status="completed",
            status="warning" if closed_before else "completed",
            status_reason_locale=CASE_CLOSED if closed_before else CANCELLED,
        )
        return self._store(doc, now, keep)
