"""Creditings, cancellations and invoice registrations on the wire (respx): checks and answers.

What is refused is refused before anything is sent; a business warning on a
``201`` is a typed field and a logged warning; a lost answer is looked up by
the action's own key, and without a key it is an ``OutcomeUnknownError``.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx
from hypothesis import given, settings
from hypothesis import strategies as st

from amili_async import (
    Address,
    AmiliClient,
    BusinessStatus,
    CancellationStatus,
    CreditorCancellation,
    CreditorCrediting,
    InvoiceCustomer,
    InvoiceRow,
    NewCreditorCancellation,
    NewCreditorCrediting,
    NewInvoiceRegistration,
    OutcomeUnknownError,
    RequestValidationError,
)
from amili_async.models._base import parse_request

pytestmark = pytest.mark.anyio

ACCOUNT = "674dbeaf08847b9501cc9132"
CREDITOR = "674dbeb208847b9501cc9138"
CASE = "68678eda88b9226bb78d7169"
WHEN = datetime(2025, 7, 4, 8, 20, 41, tzinfo=UTC)


def crediting(**changes: Any) -> dict[str, Any]:
    """The documented crediting example, with a reference."""
    body: dict[str, Any] = {
        "account": ACCOUNT,
        "creditor": CREDITOR,
        "case": CASE,
        "currency": "SEK",
        "amount": Decimal("100.0"),
        "origin": "creditor_system",
        "creditor_reference": "CR-1",
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


def invoice(**changes: Any) -> dict[str, Any]:
    """The documented invoice registration example (RFC 1123 dates as aware datetimes)."""
    body: dict[str, Any] = {
        "customer": {
            "name": "Anna Andersson",
            "customer_number": "C-1",
            "id_number": "8112189876",
            "is_person": True,
            "address": {"address_line_1": "Storgatan 1", "zip_code": "12345", "city": "Sthlm"},
            "mobile_number": "+46709876543",
            "email": "anna@example.se",
        },
        "account": ACCOUNT,
        "creditor": CREDITOR,
        "invoice_type": "invoice",
        "invoice_number": "INV-2024-002",
        "reference_number": "REF002",
        "payout_reference": "PAY002",
        "invoice_date": WHEN,
        "invoice_delivery_date": WHEN,
        "invoice_due_date": WHEN + timedelta(days=30),
        "invoice_headline": "Invoice",
        "invoice_body_text": "Thank you",
        "currency": "SEK",
        "your_contact": "Bo",
        "your_reference": "YR",
        "our_reference": "OR",
        "debt_description": "Consulting",
        "matrix": [
            {
                "article_description": "Consulting hours",
                "unit_price": Decimal(500),
                "total_price_excluding_vat": Decimal(500),
                "unit_vat_percent": "0%",
            }
        ],
    }
    body.update(changes)
    return body


def meta(object_id: str, **extra: Any) -> dict[str, Any]:
    """A ``201`` answer: Eve's meta fields plus ``extra``."""
    return {
        "_updated": "Fri, 04 Jul 2025 14:35:29 GMT",
        "_created": "Fri, 04 Jul 2025 14:35:29 GMT",
        "_etag": "cab1b340f4ea1bacd8bc83ef46a2b6791d23f227",
        "_id": object_id,
        "_status": "OK",
        **extra,
    }


def page(*items: dict[str, Any]) -> dict[str, Any]:
    """One list page holding ``items``."""
    return {"_items": list(items), "_meta": {"total": len(items), "page": 1, "max_results": 50}}


# -- requests: validated before anything is sent ------------------------------------------


def test_the_documented_examples_are_valid() -> None:
    assert parse_request(NewCreditorCrediting, crediting()).amount == Decimal("100.0")
    cancellation = {"creditor": CREDITOR, "case": CASE, "origin": "creditor_system"}
    assert parse_request(NewCreditorCancellation, cancellation).account is None
    new = parse_request(NewInvoiceRegistration, invoice())
    assert new.total_including_vat == Decimal(500)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (crediting(case=None), "case"),
        (crediting(invoice_number="INV-1"), "case"),
        (crediting(amount=Decimal("0")), "amount"),
        (crediting(amount=Decimal("1.005")), "amount"),
        (crediting(amount="a hundred"), "amount"),
        (crediting(origin="elsewhere"), "origin"),
        (crediting(currency="kronor"), "currency"),
        (crediting(creditor_reference="  "), "creditor_reference"),
        (crediting(client_registration_date=datetime(2025, 7, 4)), "client_registration_date"),
    ],
)
def test_bad_creditings_are_refused(body: dict[str, Any], field: str) -> None:
    with pytest.raises(RequestValidationError) as caught:
        parse_request(NewCreditorCrediting, body)
    assert field in caught.value.issues


