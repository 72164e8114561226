"""``/creditor--creditings``: credit a whole case, a whole invoice, or part of one."""

from __future__ import annotations

from typing import Any

from ..models._input import NewCreditorCreditingDict
from ..models.creditor_crediting import CreditorCrediting, NewCreditorCrediting
from ._actions import ActionResource, action_key
from ._base import TimeoutArg

__all__ = ["CreditorCreditings"]


class CreditorCreditings(
    ActionResource[NewCreditorCrediting, NewCreditorCreditingDict, CreditorCrediting]
):
    """Credit cases and read creditings back."""

    path = "/creditor--creditings"
    model = CreditorCrediting
    request_model = NewCreditorCrediting
    noun = "creditor crediting"
    advice = (
        "read the case back to see what was credited and settle any difference with Amili, "
        "do not send it again"
    )
    missing_key = (
        "creditor_reference",
        "required in a bulk job: it is how a lost answer or a rerun finds the crediting, "
        "so that it is never credited twice",
    )

    async def create(
        self,
        crediting: NewCreditorCrediting | NewCreditorCreditingDict,
        *,
        timeout: TimeoutArg = None,
    ) -> CreditorCrediting:
        """Credit a case (or an invoice, by ``invoice_number``); validated before anything is sent.

        When the answer is lost on the way back, the SDK looks the crediting
        up by its ``creditor_reference`` before sending it again. Without a
        reference it cannot tell the crediting from an identical one, so it
        raises :class:`~amili_async.errors.OutcomeUnknownError` instead of
        risking a second crediting.

        A ``201`` answer can still carry a business ``status`` of ``warning``
        (for instance more was credited than the case still owed:
        ``settled_amount`` says what was credited) or ``error`` (see
        :class:`~amili_async.CreditorCrediting`): the crediting is returned as
        recorded, a warning is logged on the ``amili_async`` logger, and the
        caller should check ``crediting.needs_attention`` and read the case
        back rather than send it again.
        """
        created, _ = await self._create_action(crediting, timeout)
        return created

    def _lookup(self, new: NewCreditorCrediting) -> tuple[dict[str, Any], str] | None:
        reference = new.creditor_reference
        if reference is None:
            return None
        where = {"creditor": new.creditor, "creditor_reference": reference}
        return where, action_key(self.path, new.creditor, reference)

    def _matches(self, new: NewCreditorCrediting, stored: CreditorCrediting) -> bool:
        return stored.creditor_reference == new.creditor_reference
