"""``/creditor--payments``: payments the customer made straight to the creditor."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._pipeline import RequestSpec
from .._serde import converter
from ..models._base import parse_request
from ..models.creditor_payment import CreditorPayment, NewCreditorPayment
from ._base import ReadableResource, TimeoutArg

__all__ = ["CreditorPayments"]


class CreditorPayments(ReadableResource[CreditorPayment]):
    """Register creditor payments and read them back."""

    path = "/creditor--payments"
    model = CreditorPayment

    async def create(
        self, payment: NewCreditorPayment | Mapping[str, Any], *, timeout: TimeoutArg = None
    ) -> CreditorPayment:
        """Register a payment; validated before anything is sent.

        When the answer is lost on the way back, the SDK looks the payment up
        by its ``creditor_payment_reference`` before sending it again. Without
        a reference it cannot tell the payment from an identical one, so it
        raises :class:`~amili_async.errors.OutcomeUnknownError` instead of
        risking a second booking.
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
        result = await self._send(spec, timeout)
        if result.existing is not None:
            existing: CreditorPayment = result.existing
            return existing
        return self._parse(result.data)