def test_a_cancellation_names_exactly_one_case() -> None:
    with pytest.raises(RequestValidationError) as caught:
        NewCreditorCancellation(creditor=CREDITOR, case=CASE, invoice_number="INV-1")
    assert "case" in caught.value.issues
    with pytest.raises(RequestValidationError):
        NewCreditorCancellation(creditor=CREDITOR)


@pytest.mark.parametrize(
    ("customer_changes", "field"),
    [
        ({"is_company": True}, "is_person"),
        ({"is_person": False}, "is_person"),
        ({"id_number": "8112189877"}, "id_number"),
        ({"is_person": False, "is_foreign": True}, "address.country"),
    ],
)
def test_an_invoice_customer_is_exactly_one_kind(
    customer_changes: dict[str, Any], field: str
) -> None:
    body = invoice()
    body["customer"] = body["customer"] | customer_changes
    with pytest.raises(RequestValidationError) as caught:
        parse_request(NewInvoiceRegistration, body)
    assert f"customer.{field}" in caught.value.issues


def test_a_foreign_customer_needs_no_swedish_number() -> None:
    customer = InvoiceCustomer(
        name="Ola Nordmann",
        is_foreign=True,
        address=Address(
            address_line_1="Karl Johans gate 1", zip_code="0154", city="Oslo", country="NO"
        ),
    )
    assert customer.id_number is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"invoice_due_date": WHEN - timedelta(days=1)}, "invoice_due_date"),
        ({"invoice_type": "credit_note"}, "invoice_type"),
        ({"matrix": []}, "matrix"),
        ({"invoice_date": datetime(2025, 7, 4)}, "invoice_date"),
    ],
)
def test_bad_invoices_are_refused(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(RequestValidationError) as caught:
        parse_request(NewInvoiceRegistration, invoice(**changes))
    assert field in caught.value.issues


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"total_price_excluding_vat": Decimal(400)}, "total_price_excluding_vat"),
        ({"unit_vat_percent": "25"}, "unit_vat_percent"),
        ({"unit_vat_percent": "125%"}, "unit_vat_percent"),
        ({"number_of_units": Decimal(0)}, "number_of_units"),
    ],
)
def test_bad_invoice_rows_are_refused(row: dict[str, Any], field: str) -> None:
    base = invoice()["matrix"][0]
    with pytest.raises(RequestValidationError) as caught:
        parse_request(InvoiceRow, base | row)
    assert field in caught.value.issues


def test_invoice_rows_add_up_with_vat() -> None:
    row = InvoiceRow(
        article_description="Hours",
        unit_price=Decimal("333.33"),
        number_of_units=Decimal("1.5"),
        total_price_excluding_vat=Decimal("500.00"),
        unit_vat_percent="25%",
    )
    assert row.vat_rate == Decimal(25)
    assert row.total_including_vat == Decimal("625.00")


async def test_refused_requests_send_nothing(
    api: respx.MockRouter, respx_client: AmiliClient
) -> None:
    routes = [
        api.post("/creditor--creditings"),
        api.post("/creditor--cancellations"),
        api.post("/invoice--registrations"),
    ]
    with pytest.raises(RequestValidationError):
        await respx_client.creditor_creditings.create(crediting(amount=Decimal(-1)))
    with pytest.raises(RequestValidationError):
        await respx_client.creditor_cancellations.create({"creditor": CREDITOR})
    with pytest.raises(RequestValidationError):
        await respx_client.invoice_registrations.create(invoice(matrix=[]))
    assert all(route.call_count == 0 for route in routes)


