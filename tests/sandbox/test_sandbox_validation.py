"""What the sandbox refuses, and how: Eve's 422 with every bad field at once."""

from __future__ import annotations

import pytest
from sandbox_support import client, debt, payment, register, registration

from amili_async.sandbox import Sandbox

pytestmark = pytest.mark.anyio

INSERTION_FAILURE = "Insertion failure: 1 document(s) contain(s) error(s)"


async def test_every_bad_field_is_reported_at_once(sandbox: Sandbox) -> None:
    body = registration(first_action="letter", currency="XXX", surprise=True)
    body["customer"] = {
        "name": "",
        "id_number": "5560269985",
        "is_company": "yes",
        "address": {"address_line_1": "Storgatan 42", "zip_code": 12345, "country": "XX"},
        "mobile_number": "0709876543",
    }
    body["debts"] = [
        debt("OK-1"),
        {
            "invoice_number": "BAD-1",
            "debt_description": "Services",
            "invoice_date": "2025-07-07",
            "capital_to_claim": -5,
            "invoice_due_days_after_invoice_date": 1.5,
        },
        {"invoice_number": "BAD-2", "capital_to_claim": "100"},
    ]
    async with client(sandbox) as http:
        response = await http.post("/case--registrations", json=body)
    assert response.status_code == 422
    answer = response.json()
    assert answer["_status"] == "ERR"
    assert answer["_error"] == {"code": 422, "message": INSERTION_FAILURE}
    # Eve's shape: nested dicts, list indexes as string keys (eve-facts §4c).
    issues = answer["_issues"]
    customer, debts = issues["customer"], issues["debts"]
    assert issues == {
        "surprise": "unknown field",
        "first_action": "unallowed value letter",
        "currency": issues["currency"],
        "customer": {
            "name": "empty values not allowed",
            "is_company": "must be of boolean type",
            "mobile_number": customer["mobile_number"],
            "address": {
                "zip_code": "must be of string type",
                "city": "required field",
                "country": customer["address"]["country"],
            },
        },
        "debts": {
            "1": {
                "invoice_date": debts["1"]["invoice_date"],
                "capital_to_claim": "must be greater than 0, got -5",
                "invoice_due_days_after_invoice_date": "must be of integer type",
            },
            "2": {
                "debt_description": "required field",
                "invoice_date": "required field",
                "capital_to_claim": "must be of number type",
                "invoice_due_days_after_invoice_date": "required field",
            },
        },
    }
    assert "ISO 4217" in issues["currency"]
    assert "E.164" in customer["mobile_number"]
    assert "ISO 3166" in customer["address"]["country"]
    assert "RFC 1123" in debts["1"]["invoice_date"]
    assert sandbox.registrations() == []
    assert sandbox.cases() == []


async def test_swedish_id_number_is_checked_for_swedish_customers(sandbox: Sandbox) -> None:
    async with client(sandbox) as http:
        bad = registration()
        bad["customer"]["id_number"] = "5560269985"
        response = await http.post("/case--registrations", json=bad)
        assert response.status_code == 422
        assert set(response.json()["_issues"]) == {"customer"}
        assert set(response.json()["_issues"]["customer"]) == {"id_number"}
        assert "check digit" in response.json()["_issues"]["customer"]["id_number"]

        abroad = registration()
        abroad["customer"]["id_number"] = "NO-123"
        abroad["customer"]["address"]["country"] = "NO"
        assert (await http.post("/case--registrations", json=abroad)).status_code == 201


async def test_empty_and_missing_debts(sandbox: Sandbox) -> None:
    async with client(sandbox) as http:
        empty = await http.post("/case--registrations", json=registration(debts=[]))
        assert empty.json()["_issues"] == {"debts": "min length is 1"}
        body = registration()
        del body["debts"]
        missing = await http.post("/case--registrations", json=body)
        assert missing.json()["_issues"] == {"debts": "required field"}


async def test_unknown_account_and_creditor(sandbox: Sandbox) -> None:
    async with client(sandbox) as http:
        body = registration(account="0" * 24, creditor="1" * 24)
        response = await http.post("/case--registrations", json=body)
        assert response.status_code == 422
        assert response.json()["_issues"] == {
            "account": f"value '{'0' * 24}' must exist in resource 'accounts', field '_id'.",
            "creditor": f"value '{'1' * 24}' must exist in resource 'creditors', field '_id'.",
        }


