"""A user's own test suite for code that calls Amili, run against the offline sandbox.

Run it with ``pytest examples/user_suite`` (needs ``amili-async[sandbox]``, ``pytest``
and ``trio``), or ``python examples/user_suite/test_my_integration.py``.

``my_billing`` below stands for your application code: it takes an
``AmiliClient`` and does its job. The tests hand it the client of the
``amili_sandbox`` fixture, which yields a :class:`~amili_async.sandbox.SandboxFixture`:
a fresh in-memory sandbox per test (``.sandbox``), an ``AmiliClient`` wired to
it in process (``.client``), its clock (``.clock``, ``.advance()``) and its
fault rules (``.faults``). Waits and back-offs move the sandbox's clock, so
days pass in milliseconds.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from amili_async import AmiliClient, CaseStatus, RequestValidationError
from amili_async.sandbox import SandboxFixture

# --- the application code under test -----------------------------------------------------


async def send_to_collection(
    client: AmiliClient, account: str, creditor: str, invoice_number: str, amount: Decimal
) -> str:
    """Hand one unpaid invoice of ACME Inc. to Amili; return the new case's id."""
    registration = await client.case_registrations.create(
        {
            "account": account,
            "creditor": creditor,
            "customer": {
                "name": "ACME Inc.",
                "id_number": "5560269986",
                "is_company": True,
                "address": {
                    "address_line_1": "Storgatan 42",
                    "zip_code": "12345",
                    "city": "Stockholm",
                },
            },
            "debts": [
                {
                    "invoice_number": invoice_number,
                    "debt_description": "Services",
                    "invoice_date": datetime(2025, 7, 7, tzinfo=UTC),
                    "capital_to_claim": amount,
                    "invoice_due_days_after_invoice_date": 30,
                }
            ],
        }
    )
    return registration.cases[0]


async def record_payment(
    client: AmiliClient, account: str, creditor: str, case_id: str, amount: Decimal, reference: str
) -> None:
    """Tell Amili that the customer paid us directly."""
    await client.creditor_payments.create(
        {
            "account": account,
            "creditor": creditor,
            "case": case_id,
            "amount": amount,
            "bank_transaction_date": client.clock.now(),
            "creditor_payment_reference": reference,  # lets a lost answer be looked up
        }
    )


# --- the tests ------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_an_invoice_reaches_debt_collection(amili_sandbox: SandboxFixture) -> None:
    sandbox = amili_sandbox.sandbox
    case_id = await send_to_collection(
        amili_sandbox.client, sandbox.account_id, sandbox.creditor_id, "INV-1", Decimal("2000.00")
    )

    amili_sandbox.advance(hours=2)

    case = await amili_sandbox.client.cases.get(case_id)
    assert case.status == CaseStatus.DEBT_COLLECTION
    assert case.total_remaining_capital_amount == Decimal("2000.00")


@pytest.mark.anyio
async def test_a_payment_through_a_flaky_network_lands_once(amili_sandbox: SandboxFixture) -> None:
    sandbox, client = amili_sandbox.sandbox, amili_sandbox.client
    case_id = await send_to_collection(
        client, sandbox.account_id, sandbox.creditor_id, "INV-2", Decimal("500.00")
    )
    amili_sandbox.advance(hours=2)
    # Two refusals with Retry-After, then a payment whose answer is lost after it was stored.
    amili_sandbox.faults.error(503, retry_after=5, path="/creditor--payments", times=2)
    amili_sandbox.faults.drop_after_commit(method="POST", path="/creditor--payments", times=1)

    await record_payment(
        client, sandbox.account_id, sandbox.creditor_id, case_id, Decimal("500.00"), "PAY-2"
    )

    assert len(sandbox.payments()) == 1  # stored once, whatever the network did
    stored = sandbox.case(case_id)  # a typed dict (CaseDocument): the API's own JSON
    assert stored["status"] == "closed"
    assert "closed" in stored  # a key only a closed case has
    assert stored["closed"]["reason"] == "fully_paid_depreciation"


@pytest.mark.anyio
async def test_a_bad_invoice_is_refused_before_anything_is_sent(
    amili_sandbox: SandboxFixture,
) -> None:
    sandbox = amili_sandbox.sandbox
    with pytest.raises(RequestValidationError) as refused:
        await send_to_collection(
            amili_sandbox.client, sandbox.account_id, sandbox.creditor_id, "INV-3", Decimal("-1")
        )

    assert "debts.0.capital_to_claim" in refused.value.issues
    assert sandbox.request_log == []


def test_each_test_gets_a_fresh_sandbox(amili_sandbox: SandboxFixture) -> None:
    # A plain (sync) test can inspect the sandbox too; the seed comes from conftest.py.
    assert amili_sandbox.sandbox.seed == 42
    assert amili_sandbox.sandbox.cases() == []


def main() -> int:
    """Run this suite with pytest, in a fresh interpreter (pytest rewrites asserts on import)."""
    command = [sys.executable, "-m", "pytest", str(Path(__file__).parent), "-q"]
    return subprocess.call([*command, "-p", "no:cacheprovider"])


if __name__ == "__main__":
    raise SystemExit(main())
