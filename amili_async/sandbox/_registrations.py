"""``POST /case--registrations``: what the API checks, and what a registration stores.

A registration stores itself and opens one case per debt; the same person
registered twice under one account is the same customer (and, across
accounts, the same debtor). A debt's invoice number is unique per creditor,
checked like Eve's ``unique`` rule: against what is stored (not between the
documents of one list POST, as Eve does), answered as a 422 whose nested
``_issues`` say ``"value 'INV-1' is not unique"`` at ``debts.N.invoice_number``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from .._serde import parse_http_date
from .._validation import compact_id_number
from ._collections import Documents
from ._creditor_writes import INACTIVE_CREDITOR
from ._customers import CustomerBook
from ._errors import ApiError, insertion_failure, nested_issues
from ._lifecycle import CaseRecord, new_case, stamp
from ._schema import Issues, validate_registration
from ._writes import WriteContext, Writer

__all__ = ["RegistrationWriter", "registration_bodies"]

#: What a stored registration answers with (besides ``_status``).
_ANSWER_FIELDS = ("_updated", "_created", "_etag", "_id")
_ANSWER_LISTS = ("_cases", "_ocr_numbers", "_ocr_numbers_ocr")


def registration_bodies(body: Any) -> tuple[list[dict[str, Any]], bool]:
    """The registrations in a request body (an object, or a list of them) and whether it was a list.

    Raises a 400 ``ApiError`` for anything else.
    """
    bulk = isinstance(body, list)
    docs = body if bulk else [body]
    if not docs or not all(isinstance(doc, dict) for doc in docs):
        raise ApiError(400, "The request body must be a JSON object (or a list of them)")
    return docs, bulk


class RegistrationWriter(Writer):
    """Checks and stores case registrations; the caller holds the lock and has caught up."""

    def __init__(
        self,
        context: WriteContext,
        registrations: Documents,
        *,
        customers: CustomerBook,
        reference_rate: Decimal,
    ) -> None:
        super().__init__(context)
        self._registrations = registrations
        self._customers = customers
        self._reference_rate = reference_rate
        self._debtors: dict[str, str] = {}
        #: (creditor, invoice number) of every stored debt.
        self._invoices: set[tuple[str, str]] = set()

    def clear(self) -> None:
        """Forget which debtors and invoice numbers were seen (the customers are the state's)."""
        self._debtors.clear()
        self._invoices.clear()

    def register(
        self,
        account_id: str,
        docs: list[dict[str, Any]],
        *,
        bulk: bool,
        now: datetime,
        keep: bool,
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Check every registration, then store them all (or none): the answer and the documents.

        A list of several answers in Eve's bulk shape (``_items``); a list of
        one answers like a single document, as Eve does. ``keep=False``
        answers as if stored but stores nothing. Raises ``ApiError``.
        """
        bulk = bulk and len(docs) > 1
        problems = [self._issues(account_id, doc) for doc in docs]
        failed = sum(1 for issues in problems if issues)
        if failed:
            if not bulk:
                raise ApiError(422, insertion_failure(1), issues=problems[0])
            items = [
                {"_status": "ERR", "_issues": nested_issues(issues)}
                if issues
                else {"_status": "OK"}
                for issues in problems
            ]
            raise ApiError(422, insertion_failure(failed), extra={"_items": items})
        stored = [self._create(doc, now, keep) for doc in docs]
        answers = [_answer(doc) for doc in stored]
        if bulk:
            return {"_status": "OK", "_items": answers}, stored
        return answers[0], stored

    def _issues(self, account_id: str, doc: Mapping[str, Any]) -> Issues:
        issues = validate_registration(doc)
        creditor = self.check_scope(account_id, doc, issues)
        if creditor is not None and not self._accounts.is_active(creditor.id):
            issues["creditor"] = INACTIVE_CREDITOR.format(creditor.id)
        elif creditor is not None:
            self._check_unique(creditor.id, doc.get("debts"), issues)
        return issues

    def _check_unique(self, creditor_id: str, debts: Any, issues: Issues) -> None:
        """Eve's ``unique`` rule on each debt's invoice number, per creditor."""
        if not isinstance(debts, list):
            return
        for position, debt in enumerate(debts):
            number = debt.get("invoice_number") if isinstance(debt, dict) else None
            if isinstance(number, str) and (creditor_id, number) in self._invoices:
                issues.setdefault(
                    f"debts.{position}.invoice_number", f"value '{number}' is not unique"
                )

    def _create(self, body: Mapping[str, Any], now: datetime, keep: bool) -> dict[str, Any]:
        doc = _stored_form(body)
        doc["_id"] = self._ids.object_id(now)
        doc["_created"] = now
        records = self._open_cases(doc, now, keep)
        doc["_cases"] = [record.id for record in records]
        doc["_ocr_numbers"] = [self._ids.object_id(now) for _ in records]
        doc["_ocr_numbers_ocr"] = [self._ids.ocr_number(now) for _ in records]
        stamp(doc, now, algorithm="sha1")
        self._created["case--registrations"] += 1
        self._created["cases"] += len(records)
        if keep:
            self._registrations.add(doc)
            self._invoices.update(
                (doc["creditor"], debt["invoice_number"]) for debt in doc["debts"]
            )
            for record in records:
                self._cases.add(record)
                self._lifecycle.start(record)
        return doc

    def customer_ids(
        self, account: str, customer: Mapping[str, Any], now: datetime, keep: bool
    ) -> tuple[str, str]:
        """The customer id (per account) and debtor id (across accounts) of ``customer``.

        The same person registered again (its identity number compacted) is the
        same customer; with ``keep`` a new one is remembered.
        """
        id_number = compact_id_number(customer["id_number"])
        customer_id = self._customers.customer_id(account, customer, now, keep=keep)
        debtor_id = self._debtors.get(id_number) or self._ids.object_id(now)
        if keep:
            self._debtors[id_number] = debtor_id
        return customer_id, debtor_id

    def _open_cases(self, doc: dict[str, Any], now: datetime, keep: bool) -> list[CaseRecord]:
        """One new case per debt, for the registration's customer (and debtor)."""
        creditor = self._accounts.creditor(doc["creditor"])
        customer_id, debtor_id = self.customer_ids(doc["account"], doc["customer"], now, keep)
        return [
            new_case(
                ids=self._ids,
                now=now,
                registration=doc,
                debt=debt,
                creditor_name=self._accounts.creditor_name(creditor.id),
                agreement_version=creditor.agreement_version,
                customer_id=customer_id,
                debtor_id=debtor_id,
                reference_rate=self._reference_rate,
            )
            for debt in doc["debts"]
        ]


def _stored_form(body: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of the request body with its dates parsed."""
    doc: dict[str, Any] = copy.deepcopy(dict(body))
    for debt in doc["debts"]:
        debt["invoice_date"] = parse_http_date(debt["invoice_date"])
        reminder = debt.get("fees_already_claimed", {}).get("reminder")
        if reminder is not None:
            reminder["fee_registration_date"] = parse_http_date(reminder["fee_registration_date"])
    return doc


def _answer(doc: Mapping[str, Any]) -> dict[str, Any]:
    """What ``POST /case--registrations`` answers for one stored registration."""
    answer: dict[str, Any] = {field: doc[field] for field in _ANSWER_FIELDS}
    answer["_status"] = "OK"
    answer.update({field: list(doc[field]) for field in _ANSWER_LISTS})
    return answer
