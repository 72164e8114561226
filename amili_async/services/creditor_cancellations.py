"""``/creditor--cancellations``: stop all further processing of a case or invoice."""

from __future__ import annotations

from typing import Any

from ..models._input import NewCreditorCancellationDict
from ..models.creditor_cancellation import CreditorCancellation, NewCreditorCancellation
from ._actions import ActionResource, action_key
from ._base import TimeoutArg

__all__ = ["CreditorCancellations"]


class CreditorCancellations(
    ActionResource[NewCreditorCancellation, NewCreditorCancellationDict, CreditorCancellation]
):
    """Cancel cases and read cancellations back."""

    path = "/creditor--cancellations"
    model = CreditorCancellation
    request_model = NewCreditorCancellation
    noun = "creditor cancellation"
    advice = "read the case back to see why (it may have closed already); nothing to re-send"
    missing_key = ("case", "give 'case' or 'invoice_number'")

    async def create(
        self,
        cancellation: NewCreditorCancellation | NewCreditorCancellationDict,
        *,
        timeout: TimeoutArg = None,
    ) -> CreditorCancellation:
        """Cancel a case (or an invoice, by ``invoice_number``); validated before sending.

        When the answer is lost on the way back, the SDK looks for a
        cancellation of the same case (or invoice number) by the same
        creditor before sending again; since cancelling a cancelled case
        changes nothing, finding an earlier one is as good as a new one.

        ``status`` is ``completed`` or ``warning`` (the API has no ``error``
        status for cancellations). A ``warning``, typically because the case
        had already closed, is logged on the ``amili_async`` logger and
        returned: read the case back to see why it closed; there is nothing
        to re-send.
        """
        created, _ = await self._create_action(cancellation, timeout)
        return created

    def _lookup(self, new: NewCreditorCancellation) -> tuple[dict[str, Any], str]:
        if new.case is not None:
            where: dict[str, Any] = {"creditor": new.creditor, "case": new.case}
            return where, action_key(self.path, new.creditor, "case", new.case)
        number = new.invoice_number or ""
        where = {
            "creditor": new.creditor,
            "$or": [{"invoice_number": number}, {"case_invoice_number": number}],
        }
        return where, action_key(self.path, new.creditor, "invoice_number", number)

    def _matches(self, new: NewCreditorCancellation, stored: CreditorCancellation) -> bool:
        if new.case is not None:
            return stored.case == new.case
        return new.invoice_number in (stored.invoice_number, stored.case_invoice_number)
