"""Tolerant of what it receives: response models read whatever the API stores or projects,
and an answer that cannot be read at all is one typed error."""

from __future__ import annotations

import json
import logging
from decimal import Decimal

import httpx
import pytest
import respx
from support import example

from amili_async import (
    AmiliClient,
    BusinessStatus,
    Case,
    CaseStatus,
    CreditorPayment,
    NewCaseRegistration,
    RegisteredCustomer,
    RequestValidationError,
    ResponseValidationError,
)
from amili_async._responses import decode_error_body, decode_json, structure_response
from amili_async.models._base import parse_request

pytestmark = pytest.mark.anyio

CASE_ID = "68b7f49c7b02934caddab092"
REGISTRATION_ID = "68b7f49cb8903ae30ebb85ec"
KEY = "sk_test_SECRET_KEY_123"


def person_registration() -> dict[str, object]:
    """A registration stored from the docs' person example: no ``is_company``, no country."""
    stored = example("01-case-registration.request.json")
    stored["customer"] = {
        "name": "Anna Andersson",
        "id_number": "202501012386",  # a check digit today's request rules would refuse
        "address": {"address_line_1": "Storgatan 1", "zip_code": "12345", "city": "Stockholm"},
    }
    return stored | example("01-case-registration.response.json")


async def test_a_registration_stored_from_the_person_example_reads_back(
    api: respx.MockRouter, respx_client: AmiliClient
) -> None:
    api.get(f"/case--registrations/{REGISTRATION_ID}").respond(200, json=person_registration())
    registration = await respx_client.case_registrations.get(REGISTRATION_ID)
    assert isinstance(registration.customer, RegisteredCustomer)
    assert registration.customer.is_company is None
    assert registration.customer.address is not None
    assert registration.customer.address.country is None
    assert registration.invoice_numbers == ("INV-2025-003",)
    assert "202501012386" not in repr(registration)


def test_request_models_keep_every_check() -> None:
    request = example("01-case-registration.request.json")
    del request["customer"]["is_company"]
    with pytest.raises(RequestValidationError, match="is_company"):
        parse_request(NewCaseRegistration, request)


async def test_get_with_a_projection_reads_the_fields_left_out_as_none(
    api: respx.MockRouter, respx_client: AmiliClient
) -> None:
    projected = {
        "_id": CASE_ID,
        "_etag": "2feb48de91244e42a56f0c7083fd3499",
        "status": "closed",
        "debt": {"invoice_number": "INV-2025-003"},
        "status_history": [{"status": "closed"}],
        "transactions": [{"description_locale_tag": "api.transaction.depreciated"}],
        "closed": {"reason": "fully_paid_depreciation"},
        "original_invoice": {"filename": "original_invoice.pdf"},
        "services": [{"service": "debt_collection"}],
        "state_history": [{"state_date": "Wed, 03 Sep 2025 07:56:12 GMT"}],
    }
    route = api.get(f"/cases/{CASE_ID}").respond(200, json=projected)
    case = await respx_client.cases.get(
        CASE_ID, projection={"status": 1, "debt.invoice_number": 1, "closed": 1}
    )
    sent = json.loads(route.calls.last.request.url.params["projection"])
    assert sent == {"status": 1, "debt.invoice_number": 1, "closed": 1}
    assert case.status is CaseStatus.CLOSED
    assert case.debt is not None
    assert case.debt.capital_to_claim is None
    assert case.closed is not None
    assert case.closed.close_date is None
    assert case.status_history[0].status_date is None
    assert case.transactions[0].amount is None
    assert case.original_invoice is not None
    assert case.original_invoice.id is None
    assert case.services[0].service_date is None
    assert case.state_history[0].state is None
    assert case.currency is None
    assert case.is_closed


@pytest.mark.parametrize(
    ("projection", "field"),
    [
        ({}, "projection"),
        ({"status": 2}, "projection.status"),
        ({"status": True}, "projection.status"),
        ({"status": "1"}, "projection.status"),
        ({"": 1}, "projection"),
        ({"status": 1, "debt": 0}, "projection"),
    ],
)
def test_a_bad_projection_is_refused_before_sending(
    projection: dict[str, object], field: str
) -> None:
    client = AmiliClient(api_key=KEY)
    with pytest.raises(RequestValidationError) as caught:
        client.cases.list(projection=projection)  # type: ignore[arg-type]
    assert field in caught.value.issues