async def test_what_is_sent_is_the_documented_json(
    api: respx.MockRouter, respx_client: AmiliClient
) -> None:
    route = api.post("/invoice--registrations").respond(
        201, json=meta("68678ed98d8a1c2b3d4e5f60", _case=CASE)
    )
    created = await respx_client.invoice_registrations.create(invoice())
    assert created.case == CASE
    sent = json.loads(route.calls.last.request.content)
    assert sent["invoice_date"] == "Fri, 04 Jul 2025 08:20:41 GMT"
    assert sent["customer"]["is_person"] is True
    assert sent["matrix"][0] == {
        "article_description": "Consulting hours",
        "unit_price": 500,
        "total_price_excluding_vat": 500,
        "unit_vat_percent": "0%",
    }


# -- answers: business status as a typed field, logged ----------------------------------


@pytest.mark.parametrize("status", ["warning", "error"])
async def test_a_crediting_with_a_business_problem_is_returned_and_logged(
    api: respx.MockRouter,
    respx_client: AmiliClient,
    caplog: pytest.LogCaptureFixture,
    status: str,
) -> None:
    answer = meta(
        "6868242274dfc89e00608507",
        _payment_status="completed",
        status=status,
        status_reason_locale="creditor_crediting.amount_exceeds_remaining_capital",
        settled_amount=40.0,
    )
    api.post("/creditor--creditings").respond(201, json=answer)
    with caplog.at_level(logging.WARNING, logger="amili_async"):
        created = await respx_client.creditor_creditings.create(crediting())
    assert isinstance(created, CreditorCrediting)
    assert created.status is BusinessStatus(status)
    assert created.credit_process_status == "completed"
    assert created.needs_attention
    assert created.settled_amount == Decimal("40.0")
    [record] = [r for r in caplog.records if r.name == "amili_async"]
    assert "amount_exceeds_remaining_capital" in record.getMessage()
    assert "do not send it again" in record.getMessage()


async def test_a_cancellation_warning_is_logged_and_a_completed_one_is_not(
    api: respx.MockRouter, respx_client: AmiliClient, caplog: pytest.LogCaptureFixture
) -> None:
    api.post("/creditor--cancellations").mock(
        side_effect=[
            httpx.Response(
                201,
                json=meta(
                    "6867e7991a9d6cdeb9f73c54", _cancellation_status="completed", status="completed"
                ),
            ),
            httpx.Response(
                201,
                json=meta(
                    "6867e7991a9d6cdeb9f73c55",
                    _cancellation_status="completed",
                    status="warning",
                    status_reason_locale="x.closed",
                ),
            ),
        ]
    )
    body = {"creditor": CREDITOR, "case": CASE}
    with caplog.at_level(logging.WARNING, logger="amili_async"):
        first = await respx_client.creditor_cancellations.create(body)
        assert not [r for r in caplog.records if r.name == "amili_async"]
        second = await respx_client.creditor_cancellations.create(body)
    assert isinstance(first, CreditorCancellation)
    assert first.cancellation_status is CancellationStatus.COMPLETED
    assert second.is_warning
    assert not second.is_error
    assert "x.closed" in caplog.records[-1].getMessage()


async def test_the_production_answer_without_status_parses(
    api: respx.MockRouter, respx_client: AmiliClient
) -> None:
    api.post("/creditor--creditings").respond(
        201, json=meta("6868242274dfc89e00608507", _payment_status="completed")
    )
    created = await respx_client.creditor_creditings.create(crediting())
    assert created.status is None
    assert not created.needs_attention


# -- a lost answer is looked up by the action's key ---------------------------------------


async def test_a_lost_crediting_answer_is_found_by_its_reference(
    api: respx.MockRouter, respx_client: AmiliClient
) -> None:
    post = api.post("/creditor--creditings").mock(side_effect=[httpx.ReadTimeout("lost")])
    stored = meta("6868242274dfc89e00608507", creditor_reference="CR-1", amount=100.0)
    lookup = api.get("/creditor--creditings").respond(200, json=page(stored))
    created = await respx_client.creditor_creditings.create(crediting())
    assert created.id == "6868242274dfc89e00608507"
    assert post.call_count == 1
    assert '"creditor_reference":"CR-1"' in lookup.calls.last.request.url.params["where"]


async def test_a_lost_crediting_answer_without_reference_is_outcome_unknown(
    api: respx.MockRouter, respx_client: AmiliClient
) -> None:
    post = api.post("/creditor--creditings").mock(side_effect=[httpx.ReadTimeout("lost")])
    with pytest.raises(OutcomeUnknownError):
        await respx_client.creditor_creditings.create(crediting(creditor_reference=None))
    assert post.call_count == 1


