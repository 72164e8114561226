"""``/invoice--registrations``: invoices Amili sends and, if unpaid, collects (full service)."""

from __future__ import annotations

from typing import Any

from ..models._input import NewInvoiceRegistrationDict
from ..models.invoice_registration import InvoiceRegistration, NewInvoiceRegistration
from ._actions import ActionResource, action_key
from ._base import TimeoutArg

__all__ = ["InvoiceRegistrations"]


class InvoiceRegistrations(
    ActionResource[NewInvoiceRegistration, NewInvoiceRegistrationDict, InvoiceRegistration]
):
    """Register invoices and read them back."""

    path = "/invoice--registrations"
    model = InvoiceRegistration
    request_model = NewInvoiceRegistration
    noun = "invoice registration"
    missing_key = ("invoice_number", "required")

    async def create(
        self,
        invoice: NewInvoiceRegistration | NewInvoiceRegistrationDict,
        *,
        timeout: TimeoutArg = None,
    ) -> InvoiceRegistration:
        """Register an invoice; validated before anything is sent.

        The answer's ``case`` is the case the invoice opened: use it for every
        later action. When the answer is lost on the way back, the SDK looks
        the invoice up by creditor and invoice number before sending it
        again, so an invoice is never registered twice.
        """
        created, _ = await self._create_action(invoice, timeout)
        return created

    def _lookup(self, new: NewInvoiceRegistration) -> tuple[dict[str, Any], str]:
        where = {"creditor": new.creditor, "invoice_number": new.invoice_number}
        return where, action_key(self.path, new.creditor, new.invoice_number)

    def _matches(self, new: NewInvoiceRegistration, stored: InvoiceRegistration) -> bool:
        return stored.invoice_number == new.invoice_number