async def test_id_may_be_excluded_alongside_includes(api: respx.MockRouter) -> None:
    route = api.get("/cases").respond(200, json={"_items": [], "_meta": {"total": 0}})
    client = AmiliClient(api_key=KEY)
    assert await client.cases.list(projection={"_id": 0, "status": 1}).collect() == []
    assert json.loads(route.calls.last.request.url.params["projection"]) == {"_id": 0, "status": 1}


def test_unknown_fields_and_values_still_parse() -> None:
    data = example("05-case.closed.response.json") | {
        "status": "on_hold",
        "brand_new_field": {"nested": [1, 2]},
    }
    data["transactions"][0]["type"] = "fee"
    case = structure_response(data, Case)
    assert case.status == "on_hold"
    assert case.status is not None
    assert not case.status.is_known()
    assert case.transactions[0].type == "fee"


@pytest.mark.parametrize(
    ("answer", "field"),
    [
        ([], ""),
        ("a case", ""),
        (None, ""),
        ({"status": "closed"}, "_id"),
        ({"_id": CASE_ID, "debt": {"capital_to_claim": "lots"}}, "debt.capital_to_claim"),
        ({"_id": CASE_ID, "transactions": "none"}, "transactions"),
        ({"_id": CASE_ID, "transactions": [{"amount": True}]}, "transactions.0.amount"),
        ({"_id": CASE_ID, "_created": "yesterday"}, "_created"),
        ({"_id": CASE_ID, "closed": ["x"]}, "closed"),
    ],
)
async def test_an_answer_of_the_wrong_shape_is_a_response_validation_error(
    api: respx.MockRouter, respx_client: AmiliClient, answer: object, field: str
) -> None:
    # respx sends json=None as an empty body: send JSON's null itself.
    body = {"content": b"null"} if answer is None else {"json": answer}
    api.get(f"/cases/{CASE_ID}").respond(200, **body)  # type: ignore[arg-type]
    with pytest.raises(ResponseValidationError) as caught:
        await respx_client.cases.get(CASE_ID)
    error = caught.value
    assert (error.status_code, error.method, error.path) == (200, "GET", f"/cases/{CASE_ID}")
    assert not error.landed
    assert field in error.issues
    assert f"cannot read the 200 answer to GET /cases/{CASE_ID}" in str(error)
    assert KEY not in str(error)


def test_non_finite_amounts_fail_their_field_not_an_ignored_one() -> None:
    body = b'{"_id": "x", "local_added_capital_amount": NaN, "unknown": Infinity}'
    data = decode_json(body, status_code=200, method="GET", path="/cases/x")
    with pytest.raises(ResponseValidationError) as caught:
        structure_response(data, Case)
    assert set(caught.value.issues) == {"local_added_capital_amount"}
    ignored = decode_json(
        b'{"_id": "x", "unknown": -Infinity}', status_code=200, method="GET", path="/"
    )
    assert structure_response(ignored, Case).id == "x"


async def test_an_unreadable_answer_to_a_write_returns_what_a_lookup_finds(
    api: respx.MockRouter, respx_client: AmiliClient
) -> None:
    stored = example("01-case-registration.request.json") | example(
        "01-case-registration.response.json"
    )
    post = api.post("/case--registrations").respond(201, json=["not", "a", "registration"])
    api.get("/case--registrations").respond(200, json={"_items": [stored], "_meta": {"total": 1}})
    registration, found = await respx_client.case_registrations.create_or_find(
        example("01-case-registration.request.json")
    )
    assert registration.id == REGISTRATION_ID
    assert found
    assert post.call_count == 1


async def test_an_unreadable_answer_to_a_write_says_it_landed(
    api: respx.MockRouter, respx_client: AmiliClient
) -> None:
    post = api.post("/case--registrations").respond(201, json={"_cases": "oops"})
    api.get("/case--registrations").respond(200, json={"_items": [], "_meta": {"total": 0}})
    with pytest.raises(ResponseValidationError) as caught:
        await respx_client.case_registrations.create(example("01-case-registration.request.json"))
    assert caught.value.landed
    assert caught.value.status_code == 201
    assert "landed on the server, so do not send it again" in str(caught.value)
    assert post.call_count == 1


async def test_an_upload_answer_without_its_url_says_the_upload_landed(
    api: respx.MockRouter, respx_client: AmiliClient
) -> None:
    api.post(f"/media--upload/{CASE_ID}").respond(201, json={"_status": "OK"})
    with pytest.raises(ResponseValidationError) as caught:
        await respx_client.media.upload(CASE_ID, b"%PDF-1.4 invoice", filename="invoice.pdf")
    assert caught.value.landed
    assert "url" in caught.value.issues