async def test_currency_must_be_one_the_creditor_registers_in(sandbox: Sandbox) -> None:
    async with client(sandbox) as http:
        response = await http.post("/case--registrations", json=registration(currency="EUR"))
        assert response.json()["_issues"]["currency"].startswith("unallowed value EUR")
    euro = sandbox.add_creditor("Euro AB", currencies=("SEK", "EUR"))
    async with client(sandbox) as http:
        ok = await http.post(
            "/case--registrations", json=registration(currency="EUR", creditor=euro.id)
        )
        assert ok.status_code == 201


async def test_malformed_bodies_are_400(sandbox: Sandbox) -> None:
    async with client(sandbox) as http:
        response = await http.post(
            "/case--registrations", content=b"{nope", headers={"content-type": "application/json"}
        )
        assert response.status_code == 400
        assert response.json()["_error"]["code"] == 400
        assert (await http.post("/case--registrations", json="text")).status_code == 400


async def test_bulk_registration_is_all_or_nothing(sandbox: Sandbox) -> None:
    async with client(sandbox) as http:
        good, bad = registration(), registration(first_action="letter")
        failed = await http.post("/case--registrations", json=[good, bad])
        assert failed.status_code == 422
        assert failed.json()["_items"] == [
            {"_status": "OK"},
            {"_status": "ERR", "_issues": {"first_action": "unallowed value letter"}},
        ]
        assert sandbox.registrations() == []
        second = registration(debts=[debt("INV-2")])
        created = await http.post("/case--registrations", json=[good, second])
        assert created.status_code == 201
        assert [item["_status"] for item in created.json()["_items"]] == ["OK", "OK"]
        assert len(sandbox.cases()) == 2


async def test_payment_refusals(sandbox: Sandbox) -> None:
    async with client(sandbox) as http:
        case_id = (await register(http))["_cases"][0]

        over = await http.post("/creditor--payments", json=payment(case_id, 5000))
        assert over.status_code == 422
        assert over.json()["_issues"]["amount"].startswith("overpayment")

        wrong = await http.post("/creditor--payments", json=payment(case_id, 10, currency="EUR"))
        assert set(wrong.json()["_issues"]) == {"currency"}

        both = await http.post(
            "/creditor--payments", json=payment(case_id, 10, invoice_number="INV-2025-003")
        )
        assert set(both.json()["_issues"]) == {"invoice_number"}

        neither = payment(case_id, 10)
        del neither["case"]
        assert set((await http.post("/creditor--payments", json=neither)).json()["_issues"]) == {
            "case"
        }

        origin = await http.post("/creditor--payments", json=payment(case_id, 10, origin="bank"))
        assert origin.json()["_issues"] == {"origin": "unallowed value bank"}

        unknown = await http.post("/creditor--payments", json=payment("f" * 24, 10))
        assert "must exist in resource 'cases'" in unknown.json()["_issues"]["case"]

        bad = await http.post(
            "/creditor--payments",
            json=payment(case_id, -1, bank_transaction_date="yesterday", extra=1),
        )
        assert set(bad.json()["_issues"]) == {"amount", "bank_transaction_date", "extra"}
        assert sandbox.payments() == []

        assert (await http.post("/creditor--payments", json=payment(case_id))).status_code == 201
        closed = await http.post("/creditor--payments", json=payment(case_id, 1))
        assert closed.status_code == 422
        assert "closed" in closed.json()["_issues"]["case"]
        assert len(sandbox.payments()) == 1


async def test_upload_errors(sandbox: Sandbox) -> None:
    form = {"domain": "cases", "dotted_path": "original_invoice"}
    pdf = {"file": ("invoice.pdf", b"%PDF-1.4", "application/pdf")}
    async with client(sandbox) as http:
        case_id = (await register(http))["_cases"][0]
        url = f"/media--upload/{case_id}"

        async def message(data: dict[str, str], files: object = pdf, path: str = url) -> str:
            response = await http.post(path, data=data, files=files)  # type: ignore[arg-type]
            assert response.status_code in (400, 404), response.text
            return f"{response.status_code} {response.json()['_error']['message']}"

        assert "Domain 'people' is not valid" in await message({**form, "domain": "people"})
        assert "'dotted_path' is missing" in await message({"domain": "cases"})
        assert "Dotted path 'photo' is not valid" in await message({**form, "dotted_path": "photo"})
        assert "'file' is missing" in await message(form, files=None)
        text_file = {"file": ("notes.txt", b"hi", "text/plain")}
        refused = await message(form, files=text_file)
        assert "application/pdf" in refused
        assert "got text/plain" in refused
        assert (await message(form, path=f"/media--upload/{'a' * 24}")).startswith("404")
        for kind in ("image/jpeg", "image/png", "image/gif", "image/bmp"):
            ok = await http.post(url, data=form, files={"file": ("x", b"bytes", kind)})
            assert ok.status_code == 201
