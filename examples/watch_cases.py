"""Follow open cases until they close, while the sandbox's simulated time runs.

Run it with ``python examples/watch_cases.py`` (needs ``amili-async[sandbox]``);
weeks of simulated time pass in about a second.

Three debts are registered, one starting with a reminder. ``cases.watch()``
polls them every six hours and yields a :class:`~amili_async.CaseUpdate` each
time one changes. Whenever a case reaches debt collection, the simulated
customer pays it in full, and the case closes. Finally ``cases.wait_for()``
follows one more case to debt collection.

How time passes: the client is given the sandbox's clock, so each wait between
polls *moves* that clock instead of sleeping, and the sandbox runs every case's
life cycle up to the new time on the next request. Against the real API the
same code waits for real (leave ``clock=`` out).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import anyio

from amili_async import AmiliClient, Case, CaseStatus, FirstActionValue, NewCaseRegistrationDict
from amili_async.sandbox import Sandbox

HOUR = 3600.0


def registration(
    sandbox: Sandbox, invoice: str, amount: str, first_action: FirstActionValue
) -> NewCaseRegistrationDict:
    """One company owing one invoice, in the API's JSON shape."""
    return {
        "account": sandbox.account_id,
        "creditor": sandbox.creditor_id,
        "first_action": first_action,  # "debt_collection", or "reminder" first
        "customer": {
            "name": "ACME Inc.",
            "id_number": "5560269986",
            "is_company": True,
            "address": {"address_line_1": "Storgatan 42", "zip_code": "12345", "city": "Stockholm"},
        },
        "debts": [
            {
                "invoice_number": invoice,
                "debt_description": "Consulting",
                "invoice_date": datetime(2025, 7, 1, tzinfo=UTC),
                "capital_to_claim": Decimal(amount),
                "invoice_due_days_after_invoice_date": 30,
            }
        ],
    }


def in_collection(case: Case) -> bool:
    """Whether debt collection has started: the moment our simulated customer pays."""
    return case.status in (CaseStatus.DEBT_COLLECTION, CaseStatus.DEBT_COLLECTION_ACTIVE)


async def customer_pays(client: AmiliClient, sandbox: Sandbox, case: Case) -> None:
    """Register that the customer paid the creditor the whole remaining capital."""
    if case.total_remaining_capital_amount is None:  # left out of the answer: nothing to pay
        return
    await client.creditor_payments.create(
        {
            "account": sandbox.account_id,
            "creditor": sandbox.creditor_id,
            "case": case.id,
            "amount": case.total_remaining_capital_amount,
            "bank_transaction_date": client.clock.now(),
            # The reference lets the SDK look the payment up if an answer is lost.
            "creditor_payment_reference": f"PAY-{case.id}",
        }
    )


async def watch_until_closed(client: AmiliClient, sandbox: Sandbox, case_ids: list[str]) -> None:
    """Print every change of the cases until each one is closed."""
    paid: set[str] = set()
    async with client.cases.watch(case_ids, interval=6 * HOUR, until="closed", seed=1) as updates:
        async for update in updates:
            case = update.case
            if update.error is not None or case is None:
                print(f"{update.case_id}: could not read it: {update.error!r}")
                continue
            when = client.clock.now().strftime("%Y-%m-%d %H:%M")
            remaining = case.total_remaining_transaction_amount
            print(f"{when}  {case.id}  {case.status} (remaining {remaining})")
            if in_collection(case) and case.id not in paid:
                paid.add(case.id)
                await customer_pays(client, sandbox, case)
                print(f"{when}  {case.id}  the customer paid {case.total_remaining_capital_amount}")


async def main() -> None:
    """Register three cases, watch them close, then wait for a fourth to reach collection."""
    sandbox = Sandbox(seed=7)
    async with AmiliClient(
        api_key=sandbox.api_key, transport=sandbox.transport(), clock=sandbox.clock
    ) as client:
        case_ids: list[str] = []
        invoices: list[tuple[str, str, FirstActionValue]] = [
            ("INV-W-1", "1200.00", "debt_collection"),
            ("INV-W-2", "800.50", "debt_collection"),
            ("INV-W-3", "5000.00", "reminder"),
        ]
        for invoice, amount, first_action in invoices:
            registered = await client.case_registrations.create(
                registration(sandbox, invoice, amount, first_action)
            )
            case_ids.extend(registered.cases)

        started = client.clock.now()
        await watch_until_closed(client, sandbox, case_ids)
        took = client.clock.now() - started
        print(f"all {len(case_ids)} cases closed after {took.days} days of sandbox time")

        # One case, one call: poll every hour until it is in debt collection,
        # giving up (WaitTimeoutError) after three days.
        registered = await client.case_registrations.create(
            registration(sandbox, "INV-W-4", "300.00", "debt_collection")
        )
        case = await client.cases.wait_for(
            registered.cases[0], status=in_collection, interval=HOUR, max_wait=3 * 24 * HOUR
        )
        print(f"wait_for: {case.id} reached {case.status}")


if __name__ == "__main__":
    anyio.run(main)
