"""The five documented steps, replayed through the public API and checked field by field."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import respx
from support import example, example_bytes

from amili_async import (
    AmiliClient,
    Case,
    CaseState,
    CaseStatus,
    CloseReason,
    Customer,
    FirstAction,
    NewCaseRegistration,
    NewCreditorPayment,
    PaymentStatus,
    TransactionOrigin,
    TransactionType,
)
from amili_async._serde import loads

pytestmark = pytest.mark.anyio

CASE_ID = "68b7f49c7b02934caddab092"


async def test_register_case_sends_the_documented_body_and_parses_the_answer(
    api: respx.MockRouter, respx_client: AmiliClient
) -> None:
    route = api.post("/case--registrations").respond(
        201, content=example_bytes("01-case-registration.response.json")
    )
    registration = await respx_client.case_registrations.create(
        example("01-case-registration.request.json")
    )

    sent = loads(route.calls.last.request.content)
    assert sent == loads(example_bytes("01-case-registration.request.json"))
    assert route.calls.last.request.headers["X-API-Key"] == "sk_test_SECRET_KEY_123"
    assert registration.id == "68b7f49cb8903ae30ebb85ec"
    assert registration.etag == "74829ce9b219a58bb00a5276a495bec0d7e22457"
    assert registration.created == datetime(2025, 9, 3, 7, 56, 11, tzinfo=UTC)
    assert registration.updated == datetime(2025, 9, 3, 7, 56, 11, tzinfo=UTC)
    assert registration.api_status == "OK"
    assert registration.cases == (CASE_ID,)
    assert registration.ocr_numbers == ("68b7f49cb8903ae30ebb85f0",)
    assert registration.ocr_numbers_ocr == ("20252463478311301072",)


async def test_register_case_from_models_writes_amounts_and_dates_exactly(
    api: respx.MockRouter, respx_client: AmiliClient
) -> None:
    route = api.post("/case--registrations").respond(
        201, content=example_bytes("01-case-registration.response.json")
    )
    documented = example("01-case-registration.request.json")
    model = NewCaseRegistration(
        account=documented["account"],
        creditor=documented["creditor"],
        first_action=FirstAction.DEBT_COLLECTION,
        currency="SEK",
        customer=Customer(
            name="ACME Inc.",
            id_number="5560269986",
            is_company=True,
            address=documented["customer"]["address"] and _address(),
        ),
        debts=[_debt(Decimal("0.1"))],
    )
    await respx_client.case_registrations.create(model)
    body = route.calls.last.request.content.decode()
    assert '"capital_to_claim":0.1' in body
    assert '"invoice_date":"Mon, 07 Jul 2025 00:00:00 GMT"' in body
    assert json.loads(body)["customer"]["id_number"] == "5560269986"


def _address():  # type: ignore[no-untyped-def]
    from amili_async import Address

    return Address(address_line_1="Storgatan 42", zip_code="12345", city="Stockholm")


def _debt(amount: Decimal):  # type: ignore[no-untyped-def]
    from amili_async import Debt

    return Debt(
        invoice_number="INV-2025-003",
        debt_description="Services",
        invoice_date=datetime(2025, 7, 7, tzinfo=UTC),
        capital_to_claim=amount,
        invoice_due_days_after_invoice_date=31,
    )


async def test_upload_original_invoice(
    api: respx.MockRouter, respx_client: AmiliClient, tmp_path: pytest.TempPathFactory
) -> None:
    route = api.post(f"/media--upload/{CASE_ID}").respond(
        201, content=example_bytes("02-media-upload.response.json")
    )
    invoice = tmp_path / "original_invoice.pdf"  # type: ignore[operator]
    invoice.write_bytes(b"%PDF-1.4\n" + b"x" * 12928)

    upload = await respx_client.media.upload(CASE_ID, invoice)

    assert upload.url == example("02-media-upload.response.json")["url"]
    request = route.calls.last.request
    assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    body = request.content
    assert b'name="domain"\r\n\r\ncases\r\n' in body
    assert b'name="dotted_path"\r\n\r\noriginal_invoice\r\n' in body
    assert b'name="file"; filename="original_invoice.pdf"' in body
    assert b"Content-Type: application/pdf" in body
    assert b"%PDF-1.4\n" + b"x" * 12928 in body


async def test_get_case_in_debt_collection(
    api: respx.MockRouter, respx_client: AmiliClient
) -> None:
    api.get(f"/cases/{CASE_ID}").respond(
        200, content=example_bytes("03-case.debt_collection.response.json")
    )
    case = await respx_client.cases.get(CASE_ID)

    assert isinstance(case, Case)
    assert case.id == CASE_ID
    assert case.etag == "2feb48de91244e42a56f0c7083fd3499"
    assert case.created == datetime(2025, 9, 3, 7, 56, 12, tzinfo=UTC)
    assert case.account == "674dbeaf08847b9501cc9132"
    assert case.creditor == "674dbeb208847b9501cc9138"
    assert case.creditor_name == "Amili Integration Team"
    assert case.customer_name == "ACME Inc."
    assert case.customer_id_number == "5560269986"
    assert case.debtor_id_number == "5560269986"
    assert case.currency == "SEK"
    assert case.reference_number == "48640"
    assert case.case_registration == "68b7f49cb8903ae30ebb85ec"
    assert case.case_settings is not None
    assert case.case_settings.interest_rate is not None
    assert case.case_settings.interest_rate.reference_rate is True
    assert case.debt is not None
    assert case.debt.invoice_number == "INV-2025-003"
    assert case.debt.invoice_date == datetime(2025, 7, 7, tzinfo=UTC)
    assert case.debt.capital_to_claim == Decimal("2000")
    assert case.debt.interest_days_after_invoice_date == 31
    assert case.debt.payout_reference == "INV-2025-003"
    assert case.state is CaseState.DEBT_COLLECTION
    assert case.status is CaseStatus.DEBT_COLLECTION
    assert [change.status for change in case.status_history] == [
        CaseStatus.INITIALIZING,
        CaseStatus.INITIALIZED,
        CaseStatus.DEBT_COLLECTION,
    ]
    assert case.status_history[1].status_date == datetime(2025, 9, 3, 8, 0, 17, tzinfo=UTC)
    assert [change.state for change in case.state_history] == [
        CaseState.INITIALIZING,
        CaseState.DEBT_COLLECTION,
    ]
    assert case.latest_state_date == datetime(2025, 9, 3, 9, 0, 23, tzinfo=UTC)
    assert case.local_added_interest_amount == Decimal("14.0")
    assert case.total_added_transaction_amount == Decimal("2014.0")
    assert case.total_remaining_capital_amount == Decimal("2000")
    assert case.total_remaining_costs_amount == Decimal("0")
    assert case.total_remaining_transaction_amount == Decimal("2014.0")
    for amount in (case.total_remaining_transaction_amount, case.local_added_interest_amount):
        assert isinstance(amount, Decimal)
    first, second = case.transactions
    assert first.type is TransactionType.CAPITAL
    assert first.origin is TransactionOrigin.CREDITOR_SYSTEM
    assert first.amount == Decimal("2000")
    assert first.description_locale_tag == "api.transaction.case_registration"
    assert second.type is TransactionType.INTEREST
    assert second.amount == Decimal("14.0")
    assert case.original_invoice is not None
    assert case.original_invoice.filename == "original_invoice.pdf"
    assert case.original_invoice.size == 12937
    assert case.next_flow_item is not None
    assert case.next_flow_item.schedule_to_execute == datetime(2025, 9, 19, tzinfo=UTC)
    assert case.next_flow_item.is_failed is False
    assert case.services[0].service == "debt_collection"
    assert case.limitation is not None
    assert case.limitation.limitation_date == datetime(2035, 9, 3, 9, 10, 17, tzinfo=UTC)
    assert case.closed is None
    assert not case.is_closed


async def test_register_creditor_payment(api: respx.MockRouter, respx_client: AmiliClient) -> None:
    route = api.post("/creditor--payments").respond(
        201, content=example_bytes("04-creditor-payment.response.json")
    )
    documented = example("04-creditor-payment.request.json")
    payment = await respx_client.creditor_payments.create(
        NewCreditorPayment(
            account=documented["account"],
            creditor=documented["creditor"],
            case=documented["case"],
            amount=Decimal("2000.0"),
            bank_transaction_date=datetime(2025, 9, 3, 8, tzinfo=UTC),
            creditor_payment_reference="PAY-REF-001",
        )
    )
    assert loads(route.calls.last.request.content) == loads(
        example_bytes("04-creditor-payment.request.json")
    )
    assert payment.id == "68b82422d6fd1d378f18d2e9"
    assert payment.payment_status is PaymentStatus.COMPLETED
    assert payment.api_status == "OK"
    assert payment.created == datetime(2025, 9, 3, 11, 18, 58, tzinfo=UTC)


async def test_closed_case(api: respx.MockRouter, respx_client: AmiliClient) -> None:
    api.get(f"/cases/{CASE_ID}").respond(200, content=example_bytes("05-case.closed.response.json"))
    case = await respx_client.cases.get(CASE_ID)

    assert case.status is CaseStatus.CLOSED
    assert case.is_closed
    assert case.closed is not None
    assert case.closed.reason is CloseReason.FULLY_PAID_DEPRECIATION
    assert case.closed.close_date == datetime(2025, 9, 3, 11, 18, 59, tzinfo=UTC)
    assert case.total_remaining_capital_amount == 0
    assert case.total_remaining_interest_amount == Decimal("0.0")
    assert case.total_remaining_transaction_amount == Decimal("0.0")
    payment, write_off = case.transactions[2:]
    assert payment.amount == Decimal("-2000")
    assert payment.payment_method == "creditor_payment"
    assert payment.creditor_payment == "68b82422d6fd1d378f18d2e9"
    assert payment.description_locale_tag == "creditor_payment.payment_settled"
    assert write_off.amount == Decimal("-14.0")
    assert write_off.description_locale_tag == "api.transaction.depreciated"
    assert case.next_flow_item is None
    assert case.next_flow_item_on_close is not None
    assert case.status_history[-1].status is CaseStatus.CLOSED


async def test_unknown_values_and_fields_do_not_break_parsing(
    api: respx.MockRouter, respx_client: AmiliClient
) -> None:
    body = example("03-case.debt_collection.response.json")
    body["status"] = "legal_proceedings"
    body["transactions"][0]["type"] = "court_fee"
    body["some_future_field"] = {"nested": [1, 2]}
    api.get(f"/cases/{CASE_ID}").respond(200, json=body)

    case = await respx_client.cases.get(CASE_ID)

    assert case.status == "legal_proceedings"
    assert isinstance(case.status, CaseStatus)
    assert not case.status.is_known()
    assert case.transactions[0].type == "court_fee"


async def test_projection_is_sent_as_json(api: respx.MockRouter, respx_client: AmiliClient) -> None:
    route = api.get(f"/cases/{CASE_ID}").respond(
        200, json={"_id": CASE_ID, "state": "debt_collection", "status": "closed"}
    )
    case = await respx_client.cases.get(CASE_ID, projection={"_id": 1, "state": 1, "status": 1})
    assert json.loads(route.calls.last.request.url.params["projection"]) == {
        "_id": 1,
        "state": 1,
        "status": 1,
    }
    assert case.status is CaseStatus.CLOSED
    assert case.transactions == ()
