"""Bad input is refused with a typed error naming each field, before anything is sent."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import respx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import example

from amili_async import (
    Address,
    AmiliClient,
    Customer,
    NewCaseRegistration,
    NewCreditorPayment,
    RequestValidationError,
)
from amili_async._validation import check_swedish_id_number
from amili_async.models._base import parse_request


def registration(**changes: Any) -> dict[str, Any]:
    body = example("01-case-registration.request.json")
    body.update(changes)
    return body


@pytest.mark.parametrize(
    "id_number",
    ["5560269986", "556026-9986", "198112189876", "811218-9876", "8112189876"],
)
def test_valid_swedish_numbers(id_number: str) -> None:
    assert check_swedish_id_number(id_number) is None


@pytest.mark.parametrize(
    ("id_number", "reason"),
    [
        ("5560269987", "check digit"),
        ("12345", "10 or 12 digits"),
        ("19811318987X", "only digits"),
        ("8113189875", "date of birth"),
    ],
)
def test_invalid_swedish_numbers(id_number: str, reason: str) -> None:
    message = check_swedish_id_number(id_number)
    assert message is not None
    assert reason in message


def test_documented_request_is_valid() -> None:
    model = parse_request(NewCaseRegistration, registration())
    assert model.debts[0].capital_to_claim == Decimal("2000.0")
    assert model.customer.address.country == "SE"


def test_every_bad_field_is_named_at_once() -> None:
    body = registration(currency="SEKK")
    body["customer"]["id_number"] = "5560269987"
    body["customer"]["address"]["country"] = "XX"
    body["debts"][0]["capital_to_claim"] = -5
    body["debts"].append({"invoice_number": "INV-2"})
    with pytest.raises(RequestValidationError) as caught:
        parse_request(NewCaseRegistration, body)
    issues = caught.value.issues
    assert "customer.address.country" in issues
    assert "debts.0.capital_to_claim" in issues
    assert "greater than 0" in issues["debts.0.capital_to_claim"]
    assert issues["debts.1.debt_description"] == "required field is missing"
    assert isinstance(caught.value, ValueError)


def test_checksum_and_currency_reported_when_nested_objects_are_valid() -> None:
    body = registration(currency="SEKK")
    with pytest.raises(RequestValidationError) as caught:
        parse_request(NewCaseRegistration, body)
    assert "ISO 4217" in caught.value.issues["currency"]
    body = registration()
    body["customer"]["id_number"] = "5560269987"
    with pytest.raises(RequestValidationError) as caught:
        parse_request(NewCaseRegistration, body)
    assert "check digit" in caught.value.issues["customer.id_number"]
    assert "5560269987" not in str(caught.value)


def test_wrong_json_types_are_refused_not_coerced() -> None:
    body = registration()
    body["customer"]["name"] = 12345
    body["customer"]["is_company"] = "yes"
    body["debts"][0]["invoice_due_days_after_invoice_date"] = "31"
    with pytest.raises(RequestValidationError) as caught:
        parse_request(NewCaseRegistration, body)
    assert caught.value.issues == {
        "customer.name": "expected a string, got int",
        "customer.is_company": "expected true or false, got 'yes'",
        "debts.0.invoice_due_days_after_invoice_date": "expected a whole number, got '31'",
    }


def test_empty_debts_and_duplicate_invoice_numbers() -> None:
    with pytest.raises(RequestValidationError) as caught:
        parse_request(NewCaseRegistration, registration(debts=[]))
    assert caught.value.issues == {"debts": "at least one debt is required"}
    body = registration()
    body["debts"].append(dict(body["debts"][0]))
    with pytest.raises(RequestValidationError) as caught:
        parse_request(NewCaseRegistration, body)
    assert "debts.1.invoice_number" in caught.value.issues


def test_models_validate_when_built_directly() -> None:
    with pytest.raises(RequestValidationError) as caught:
        Customer(
            name="",
            id_number="8112189876",
            is_company=False,
            address=Address(address_line_1="a", zip_code="1", city="c"),
            mobile_number="0709",
        )
    assert set(caught.value.issues) == {"name", "mobile_number"}
    with pytest.raises(RequestValidationError, match="ISO 3166"):
        Address(address_line_1="a", zip_code="1", city="c", country="Sweden")


def test_payment_needs_exactly_one_of_case_and_invoice_number() -> None:
    common: dict[str, Any] = {
        "account": "a",
        "creditor": "c",
        "amount": Decimal("10"),
        "bank_transaction_date": datetime(2025, 9, 3, tzinfo=UTC),
    }
    with pytest.raises(RequestValidationError, match="exactly one"):
        NewCreditorPayment(**common)
    with pytest.raises(RequestValidationError, match="exactly one"):
        NewCreditorPayment(**common, case="x", invoice_number="y")
    with pytest.raises(RequestValidationError) as caught:
        NewCreditorPayment(**{**common, "amount": Decimal("0")}, case="x", origin="bank")
    assert set(caught.value.issues) == {"amount", "origin"}
    with pytest.raises(RequestValidationError) as caught:
        NewCreditorPayment(**{**common, "bank_transaction_date": datetime(2025, 9, 3)}, case="x")
    assert "timezone-aware" in caught.value.issues["bank_transaction_date"]


@pytest.mark.anyio
async def test_nothing_is_sent_for_bad_input(
    api: respx.MockRouter, respx_client: AmiliClient
) -> None:
    route = api.post("/case--registrations").respond(201, json={})
    with pytest.raises(RequestValidationError):
        await respx_client.case_registrations.create(registration(debts=[]))
    with pytest.raises(RequestValidationError):
        await respx_client.case_registrations.create("not a mapping")  # type: ignore[arg-type]
    assert not route.called


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12) | st.decimals(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def _mutations() -> st.SearchStrategy[dict[str, Any]]:
    paths = [
        ("account",),
        ("currency",),
        ("first_action",),
        ("customer",),
        ("customer", "id_number"),
        ("customer", "is_company"),
        ("customer", "address"),
        ("customer", "address", "country"),
        ("debts",),
        ("debts", 0),
        ("debts", 0, "capital_to_claim"),
        ("debts", 0, "invoice_date"),
        ("debts", 0, "invoice_due_days_after_invoice_date"),
    ]

    def mutate(path: tuple[str | int, ...], value: Any, delete: bool) -> dict[str, Any]:
        body = registration()
        target: Any = body
        for step in path[:-1]:
            target = target[step]
        if delete and isinstance(target, dict):
            target.pop(path[-1], None)
        else:
            target[path[-1]] = value
        return body

    return st.builds(mutate, st.sampled_from(paths), json_values, st.booleans())


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(_mutations())
def test_fuzzed_registrations_raise_only_typed_errors(body: dict[str, Any]) -> None:
    issues: dict[str, str] = {}
    try:
        model = parse_request(NewCaseRegistration, body)
    except RequestValidationError as error:
        issues = error.issues
    else:
        assert model.debts
        return
    assert issues
    assert all(isinstance(reason, str) and reason for reason in issues.values())


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "account",
                "creditor",
                "amount",
                "case",
                "currency",
                "bank_transaction_date",
                "origin",
                "invoice_number",
            ]
        ),
        json_values,
        max_size=8,
    )
)
def test_fuzzed_payments_raise_only_typed_errors(body: dict[str, Any]) -> None:
    with pytest.raises(RequestValidationError):
        parse_request(NewCreditorPayment, body | {"amount": body.get("amount", "x")})
