"""Exercise an integration against the offline Amili sandbox, faults included.

Run with ``python examples/sandbox_faults.py`` (needs ``amili-async[sandbox]``).
Plain httpx is used on purpose: any HTTP client works with ``sandbox.transport()``.
"""

from __future__ import annotations

import anyio
import httpx

from amili_async.sandbox import Sandbox

REGISTRATION = {
    "account": "674dbeaf08847b9501cc9132",
    "creditor": "674dbeb208847b9501cc9138",
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
            "invoice_date": "Mon, 07 Jul 2025 00:00:00 GMT",
            "capital_to_claim": 2000,
            "invoice_due_days_after_invoice_date": 31,
        }
    ],
}


async def main() -> None:
    """Register through a flaky network, then watch the case move into collection."""
    sandbox = Sandbox(seed=1)
    sandbox.faults.error(503, retry_after=1, path="/case--registrations", times=1)
    sandbox.faults.drop_after_commit(method="POST", path="/case--registrations", times=1)
    async with httpx.AsyncClient(
        transport=sandbox.transport(),
        base_url="https://api-sandbox.amili.se",
        headers={"X-API-Key": sandbox.api_key},
    ) as http:
        first = await http.post("/case--registrations", json=REGISTRATION)
        print("first attempt:", first.status_code, first.headers.get("retry-after"))
        try:
            await http.post("/case--registrations", json=REGISTRATION)
        except httpx.RemoteProtocolError as exc:
            print("second attempt lost its answer:", exc)
        # Did it land? Ask before sending again.
        found = await http.get(
            "/case--registrations",
            params={"where": '{"debts.invoice_number": "INV-2025-003"}'},
        )
        (registration,) = found.json()["_items"]
        print("it landed:", registration["_id"], registration["_cases"])

        sandbox.advance(hours=2)
        case = (await http.get(f"/cases/{registration['_cases'][0]}")).json()
        remaining = case["total_remaining_transaction_amount"]
        print("status now:", case["status"], "remaining:", remaining)
    print("faults injected:", {k: v for k, v in sandbox.faults.injected.items() if v})


if __name__ == "__main__":
    anyio.run(main)