async def test_a_lost_cancellation_answer_finds_the_case_s_cancellation(
    api: respx.MockRouter, respx_client: AmiliClient
) -> None:
    api.post("/creditor--cancellations").mock(side_effect=[httpx.ReadTimeout("lost")])
    stored = meta("6867e7991a9d6cdeb9f73c54", case=CASE, creditor=CREDITOR)
    lookup = api.get("/creditor--cancellations").respond(200, json=page(stored))
    found = await respx_client.creditor_cancellations.create({"creditor": CREDITOR, "case": CASE})
    assert found.id == "6867e7991a9d6cdeb9f73c54"
    assert f'"case":"{CASE}"' in lookup.calls.last.request.url.params["where"]


async def test_a_lost_invoice_answer_is_resent_only_when_the_lookup_finds_nothing(
    api: respx.MockRouter, respx_client: AmiliClient
) -> None:
    post = api.post("/invoice--registrations").mock(
        side_effect=[
            httpx.ReadTimeout("lost"),
            httpx.Response(201, json=meta("68678ed98d8a1c2b3d4e5f60", _case=CASE)),
        ]
    )
    lookup = api.get("/invoice--registrations").respond(200, json=page())
    created = await respx_client.invoice_registrations.create(invoice())
    assert created.case == CASE
    assert post.call_count == 2
    assert '"invoice_number":"INV-2024-002"' in lookup.calls.last.request.url.params["where"]


# -- property-based: any input gives a model or a typed error ----------------------------


def _parsed_or_issues(model: type[Any], body: dict[str, Any]) -> Any:
    """The parsed model, or the issues of the typed error (never anything else raised)."""
    issues: dict[str, str] = {}
    try:
        return parse_request(model, body)
    except RequestValidationError as error:
        issues = error.issues
    assert issues
    assert all(isinstance(reason, str) and reason for reason in issues.values())
    return issues


json_values = st.none() | st.booleans() | st.integers() | st.text(max_size=8) | st.decimals()


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "account",
                "creditor",
                "amount",
                "case",
                "invoice_number",
                "currency",
                "origin",
                "creditor_reference",
                "credit_invoice",
                "client_registration_date",
            ]
        ),
        json_values,
    )
)
def test_fuzzed_creditings_raise_only_typed_errors(body: dict[str, Any]) -> None:
    new = _parsed_or_issues(NewCreditorCrediting, body)
    if isinstance(new, NewCreditorCrediting):
        assert (new.case is None) != (new.invoice_number is None)
        assert new.amount > 0


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["creditor", "case", "invoice_number", "account", "origin"]), json_values
    )
)
def test_fuzzed_cancellations_raise_only_typed_errors(body: dict[str, Any]) -> None:
    new = _parsed_or_issues(NewCreditorCancellation, body)
    if isinstance(new, NewCreditorCancellation):
        assert (new.case is None) != (new.invoice_number is None)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(
        [
            "customer",
            "invoice_number",
            "invoice_date",
            "invoice_due_date",
            "matrix",
            "invoice_type",
            "currency",
            "debt_description",
        ]
    ),
    json_values
    | st.lists(json_values, max_size=2)
    | st.dictionaries(st.text(max_size=5), json_values, max_size=2),
)
def test_fuzzed_invoices_raise_only_typed_errors(field: str, value: Any) -> None:
    new = _parsed_or_issues(NewInvoiceRegistration, invoice(**{field: value}))
    if isinstance(new, NewInvoiceRegistration):
        assert new.matrix
        assert new.invoice_due_date >= new.invoice_date


@settings(max_examples=200, deadline=None)
@given(
    st.decimals(min_value=0, max_value=10**6, places=2),
    st.decimals(min_value=Decimal("0.01"), max_value=1000, places=2),
    st.sampled_from(["0%", "6%", "12%", "25%"]),
)
def test_invoice_rows_accept_any_consistent_price(price: Decimal, units: Decimal, vat: str) -> None:
    total = (price * units).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
    row = InvoiceRow(
        article_description="x",
        unit_price=price,
        number_of_units=units,
        total_price_excluding_vat=total,
        unit_vat_percent=vat,
    )
    assert row.total_including_vat >= total
