"""Creditor actions refuse what the case flow refuses: lone surrogates, naive or absurd dates."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from amili_async import NewCreditorCancellation, NewCreditorCrediting, RequestValidationError

ACCOUNT = "674dbeaf08847b9501cc9132"
CREDITOR = "674dbeb208847b9501cc9138"
CASE = "68b7f49c7b02934caddab092"


def test_a_lone_surrogate_in_a_crediting_is_refused() -> None:
    with pytest.raises(RequestValidationError) as caught:
        NewCreditorCrediting(
            account=ACCOUNT,
            creditor=CREDITOR,
            amount=Decimal("100.00"),
            case=CASE,
            creditor_reference="CR-\ud800",
        )
    assert "creditor_reference" in caught.value.issues


def test_a_lone_surrogate_in_a_cancellation_is_refused() -> None:
    with pytest.raises(RequestValidationError) as caught:
        NewCreditorCancellation(creditor=CREDITOR, invoice_number="INV-\udfff")
    assert "invoice_number" in caught.value.issues


@pytest.mark.parametrize("when", [datetime(2025, 9, 3), datetime(9999, 12, 31)])
def test_a_naive_or_absurd_registration_date_on_a_crediting_is_refused(when: datetime) -> None:
    with pytest.raises(RequestValidationError) as caught:
        NewCreditorCrediting(
            account=ACCOUNT,
            creditor=CREDITOR,
            amount=Decimal("100.00"),
            case=CASE,
            client_registration_date=when,
        )
    assert "client_registration_date" in caught.value.issues
