"""A registration through a flaky network: retried when safe, reconciled when not.

Run it with ``python examples/sandbox_faults.py`` (needs ``amili-async[sandbox]``);
it runs offline in well under a second.

Two things go wrong on the way, both injected into the offline sandbox:

1. The first attempt is refused with ``503 Service Unavailable`` and
   ``Retry-After: 1``. The server says it did not process the request, so the
   SDK waits as told and sends it again.
2. The second attempt *is* stored, but its answer is lost (the connection
   drops after the commit). Sending it again blindly would register the debt
   twice; instead the SDK asks the API whether it landed (by creditor and
   invoice numbers), finds it, and returns the stored registration.

The client shares the sandbox's clock, so the one-second wait moves simulated
time instead of really sleeping.
"""

from __future__ import annotations

import anyio

from amili_async import AmiliClient, NewCaseRegistrationDict
from amili_async.sandbox import Sandbox


def registration(account: str, creditor: str) -> NewCaseRegistrationDict:
    """One customer with one unpaid invoice, in the API's own JSON shape."""
    return {
        "account": account,
        "creditor": creditor,
        "first_action": "debt_collection",
        "currency": "SEK",
        "customer": {
            "name": "ACME Inc.",
            "id_number": "5560269986",
            "is_company": True,
            "address": {
                "address_line_1": "Storgatan 42",
                "zip_code": "12345",
                "city": "Stockholm",
                "country": "SE",
            },
        },
        "debts": [
            {
                "invoice_number": "INV-2025-003",
                "debt_description": "Services",
                "invoice_date": "Mon, 07 Jul 2025 00:00:00 GMT",  # RFC 1123, or an aware datetime
                "capital_to_claim": "2000.00",
                "invoice_due_days_after_invoice_date": 31,
            }
        ],
    }


async def main() -> None:
    """Register through the two faults, show what went over the wire, then follow the case."""
    sandbox = Sandbox(seed=1)
    # Fault rules apply in the order they were added, each `times` times.
    sandbox.faults.error(503, retry_after=1, method="POST", path="/case--registrations", times=1)
    sandbox.faults.drop_after_commit(method="POST", path="/case--registrations", times=1)

    async with AmiliClient(
        api_key=sandbox.api_key,
        transport=sandbox.transport(),  # in process: no socket, no network
        clock=sandbox.clock,  # back-offs move the sandbox clock instead of sleeping
    ) as client:
        body = registration(sandbox.account_id, sandbox.creditor_id)
        # `create()` does the same; `create_or_find()` also says whether the
        # registration was found already stored rather than created by this answer.
        registered, found = await client.case_registrations.create_or_find(body)
        print(f"registered {registered.id}, case {registered.cases[0]}")
        print(f"found after a lost answer: {found}")
        # `slept` records every wait on a ManualClock: the first is the Retry-After.
        print(f"waited {sandbox.clock.slept[0]} s of sandbox time, as Retry-After said")

        print("what went over the wire:")
        for request in sandbox.request_log:
            print(f"  {request.method:4} {request.path:22} {request.status}  {request.fault or ''}")
        print(f"registrations stored: {len(sandbox.registrations())} (no duplicate)")

        # Two hours later the case is in debt collection.
        sandbox.advance(hours=2)
        case = await client.cases.get(registered.cases[0])
        print(f"status now: {case.status}, remaining: {case.total_remaining_transaction_amount}")

    injected = {kind: count for kind, count in sandbox.faults.injected.items() if count}
    print("faults injected:", injected)


if __name__ == "__main__":
    anyio.run(main)
