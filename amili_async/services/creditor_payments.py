"""``/creditor--payments``: payments the customer made straight to the creditor."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from .._pipeline import RequestSpec
from .._serde import converter
from ..models._base import parse_request
from ..models.creditor_payment import CreditorPayment, NewCreditorPayment
from ._base import ReadableResource, TimeoutArg

__all__ = ["CreditorPayments"]

logger = logging.getLogger("amili_async")


class CreditorPayments(ReadableResource[CreditorPayment]):
    """Register creditor payments and read them back."""

    path = "/creditor--payments"
    model = CreditorPayment

    async def create(
        self,
        payment: NewCreditorPayment | Mapping[str, Any],
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
            async for stored in self.list(where=where, max_results=50, timeout=timeout):
                if stored.creditor_payment_reference == reference:
                    return stored
            return None

        spec = RequestSpec(
            "POST",
            self.path,
            json=converter.unstructure(new),
            reconcile=find_existing if reference is not None else None,
        )
        result = await self._send(spec, timeout, deadline)
        if result.existing is not None:
            created: CreditorPayment = result.existing
        else:
            created, _ = await self._parse_answer(spec, result)
        if created.needs_attention:
            logger.warning(
                "creditor payment %s was recorded with status %r (%s); check it and settle "
                "any difference with Amili, do not send it again",
                created.id,
                str(created.status),
                created.status_reason_locale or "no reason given",
            )
        return created
