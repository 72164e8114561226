"""A write whose 2xx answer cannot be read has landed: the SDK looks it up, never re-sends."""

from __future__ import annotations

import httpx
import pytest
from sandbox_support import BASE_URL, registration

from amili_async import AmiliClient, ResponseValidationError
from amili_async.sandbox import Sandbox

pytestmark = pytest.mark.anyio


class GarbledWrites(httpx.AsyncBaseTransport):
    """The sandbox, with the body of every successful POST answer replaced by HTML."""

    def __init__(self, sandbox: Sandbox) -> None:
        self._inner = sandbox.transport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        if request.method != "POST" or response.status_code >= 300:
            return response
        await response.aread()
        return httpx.Response(
            response.status_code,
            content=b"<html><body>Service temporarily unavailable</body></html>",
            headers={"Content-Type": "text/html"},
        )


def client_on(sandbox: Sandbox) -> AmiliClient:
    return AmiliClient(
        api_key=sandbox.api_key,
        base_url=BASE_URL,
        transport=GarbledWrites(sandbox),
        clock=sandbox.clock,
    )


async def test_an_unreadable_answer_to_a_registration_is_looked_up() -> None:
    sandbox = Sandbox()
    async with client_on(sandbox) as client:
        stored, found = await client.case_registrations.create_or_find(registration())
    assert found is True
    assert len(sandbox.registrations()) == 1
    assert stored.cases == tuple(sandbox.registrations()[0]["_cases"])


async def test_an_unreadable_answer_with_no_lookup_says_it_landed() -> None:
    sandbox = Sandbox()
    async with client_on(sandbox) as client:
        created = await client.case_registrations.create(registration())
        payment = {
            "account": sandbox.account_id,
            "creditor": sandbox.creditor_id,
            "case": created.cases[0],
            "amount": 100.0,
            "currency": "SEK",
            "origin": "creditor_system",
            "bank_transaction_date": "Wed, 03 Sep 2025 08:00:00 GMT",
        }
        with pytest.raises(ResponseValidationError) as caught:
            await client.creditor_payments.create(payment)
    assert caught.value.landed is True
    assert "landed" in str(caught.value)
    assert len(sandbox.payments()) == 1
