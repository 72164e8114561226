"""Helpers for the bulk tests: valid registrations and a transport that counts what is in flight."""

from __future__ import annotations

from collections import Counter
from typing import Any

import anyio
import httpx

from amili_async import AmiliClient, RegistrationOutcome
from amili_async.sandbox import Sandbox


def luhn_check_digit(nine: str) -> int:
    """The Luhn check digit of a nine-digit number, worked out here rather than by the SDK."""
    weighted = "".join(str(int(digit) * (2 - position % 2)) for position, digit in enumerate(nine))
    return -sum(int(digit) for digit in weighted) % 10


def person_number(n: int) -> str:
    """A valid ten-digit Swedish personal number, different for each ``n`` below 28,000."""
    day = 1 + (n // 1000) % 28
    nine = f"8501{day:02d}{n % 1000:03d}"
    return nine + str(luhn_check_digit(nine))


def organisation_number(n: int) -> str:
    """A valid ten-digit Swedish organisation number."""
    nine = f"5560{n % 100000:05d}"
    return nine + str(luhn_check_digit(nine))


def registration(sandbox: Sandbox, n: int, *, debts: int = 1) -> dict[str, Any]:
    """A valid registration for the sandbox's account and creditor: customer ``n``'s debts."""
    return {
        "account": sandbox.account_id,
        "creditor": sandbox.creditor_id,
        "first_action": "debt_collection",
        "currency": "SEK",
        "customer": {
            "name": f"Customer {n}",
            "id_number": person_number(n),
            "is_company": False,
            "address": {
                "address_line_1": f"Storgatan {n % 90 + 1}",
                "zip_code": "12345",
                "city": "Stockholm",
                "country": "SE",
            },
        },
        "debts": [
            {
                "invoice_number": f"INV-{n:06d}-{d}",
                "debt_description": "Services",
                "invoice_date": "Mon, 07 Jul 2025 00:00:00 GMT",
                "capital_to_claim": 1000 + n % 500,
                "invoice_due_days_after_invoice_date": 30,
            }
            for d in range(debts)
        ],
    }


async def run_job(
    client: AmiliClient, items: list[Any], **options: Any
) -> list[RegistrationOutcome]:
    """Run ``create_many`` over ``items`` with ``options``; every outcome, in completion order."""
    async with client.case_registrations.create_many(items, **options) as outcomes:
        return [outcome async for outcome in outcomes]


def tally(outcomes: list[RegistrationOutcome]) -> Counter[str]:
    """The outcomes counted by status; ``journal`` for those an earlier run settled."""
    return Counter(
        "journal" if outcome.from_journal else outcome.status.value for outcome in outcomes
    )


def cases_per_invoice(sandbox: Sandbox) -> Counter[str]:
    """How many cases the sandbox holds for each invoice number."""
    return Counter(case["debt"]["invoice_number"] for case in sandbox.cases())


class CountingTransport(httpx.AsyncBaseTransport):
    """Wraps a transport: counts requests in flight (and the most at once), can hold them.

    While ``gate`` is not set every request waits for it, so a test can see how
    many are in flight; ``entered`` and ``exited`` show that every request that
    started also ended (nothing left running after a cancellation).
    """

    def __init__(self, inner: httpx.AsyncBaseTransport, *, hold: bool = False) -> None:
        self.inner = inner
        self.in_flight = 0
        self.max_in_flight = 0
        self.entered = 0
        self.exited = 0
        self.posts = 0
        self.gate = anyio.Event()
        if not hold:
            self.gate.set()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Count, wait for the gate, then pass the request on."""
        self.entered += 1
        self.in_flight += 1
        if request.method == "POST":
            self.posts += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await self.gate.wait()
            await anyio.lowlevel.checkpoint()
            return await self.inner.handle_async_request(request)
        finally:
            self.in_flight -= 1
            self.exited += 1
