"""An invoice number is unique per creditor: the sandbox refuses it like Eve, the SDK finds it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from bulk_support import CountingTransport, registration

from amili_async import (
    AmiliClient,
    ConflictError,
    OutcomeStatus,
    RegistrationOutcome,
    UnprocessableEntityError,
)
from amili_async.sandbox.pytest_plugin import SANDBOX_BASE_URL, SandboxFixture

pytestmark = pytest.mark.anyio


async def post(amili_sandbox: SandboxFixture, body: Any) -> httpx.Response:
    sandbox = amili_sandbox.sandbox
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url=SANDBOX_BASE_URL) as http:
        return await http.post(
            "/case--registrations", json=body, headers={"X-API-Key": sandbox.api_key}
        )


async def test_the_sandbox_refuses_a_stored_invoice_number_like_eve(
    amili_sandbox: SandboxFixture,
) -> None:
    sandbox = amili_sandbox.sandbox
    first = registration(sandbox, 1, debts=2)
    assert (await post(amili_sandbox, first)).status_code == 201

    again = registration(sandbox, 2, debts=2)
    again["debts"][1]["invoice_number"] = first["debts"][0]["invoice_number"]
    answer = await post(amili_sandbox, again)

    assert answer.status_code == 422
    assert answer.json() == {
        "_status": "ERR",
        "_issues": {"debts": {"1": {"invoice_number": "value 'INV-000001-0' is not unique"}}},
        "_error": {"code": 422, "message": "Insertion failure: 1 document(s) contain(s) error(s)"},
    }
    assert len(sandbox.registrations()) == 1

    other_creditor = sandbox.add_creditor("Other AB")
    elsewhere = {**first, "creditor": other_creditor.id}
    assert (await post(amili_sandbox, elsewhere)).status_code == 201  # unique per creditor

    sandbox.discard_cases()  # forgotten with the registrations
    assert (await post(amili_sandbox, first)).status_code == 201


async def test_create_or_find_finds_a_stored_registration_without_sending_it_twice(
    client: AmiliClient, counting: CountingTransport, amili_sandbox: SandboxFixture
) -> None:
    sandbox = amili_sandbox.sandbox
    item = registration(sandbox, 3, debts=2)
    stored = await client.case_registrations.create(item)

    found, existed = await client.case_registrations.create_or_find(item)

    assert existed
    assert (found.id, found.cases) == (stored.id, stored.cases)
    assert counting.posts == 2  # the second was refused as not unique, then looked up
    assert len(sandbox.registrations()) == 1


async def test_an_invoice_stored_in_another_registration_is_a_conflict(
    client: AmiliClient, amili_sandbox: SandboxFixture
) -> None:
    sandbox = amili_sandbox.sandbox
    await client.case_registrations.create(registration(sandbox, 4))
    regrouped = registration(sandbox, 4, debts=2)  # the same invoice, and one more

    with pytest.raises(ConflictError) as conflict:
        await client.case_registrations.create_or_find(regrouped)

    assert sandbox.registrations()[0]["_id"] in str(conflict.value)
    assert len(sandbox.registrations()) == 1


async def test_other_refusals_stay_refusals(
    client: AmiliClient, amili_sandbox: SandboxFixture
) -> None:
    sandbox = amili_sandbox.sandbox
    other = sandbox.add_creditor("Euro AB", currencies=("EUR",))
    await client.case_registrations.create(registration(sandbox, 5))
    item = {**registration(sandbox, 5), "creditor": other.id}  # SEK to a EUR-only creditor

    with pytest.raises(UnprocessableEntityError) as refused:
        await client.case_registrations.create_or_find(item)

    assert "currency" in refused.value.issues


async def test_create_many_reports_stored_invoices_as_already_registered(
    client: AmiliClient, counting: CountingTransport, amili_sandbox: SandboxFixture
) -> None:
    sandbox = amili_sandbox.sandbox
    items = [registration(sandbox, n, debts=1 + n % 2) for n in range(12)]
    for item in [*items[:5], registration(sandbox, 50)]:
        await client.case_registrations.create(item)
    items.append(registration(sandbox, 50, debts=2))  # holds customer 50's stored invoice

    async with client.case_registrations.create_many(items, concurrency=4) as outcomes:
        results: list[RegistrationOutcome] = [outcome async for outcome in outcomes]

    by_index = {outcome.index: outcome for outcome in results}
    assert [by_index[i].status for i in range(5)] == [OutcomeStatus.ALREADY_REGISTERED] * 5
    assert [by_index[i].status for i in range(5, 12)] == [OutcomeStatus.CREATED] * 7
    assert isinstance(by_index[12].error, ConflictError)
    assert len(sandbox.registrations()) == 13
