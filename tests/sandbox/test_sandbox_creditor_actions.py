"""Credit, cancel and invoice through the SDK against the sandbox, and what each does to a case."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sandbox_support import client, registration

from amili_async import (
    AmiliClient,
    CaseState,
    CaseStatus,
    CloseReason,
    OutcomeStatus,
    OutcomeUnknownError,
    UnprocessableEntityError,
)
from amili_async.sandbox import Sandbox
from amili_async.sandbox.pytest_plugin import SandboxFixture

pytestmark = pytest.mark.anyio


def crediting(sandbox: Sandbox, case_id: str, amount: str, **changes: Any) -> dict[str, Any]:
    """A crediting of ``amount`` on ``case_id``."""
    body: dict[str, Any] = {
        "account": sandbox.account_id,
        "creditor": sandbox.creditor_id,
        "case": case_id,
        "amount": Decimal(amount),
        "creditor_reference": f"CR-{case_id[-6:]}-{amount}",
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


def invoice(sandbox: Sandbox, number: str = "INV-2024-002", **changes: Any) -> dict[str, Any]:
    """An invoice of 2 hours at 500 SEK with 25% VAT (1,250 SEK), due in 30 days."""
    now = sandbox.now
    body: dict[str, Any] = {
        "account": sandbox.account_id,
        "creditor": sandbox.creditor_id,
        "customer": {
            "name": "Anna Andersson",
            "id_number": "8112189876",
            "is_person": True,
            "address": {"address_line_1": "Storgatan 1", "zip_code": "12345", "city": "Sthlm"},
        },
        "invoice_number": number,
        "invoice_date": now,
        "invoice_due_date": now + timedelta(days=30),
        "debt_description": "Consulting",
        "reference_number": "REF002",
        "matrix": [
            {
                "article_description": "Consulting hours",
                "unit_price": Decimal(500),
                "number_of_units": Decimal(2),
                "total_price_excluding_vat": Decimal(1000),
                "unit_vat_percent": "25%",
            }
        ],
    }
    body.update(changes)
    return body


async def registered_case(client_: AmiliClient, fixture: SandboxFixture) -> str:
    """A 2,000 SEK case in debt collection with 14 SEK interest booked (the documented one)."""
    created = await client_.case_registrations.create(registration())
    fixture.advance(hours=2)
    return created.cases[0]


# -- creditings -----------------------------------------------------------------------------


async def test_a_partial_crediting_lowers_the_capital_and_shows_as_a_transaction(
    amili_sandbox: SandboxFixture,
) -> None:
    sandbox = amili_sandbox.sandbox
    async with amili_sandbox.client as api:
        case_id = await registered_case(api, amili_sandbox)
        credited = await api.creditor_creditings.create(crediting(sandbox, case_id, "500"))
        assert credited.status == "completed"
        assert credited.settled_amount == 500
        assert credited.case_invoice_number == "INV-2025-003"
        case = await api.cases.get(case_id)
        assert case.total_remaining_capital_amount == 1500
        assert not case.is_closed
        [transaction] = [t for t in case.transactions if t.creditor_crediting == credited.id]
        assert transaction.amount == -500
        assert transaction.type == "capital"
        stored = await api.creditor_creditings.get(credited.id)
        assert stored.creditor_reference == credited_reference(case_id, "500")
        assert stored.case == case_id
        listed = [c.id async for c in api.creditor_creditings.list(where={"case": case_id})]
        assert listed == [credited.id]


def credited_reference(case_id: str, amount: str) -> str:
    """The reference :func:`crediting` gives."""
    return f"CR-{case_id[-6:]}-{amount}"


async def test_crediting_the_whole_case_closes_it_and_writes_off_interest(
    amili_sandbox: SandboxFixture,
) -> None:
    sandbox = amili_sandbox.sandbox
    async with amili_sandbox.client as api:
        case_id = await registered_case(api, amili_sandbox)
        credited = await api.creditor_creditings.create(crediting(sandbox, case_id, "2000"))
        assert credited.status == "completed"
        case = await api.cases.get(case_id)
    assert case.is_closed
    assert case.closed is not None
    assert case.closed.reason is CloseReason.CREDITED
    assert case.total_remaining_transaction_amount == 0


async def test_crediting_more_than_remains_is_a_warning_with_what_was_settled(
    amili_sandbox: SandboxFixture, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox = amili_sandbox.sandbox
    async with amili_sandbox.client as api:
        case_id = await registered_case(api, amili_sandbox)
        await api.creditor_creditings.create(crediting(sandbox, case_id, "1500"))
        with caplog.at_level("WARNING", logger="amili_async"):
            credited = await api.creditor_creditings.create(crediting(sandbox, case_id, "800"))
        assert credited.is_warning
        assert credited.settled_amount == 500
        assert "amount_exceeds_remaining_capital" in caplog.text
        after = await api.creditor_creditings.create(crediting(sandbox, case_id, "1"))
    assert after.is_warning
    assert after.settled_amount == 0
    assert after.status_reason_locale == "creditor_action.case_already_closed"


async def test_a_crediting_by_invoice_number(amili_sandbox: SandboxFixture) -> None:
    sandbox = amili_sandbox.sandbox
    async with amili_sandbox.client as api:
        case_id = await registered_case(api, amili_sandbox)
        body = crediting(sandbox, case_id, "100", case=None, invoice_number="INV-2025-003")
        credited = await api.creditor_creditings.create(body)
        assert (await api.creditor_creditings.get(credited.id)).case == case_id


async def test_refused_creditings_answer_eve_s_422(sandbox: Sandbox) -> None:
    async with client(sandbox) as http:
        body = {
            "account": sandbox.account_id,
            "creditor": sandbox.creditor_id,
            "case": "68678eda88b9226bb78d7169",
            "currency": "SEK",
            "amount": 100.0,
            "origin": "creditor_system",
            "surprise": 1,
        }
        answer = await http.post("/creditor--creditings", json=body)
    assert answer.status_code == 422
    issues = answer.json()["_issues"]
    assert issues["surprise"] == "unknown field"
    assert "must exist in resource 'cases'" in issues["case"]


async def test_a_crediting_in_another_currency_is_refused(amili_sandbox: SandboxFixture) -> None:
    sandbox = amili_sandbox.sandbox
    async with amili_sandbox.client as api:
        case_id = await registered_case(api, amili_sandbox)
        with pytest.raises(UnprocessableEntityError) as caught:
            await api.creditor_creditings.create(crediting(sandbox, case_id, "1", currency="EUR"))
    assert "currency" in caught.value.issues


# -- cancellations --------------------------------------------------------------------------


async def test_a_cancellation_closes_the_case_and_a_second_one_is_a_harmless_warning(
    amili_sandbox: SandboxFixture,
) -> None:
    sandbox = amili_sandbox.sandbox
    async with amili_sandbox.client as api:
        case_id = await registered_case(api, amili_sandbox)
        body = {"creditor": sandbox.creditor_id, "case": case_id}
        first = await api.creditor_cancellations.create(body)
        second = await api.creditor_cancellations.create(body)
        case = await api.cases.get(case_id)
        listed = [c.id async for c in api.creditor_cancellations.list(where={"case": case_id})]
    assert first.status == "completed"
    assert first.cancellation_status == "completed"
    assert second.is_warning
    assert case.closed is not None
    assert case.closed.reason is CloseReason.CANCELLED
    assert case.total_remaining_capital_amount == 2000
    assert listed == [first.id, second.id]
    amili_sandbox.advance(days=90)
    assert sandbox.case(case_id)["status"] == "closed"


async def test_a_cancellation_of_another_creditor_s_case_is_refused(
    amili_sandbox: SandboxFixture,
) -> None:
    sandbox = amili_sandbox.sandbox
    other = sandbox.add_creditor("Other AB")
    async with amili_sandbox.client as api:
        case_id = await registered_case(api, amili_sandbox)
        with pytest.raises(UnprocessableEntityError) as caught:
            await api.creditor_cancellations.create({"creditor": other.id, "case": case_id})
    assert "does not belong to creditor" in str(caught.value.issues["case"])


# -- invoice registrations ------------------------------------------------------------------


async def test_an_invoice_opens_a_case_that_moves_on_with_the_clock(
    amili_sandbox: SandboxFixture,
) -> None:
    sandbox = amili_sandbox.sandbox
    async with amili_sandbox.client as api:
        registered = await api.invoice_registrations.create(invoice(sandbox))
        assert registered.case is not None
        case = await api.cases.get(registered.case)
        assert case.state is CaseState.INVOICE
        assert case.status is CaseStatus.INVOICE
        assert case.total_remaining_capital_amount == 1250
        assert case.reference_number == "REF002"
        stored = await api.invoice_registrations.get(registered.id)
        assert stored.invoice_number == "INV-2024-002"
        assert stored.matrix is not None
        assert stored.matrix[0].unit_vat_percent == "25%"

        amili_sandbox.advance(days=29)
        assert (await api.cases.get(registered.case)).state is CaseState.INVOICE
        amili_sandbox.advance(days=2)
        assert (await api.cases.get(registered.case)).state is CaseState.REMINDER
        amili_sandbox.advance(days=15)
        late = await api.cases.get(registered.case)
    assert late.state is CaseState.DEBT_COLLECTION
    assert late.total_remaining_interest_amount is not None
    assert late.total_remaining_interest_amount > 0


async def test_an_invoice_can_be_credited_in_part_and_cancelled(
    amili_sandbox: SandboxFixture,
) -> None:
    sandbox = amili_sandbox.sandbox
    async with amili_sandbox.client as api:
        registered = await api.invoice_registrations.create(invoice(sandbox))
        case_id = registered.case or ""
        body = crediting(sandbox, case_id, "250", case=None, invoice_number="INV-2024-002")
        await api.creditor_creditings.create(body)
        await api.creditor_cancellations.create(
            {"creditor": sandbox.creditor_id, "invoice_number": "INV-2024-002"}
        )
        case = await api.cases.get(case_id)
    assert case.total_remaining_capital_amount == 1000
    assert case.closed is not None
    assert case.closed.reason is CloseReason.CANCELLED


async def test_a_refused_invoice_names_the_nested_field(sandbox: Sandbox) -> None:
    async with client(sandbox) as http:
        body = {
            "account": sandbox.account_id,
            "creditor": sandbox.creditor_id,
            "invoice_type": "invoice",
            "invoice_number": "INV-1",
            "invoice_date": "Fri, 04 Jul 2025 08:20:41 GMT",
            "invoice_due_date": "Fri, 04 Jul 2025 08:20:41 GMT",
            "currency": "SEK",
            "debt_description": "x",
            "customer": {
                "name": "A",
                "id_number": "8112189876",
                "is_person": True,
                "is_company": True,
                "address": {"address_line_1": "a", "zip_code": "1", "city": "c"},
            },
            "matrix": [
                {
                    "article_description": "x",
                    "unit_price": 1,
                    "total_price_excluding_vat": 1,
                    "unit_vat_percent": "25",
                }
            ],
        }
        answer = await http.post("/invoice--registrations", json=body)
    assert answer.status_code == 422
    issues = answer.json()["_issues"]
    assert "is_person" in issues["customer"]
    assert "unit_vat_percent" in issues["matrix"]["0"]


async def test_writes_answer_201_with_location(sandbox: Sandbox) -> None:
    async with client(sandbox) as http:
        case_id = (await http.post("/case--registrations", json=registration())).json()["_cases"][0]
        body = {"creditor": sandbox.creditor_id, "case": case_id, "origin": "creditor_system"}
        answer = await http.post("/creditor--cancellations", json=body)
    assert answer.status_code == 201
    data = answer.json()
    assert answer.headers["Location"].endswith(f"/creditor--cancellations/{data['_id']}")
    assert set(data) >= {"_id", "_etag", "_created", "_updated", "_status", "_cancellation_status"}
    assert "creditor" not in data


# -- a lost answer: each lands once ---------------------------------------------------------


async def test_lost_answers_are_reconciled_and_each_action_lands_once(
    amili_sandbox: SandboxFixture,
) -> None:
    sandbox = amili_sandbox.sandbox
    faults = amili_sandbox.faults
    async with amili_sandbox.client as api:
        case_id = await registered_case(api, amili_sandbox)
        faults.drop_after_commit(method="POST", path="/creditor--creditings", times=1)
        credited = await api.creditor_creditings.create(crediting(sandbox, case_id, "300"))
        faults.drop_after_commit(method="POST", path="/creditor--cancellations", times=1)
        cancelled = await api.creditor_cancellations.create(
            {"creditor": sandbox.creditor_id, "case": case_id}
        )
        faults.drop_after_commit(method="POST", path="/invoice--registrations", times=1)
        invoiced = await api.invoice_registrations.create(invoice(sandbox))
    assert credited.settled_amount == 300
    assert cancelled.status == "completed"
    assert invoiced.case is not None
    assert len(sandbox.creditings()) == 1
    assert len(sandbox.cancellations()) == 1
    assert len(sandbox.invoice_registrations()) == 1
    assert faults.injected["drop_after_commit"] == 3


async def test_a_lost_crediting_without_reference_is_not_sent_again(
    amili_sandbox: SandboxFixture,
) -> None:
    sandbox = amili_sandbox.sandbox
    async with amili_sandbox.client as api:
        case_id = await registered_case(api, amili_sandbox)
        amili_sandbox.faults.drop_after_commit(method="POST", path="/creditor--creditings", times=1)
        body = crediting(sandbox, case_id, "300", creditor_reference=None)
        with pytest.raises(OutcomeUnknownError):
            await api.creditor_creditings.create(body)
    assert len(sandbox.creditings()) == 1


# -- many at once, with a journal -----------------------------------------------------------


async def test_create_many_creditings_resumes_from_its_journal(
    amili_sandbox: SandboxFixture, tmp_path: Path
) -> None:
    sandbox = amili_sandbox.sandbox
    journal = tmp_path / "credit.sqlite"
    async with amili_sandbox.client as api:
        created = await api.case_registrations.create(
            registration(
                debts=[{**registration()["debts"][0], "invoice_number": f"I-{n}"} for n in range(3)]
            )
        )
        rows = [crediting(sandbox, case_id, "100") for case_id in created.cases]
        rows.append(crediting(sandbox, created.cases[0], "5", creditor_reference=None))
        rows.append(rows[0])
        first = await _outcomes(api, rows, journal)
        again = await _outcomes(api, rows, journal)
    assert [o.status for o in first] == [OutcomeStatus.CREATED] * 3 + [OutcomeStatus.FAILED] * 2
    assert "creditor_reference" in first[3].error.issues  # type: ignore[union-attr]
    assert "earlier item" in first[4].error.issues["creditor_reference"]  # type: ignore[union-attr]
    assert [o.from_journal for o in again[:3]] == [True] * 3
    assert again[0].result_id == first[0].result_id
    assert len(sandbox.creditings()) == 3


async def _outcomes(api: AmiliClient, rows: list[dict[str, Any]], journal: Path) -> list[Any]:
    async with api.creditor_creditings.create_many(rows, journal=journal) as results:
        outcomes = [outcome async for outcome in results]
    return sorted(outcomes, key=lambda outcome: outcome.index)
