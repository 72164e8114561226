"""A case's life through plain httpx, in process: register, upload, collect, pay, close."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sandbox_support import PDF, client, debt, decimal_json, payment, register, registration

from amili_async._serde import parse_http_date
from amili_async._validation import luhn_check_digit
from amili_async.sandbox import Sandbox

pytestmark = pytest.mark.anyio

AMOUNT_KINDS = ("capital", "costs", "interest")


def assert_amounts_follow_transactions(case: dict[str, Any]) -> None:
    """Every amount field equals what the transactions add up to."""
    totals = {kind: Decimal(0) for kind in AMOUNT_KINDS}
    added = {kind: Decimal(0) for kind in AMOUNT_KINDS}
    for transaction in case["transactions"]:
        amount = Decimal(transaction["amount"])
        totals[transaction["type"]] += amount
        if amount > 0:
            added[transaction["type"]] += amount
    for prefix in ("local", "total"):
        for kind in AMOUNT_KINDS:
            assert case[f"{prefix}_remaining_{kind}_amount"] == totals[kind]
            assert case[f"{prefix}_added_{kind}_amount"] == added[kind]
        assert case[f"{prefix}_remaining_transaction_amount"] == sum(totals.values())
        assert case[f"{prefix}_added_transaction_amount"] == sum(added.values())


async def test_register_upload_collect_pay_in_two_parts_and_close(sandbox: Sandbox) -> None:
    async with client(sandbox) as http:
        created = await register(http)
        case_id = created["_cases"][0]
        assert len(created["_id"]) == 24
        assert int(created["_id"], 16) >= 0
        ocr = created["_ocr_numbers_ocr"][0]
        assert ocr.isdigit()
        assert luhn_check_digit(ocr[:-1]) == int(ocr[-1])

        case = (await http.get(f"/cases/{case_id}")).json()
        assert (case["state"], case["status"]) == ("initializing", "initializing")
        assert case["case_registration"] == created["_id"]
        assert case["debt"]["payout_reference"] == "INV-2025-003"
        assert case["debt"]["interest_days_after_invoice_date"] == 31
        assert "original_invoice" not in case
        assert "limitation" not in case

        uploaded = await http.post(
            f"/media--upload/{case_id}",
            data={"domain": "cases", "dotted_path": "original_invoice"},
            files={"file": ("invoice.pdf", PDF, "application/pdf")},
        )
        assert uploaded.status_code == 201, uploaded.text
        assert sandbox.file(case_id) == PDF

        sandbox.advance(seconds=4 * 60)
        case = (await http.get(f"/cases/{case_id}")).json()
        assert case["status"] == "initialized"
        assert case["state"] == "initializing"
        assert case["transactions"][-1]["description_locale_tag"] == "api.transaction.case_flow"
        assert case["transactions"][-1]["amount"] == 14.0

        sandbox.advance(hours=2)
        response = await http.get(f"/cases/{case_id}")
        case = decimal_json(response)
        assert case["state"] == case["status"] == "debt_collection"
        assert [s["state"] for s in case["state_history"]] == ["initializing", "debt_collection"]
        assert [s["status"] for s in case["status_history"]] == [
            "initializing",
            "initialized",
            "debt_collection",
        ]
        assert case["latest_state_date"] == case["state_history"][-1]["state_date"]
        assert case["services"] == [
            {"service": "debt_collection", "service_date": case["latest_state_date"]}
        ]
        assert case["original_invoice"] == {
            "id": case["original_invoice"]["id"],
            "filename": "invoice.pdf",
            "content_type": "application/pdf",
            "size": len(PDF),
        }
        break_date = parse_http_date(case["limitation"]["break_date"])
        assert parse_http_date(case["limitation"]["limitation_date"]) == break_date.replace(
            year=break_date.year + 10
        )
        assert case["next_flow_item"]["item"] == "case--debt-collections__debt_statement"
        assert case["next_flow_item"]["schedule_to_execute"] == "Fri, 19 Sep 2025 00:00:00 GMT"
        assert_amounts_follow_transactions(case)

        partial = await http.post("/creditor--payments", json=payment(case_id, 500.5))
        assert partial.status_code == 201, partial.text
        case = decimal_json(await http.get(f"/cases/{case_id}"))
        assert case["status"] == "debt_collection"
        assert case["total_remaining_capital_amount"] == Decimal("1499.5")
        assert case["total_remaining_interest_amount"] == Decimal("14.0")
        assert case["total_remaining_transaction_amount"] == Decimal("1513.5")
        assert_amounts_follow_transactions(case)

        final = await http.post("/creditor--payments", json=payment(case_id, 1499.5))
        assert final.status_code == 201, final.text
        case = decimal_json(await http.get(f"/cases/{case_id}"))
        assert case["status"] == "closed"
        assert case["closed"]["reason"] == "fully_paid_depreciation"
        assert case["status_history"][-1]["status"] == "closed"
        assert "next_flow_item" not in case
        assert "next_flow_item_on_close" in case
        assert case["transactions"][-1]["description_locale_tag"] == "api.transaction.depreciated"
        assert case["transactions"][-1]["amount"] == Decimal("-14.0")
        assert case["total_remaining_transaction_amount"] == 0
        assert_amounts_follow_transactions(case)

        payments = (await http.get("/creditor--payments")).json()["_items"]
        assert [p["amount"] for p in payments] == [500.5, 1499.5]
        assert {p["case"] for p in payments} == {case_id}


async def test_reminder_comes_first_then_collection_after_fourteen_days(sandbox: Sandbox) -> None:
    async with client(sandbox) as http:
        case_id = (await register(http, registration(first_action="reminder")))["_cases"][0]
        sandbox.advance(hours=2)
        case = (await http.get(f"/cases/{case_id}")).json()
        assert case["state"] == case["status"] == "reminder"
        assert case["services"][0]["service"] == "reminder"
        assert "limitation" not in case
        sandbox.advance(days=14)
        case = (await http.get(f"/cases/{case_id}")).json()
        assert case["state"] == case["status"] == "debt_collection"
        assert [s["state"] for s in case["state_history"]] == [
            "initializing",
            "reminder",
            "debt_collection",
        ]
        reminder_at = parse_http_date(case["state_history"][1]["state_date"])
        collection_at = parse_http_date(case["state_history"][2]["state_date"])
        assert collection_at - reminder_at == timedelta(days=14)


async def test_interest_accrues_as_the_clock_moves(sandbox: Sandbox) -> None:
    async with client(sandbox) as http:
        body = registration(debts=[debt("INV-1", 36500)])
        case_id = (await register(http, body))["_cases"][0]
        sandbox.advance(days=100)
        case = decimal_json(await http.get(f"/cases/{case_id}"))
        assert case["status"] == "debt_collection_active"
        interest = [t for t in case["transactions"] if t["type"] == "interest"]
        # 10 % a year on 36,500 SEK is 10 SEK a day, from 7 Aug 2025 (due date).
        assert len(interest) >= 4
        last = parse_http_date(interest[-1]["bank_transaction_date"])
        days = (last - parse_http_date("Thu, 07 Aug 2025 00:00:00 GMT")).days
        assert case["total_added_interest_amount"] == Decimal(days * 10)
        assert_amounts_follow_transactions(case)


async def test_reference_rate_and_fees_already_claimed() -> None:
    sandbox = Sandbox(reference_rate=Decimal("4.0"))
    fees = {"reminder": {"amount": 60, "fee_registration_date": "Mon, 25 Aug 2025 00:00:00 GMT"}}
    async with client(sandbox) as http:
        body = registration(debts=[debt("INV-9", 2000, fees_already_claimed=fees)])
        case_id = (await register(http, body))["_cases"][0]
        sandbox.advance(hours=2)
        case = decimal_json(await http.get(f"/cases/{case_id}"))
        # 12 % a year, 27 days: 2000 * 0.12 * 27 / 365 = 17.75 -> 17.
        assert case["total_added_interest_amount"] == 17
        assert case["total_remaining_costs_amount"] == 60
        assert case["total_remaining_transaction_amount"] == 2077
        closed = await http.post("/creditor--payments", json=payment(case_id, 2000))
        assert closed.status_code == 201
        case = decimal_json(await http.get(f"/cases/{case_id}"))
        assert case["status"] == "closed"
        written_off = [
            (t["type"], t["amount"])
            for t in case["transactions"]
            if t["description_locale_tag"] == "api.transaction.depreciated"
        ]
        assert written_off == [("costs", -60), ("interest", Decimal("-17.0"))]


async def test_one_case_per_debt(sandbox: Sandbox) -> None:
    async with client(sandbox) as http:
        body = registration(debts=[debt("A-1"), debt("A-2", 99.95), debt("A-3", 10)])
        created = await register(http, body)
        assert len(created["_cases"]) == len(created["_ocr_numbers"]) == 3
        assert len(set(created["_ocr_numbers_ocr"])) == 3
        cases = sandbox.cases()
        assert [c["debt"]["invoice_number"] for c in cases] == ["A-1", "A-2", "A-3"]
        assert cases[1]["debt"]["capital_to_claim"] == Decimal("99.95")
        assert len({c["reference_number"] for c in cases}) == 3
        assert len({c["customer"] for c in cases}) == 1


async def test_payment_by_invoice_number(sandbox: Sandbox) -> None:
    async with client(sandbox) as http:
        case_id = (await register(http))["_cases"][0]
        body = payment(case_id, 100)
        del body["case"]
        body["invoice_number"] = "INV-2025-003"
        paid = await http.post("/creditor--payments", json=body)
        assert paid.status_code == 201, paid.text
        stored = (await http.get(f"/creditor--payments/{paid.json()['_id']}")).json()
        assert stored["case"] == case_id
        assert stored["invoice_number"] == "INV-2025-003"
        assert stored["settled_amount"] == 100


async def test_same_seed_same_ids() -> None:
    answers = []
    for _ in range(2):
        sandbox = Sandbox(seed=11)
        async with client(sandbox) as http:
            answers.append(await register(http))
        assert sandbox.api_key == Sandbox(seed=11).api_key
    assert answers[0] == answers[1]
    assert Sandbox(seed=12).api_key != Sandbox(seed=11).api_key
