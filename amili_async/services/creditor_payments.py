"""``/creditor--payments``: payments the customer made straight to the creditor."""

from __future__ import annotations

from ..models._base import parse_request
from ..models._input import NewCreditorPaymentDict
from ..models.creditor_payment import CreditorPayment, NewCreditorPayment
from ._base import ReadableResource, TimeoutArg, log_business_outcome

__all__ = ["CreditorPayments"]


class CreditorPayments(ReadableResource[CreditorPayment]):
    """Register creditor payments and read them back."""

    path = "/creditor--payments"
    model = CreditorPayment

    async def create(
        self,
        payment: NewCreditorPayment | NewCreditorPaymentDict,
        *,
        timeout: TimeoutArg = None,
        deadline: float | None = None,
    ) -> CreditorPayment:
        """Register a payment; validated before anything is sent.

        When the answer is lost on the way back, the SDK looks the payment up
        by its ``creditor_payment_reference`` before sending it again. Without
        a reference it cannot tell the payment from an identical one, so it
        raises :class:`~amili_async.errors.OutcomeUnknownError` instead of
        risking a second booking.

        A ``201`` answer can still carry a business ``status`` of ``warning``
        or ``error`` (see :class:`~amili_async.CreditorPayment`): the payment
        is returned as recorded, a warning is logged on the ``amili_async``
        logger, and the caller should check ``payment.needs_attention`` and
        ``payment.status_reason_locale`` rather than send it again.
        """
        new = parse_request(NewCreditorPayment, payment)
        reference = new.creditor_payment_reference

        async def find_existing() -> CreditorPayment | None:
            where = {"creditor": new.creditor, "creditor_payment_reference": reference}
            return await self._find_first(
                where, lambda stored: stored.creditor_payment_reference == reference, timeout
            )

        created, _ = await self._create(
            new, find_existing if reference is not None else None, timeout, deadline
        )
        log_business_outcome(
            "creditor payment",
            created,
            "check it and settle any difference with Amili, do not send it again",
        )
        return created
