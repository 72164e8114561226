"""``POST /invoice--registrations``: an invoice Amili sends, and the case it opens.

An invoice registration stores itself and opens one case (its id in the
answer's ``_case``). Simulated, because the docs leave it open: the case's
capital is the invoice's total with VAT (each ``matrix`` row's
``total_price_excluding_vat`` plus its ``unit_vat_percent``, to the öre); it
starts in state and status ``invoice`` and moves to ``reminder`` at the
invoice's due date, then to ``debt_collection`` as any reminder case does.
The customer is the same customer (and debtor) as a case registration's with
the same identity number.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .._serde import parse_http_date
from ._collections import Documents
from ._errors import ApiError, insertion_failure
from ._lifecycle import CaseRecord, invoice_case, new_case, stamp
from ._registrations import RegistrationWriter
from ._schema import validate_invoice_registration
from ._writes import WriteContext, Writer

__all__ = ["InvoiceWriter", "invoice_total"]

_DATE_FIELDS = ("invoice_date", "invoice_delivery_date", "invoice_due_date")
_ANSWER_FIELDS = ("_updated", "_created", "_etag", "_id", "_case")
_CENT = Decimal("0.01")


def invoice_total(matrix: list[Mapping[str, Any]]) -> Decimal:
    """The invoice's total with VAT: what its case claims."""
    total = Decimal(0)
    for row in matrix:
        price = Decimal(row["total_price_excluding_vat"])
        rate = Decimal(str(row["unit_vat_percent"]).removesuffix("%"))
        total += (price + price * rate / Decimal(100)).quantize(_CENT, ROUND_HALF_UP)
    return total


class InvoiceWriter(Writer):
    """Checks and stores invoice registrations; the caller holds the lock and has caught up."""

    def __init__(
        self,
        context: WriteContext,
        invoices: Documents,
        registrations: RegistrationWriter,
        *,
        reference_rate: Decimal,
    ) -> None:
        super().__init__(context)
        self._invoices = invoices
        self._registrations = registrations
        self._reference_rate = reference_rate

    def register(
        self, account_id: str, body: Mapping[str, Any], *, now: datetime, keep: bool
    ) -> dict[str, Any]:
        """Check and store one invoice registration and open its case. Raises ``ApiError``."""
        issues = validate_invoice_registration(body)
        self.check_scope(account_id, body, issues)
        if issues:
            raise ApiError(422, insertion_failure(1), issues=issues)
        doc: dict[str, Any] = copy.deepcopy(dict(body))
        for key in _DATE_FIELDS:
            if key in doc:
                doc[key] = parse_http_date(doc[key])
        doc["_id"] = self._ids.object_id(now)
        doc["_created"] = now
        record = self._open_case(doc, now, keep)
        doc["_case"] = record.id
        stamp(doc, now, algorithm="sha1")
        self._created["invoice--registrations"] += 1
        self._created["cases"] += 1
        if keep:
            self._invoices.add(doc)
            self._cases.add(record)
            self._lifecycle.start_invoice(record, doc["invoice_due_date"])
        answer: dict[str, Any] = {field: doc[field] for field in _ANSWER_FIELDS}
        answer["_status"] = "OK"
        return answer

    def _open_case(self, doc: dict[str, Any], now: datetime, keep: bool) -> CaseRecord:
        customer = doc["customer"]
        identity = customer.get("id_number") or f"foreign:{customer['name']}"
        customer_id, debtor_id = self._registrations.customer_ids(
            doc["account"], {**customer, "id_number": identity}, now, keep
        )
        creditor = self._accounts.creditor(doc["creditor"])
        invoice_date, due = doc["invoice_date"], doc["invoice_due_date"]
        debt = {
            "invoice_number": doc["invoice_number"],
            "debt_description": doc["debt_description"],
            "invoice_date": invoice_date,
            "capital_to_claim": invoice_total(doc["matrix"]),
            "invoice_due_days_after_invoice_date": (due.date() - invoice_date.date()).days,
            "payout_reference": doc.get("payout_reference", doc["invoice_number"]),
        }
        registration = {
            **doc,
            "first_action": "reminder",
            "customer": {**customer, "id_number": customer.get("id_number", "")},
        }
        record = new_case(
            ids=self._ids,
            now=now,
            registration=registration,
            debt=debt,
            creditor_name=creditor.name,
            agreement_version=creditor.agreement_version,
            customer_id=customer_id,
            debtor_id=debtor_id,
            reference_rate=self._reference_rate,
        )
        record.doc["invoice_registration"] = record.doc.pop("case_registration")
        if "reference_number" in doc:
            record.doc["reference_number"] = doc["reference_number"]
        invoice_case(record, invoice_date, due)
        return record
