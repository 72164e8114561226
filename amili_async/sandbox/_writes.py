"""What every write of the sandbox works on, handed to each writer as one object."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

import attrs

from ._accounts import Accounts, SandboxCreditor
from ._collections import Cases
from ._errors import missing_relation
from ._ids import IdFactory
from ._lifecycle import CaseRecord, Lifecycle
from ._schema import Issues

__all__ = ["WriteContext", "Writer"]


@attrs.frozen
class WriteContext:
    """The parts of :class:`~._state.SandboxState` that registrations and payments share.

    ``created`` counts the documents created per collection, stored or not.
    """

    ids: IdFactory
    accounts: Accounts
    cases: Cases
    lifecycle: Lifecycle
    created: Counter[str]


class Writer:
    """Base of the writers: unpacks the shared :class:`WriteContext`.

    A writer's methods run with the state's lock held and the life cycle caught up.
    """

    def __init__(self, context: WriteContext) -> None:
        self._ids = context.ids
        self._accounts = context.accounts
        self._cases = context.cases
        self._lifecycle = context.lifecycle
        self._created = context.created

    def check_scope(
        self, account_id: str, doc: Mapping[str, Any], issues: Issues
    ) -> SandboxCreditor | None:
        """Check ``doc``'s account and creditor, and that the creditor takes its currency."""
        self._accounts.check_account(account_id, doc, issues)
        creditor = self._accounts.check_creditor(doc, issues)
        currency = doc.get("currency")
        if (
            creditor is not None
            and "currency" not in issues
            and currency not in creditor.currencies
        ):
            allowed = ", ".join(creditor.currencies)
            issues["currency"] = f"unallowed value {currency} (this creditor registers {allowed})"
        return creditor

    def case_of(
        self, body: Mapping[str, Any], creditor: SandboxCreditor, issues: Issues
    ) -> CaseRecord | None:
        """The case a creditor action names, by ``case`` or ``invoice_number``; else an issue.

        By invoice number: the creditor's one open case with that number (a
        closed one when none is open); several open ones are an issue.
        """
        case_id = body.get("case")
        if isinstance(case_id, str) and "case" not in issues and "invoice_number" not in issues:
            return self._case_by_id(case_id, creditor, issues)
        invoice = body.get("invoice_number")
        if isinstance(invoice, str) and "invoice_number" not in issues and "case" not in issues:
            return self._case_by_invoice(invoice, creditor, issues)
        return None

    def _case_by_id(
        self, case_id: str, creditor: SandboxCreditor, issues: Issues
    ) -> CaseRecord | None:
        record = self._cases.records.get(case_id)
        if record is None or record.account != creditor.account_id:
            issues["case"] = missing_relation(case_id, "cases")
            return None
        if record.doc["creditor"] != creditor.id:
            issues["case"] = f"case '{case_id}' does not belong to creditor '{creditor.id}'"
            return None
        return record

    def _case_by_invoice(
        self, invoice: str, creditor: SandboxCreditor, issues: Issues
    ) -> CaseRecord | None:
        found = [
            record
            for record in self._cases.records.values()
            if record.doc["creditor"] == creditor.id
            and record.doc["debt"]["invoice_number"] == invoice
        ]
        open_cases = [record for record in found if not record.is_closed]
        if len(open_cases) > 1:
            issues["invoice_number"] = (
                f"{len(open_cases)} open cases have invoice number '{invoice}'; "
                "name the case with 'case' instead"
            )
            return None
        if open_cases or found:
            return (open_cases or found)[0]
        issues["invoice_number"] = f"no case with invoice number '{invoice}' for this creditor"
        return None