# -- decode_json on its own ---------------------------------------------------------------


def decode(content: bytes, **options: object) -> object:
    arguments: dict[str, object] = {"status_code": 200, "method": "GET", "path": "/cases/x"}
    return decode_json(content, **(arguments | options))  # type: ignore[arg-type]


def test_decode_json_reads_json_with_exact_amounts() -> None:
    assert decode(b'{"amount": 0.1, "n": 2}') == {"amount": Decimal("0.1"), "n": 2}
    assert decode("\ufeff[1]".encode()) == [1]
    assert decode(b"", status_code=204, method="DELETE") is None


@pytest.mark.parametrize(
    ("content", "content_type", "reason"),
    [
        (b"<html><body>Internal Server Error</body></html>", "text/html", "HTML, not JSON"),
        (b"<!doctype html><p>bad gateway", None, "HTML, not JSON"),
        (b'<?xml version="1.0"?><resource/>', "application/xml", "XML, not JSON"),
        (b'{"_id": "x",', "application/json", "not valid JSON"),
        (b"", "application/json", "empty"),
        (b"  \n", None, "empty"),
        (b'{"name": "\xff\xfe"}', "application/json", "not valid UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "application/json", "nested too deeply"),
    ],
)
def test_decode_json_refuses_what_is_not_json(
    content: bytes, content_type: str | None, reason: str
) -> None:
    with pytest.raises(ResponseValidationError, match=reason) as caught:
        decode(content, content_type=content_type)
    assert caught.value.status_code == 200
    assert len(caught.value.body_start) <= 200
    assert not caught.value.landed


def test_decode_json_never_shows_a_secret_and_says_when_a_write_landed() -> None:
    body = b"<html>" + b"x" * 190 + KEY.encode() + b" and again " + KEY.encode() + b"</html>"
    with pytest.raises(ResponseValidationError) as caught:
        decode(body, status_code=201, method="POST", path="/creditor--payments", secrets=[KEY])
    error = caught.value
    assert KEY not in str(error)
    assert KEY[:12] not in error.body_start
    assert error.body_start.startswith("<html>xxx")
    assert error.landed
    assert "do not send it again" in str(error)


def test_decode_error_body_is_lenient() -> None:
    assert decode_error_body(b"<html>500</html>") is None
    assert decode_error_body(b"[" * 100_000) is None
    assert decode_error_body(b"\xff") is None
    assert decode_error_body(b'{"_error": {"code": 500}}') == {"_error": {"code": 500}}


# -- creditor payments: a 201 with a business warning or error ------------------------------


@pytest.mark.parametrize("status", ["warning", "error"])
async def test_a_creditor_payment_with_a_business_problem_is_returned_and_logged(
    api: respx.MockRouter,
    respx_client: AmiliClient,
    caplog: pytest.LogCaptureFixture,
    status: str,
) -> None:
    answer = example("04-creditor-payment.response.json") | {
        "status": status,
        "status_reason_locale": "creditor_payment.amount_exceeds_remaining",
        "settled_amount": 1500.0,
    }
    api.post("/creditor--payments").respond(201, json=answer)
    with caplog.at_level(logging.WARNING, logger="amili_async"):
        payment = await respx_client.creditor_payments.create(
            example("04-creditor-payment.request.json")
        )
    assert isinstance(payment, CreditorPayment)
    assert payment.status is BusinessStatus(status)
    assert payment.needs_attention
    assert payment.is_warning is (status == "warning")
    assert payment.is_error is (status == "error")
    assert str(payment.settled_amount) == "1500.0"
    [record] = [r for r in caplog.records if r.name == "amili_async"]
    assert record.levelno == logging.WARNING
    assert "creditor_payment.amount_exceeds_remaining" in record.getMessage()
    assert KEY not in record.getMessage()


async def test_a_completed_creditor_payment_logs_nothing(
    api: respx.MockRouter, respx_client: AmiliClient, caplog: pytest.LogCaptureFixture
) -> None:
    answer = example("04-creditor-payment.response.json") | {"status": "completed"}
    api.post("/creditor--payments").mock(return_value=httpx.Response(201, json=answer))
    with caplog.at_level(logging.WARNING, logger="amili_async"):
        payment = await respx_client.creditor_payments.create(
            example("04-creditor-payment.request.json")
        )
    assert not payment.needs_attention
    assert not [r for r in caplog.records if r.name == "amili_async"]
