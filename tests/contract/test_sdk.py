"""The SDK itself against each target: what a real integrator does first, on a real Eve server too.

Where ``test_wire.py`` checks the wire, these check that the SDK copes with it:
the documented flow, reading back what others stored, projections, paging
(with and without ``_meta.total``, up to Amili's 100 a page), Eve's nested 422
issues, and Eve's rate limit.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from targets import Target

from amili_async import (
    Case,
    CaseRegistration,
    ConflictError,
    NotFoundError,
    RetryPolicy,
    UnprocessableEntityError,
)

pytestmark = pytest.mark.anyio

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "api-examples"


def example(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text())


def registration(target: Target, invoice_number: str = "INV-2025-003") -> dict[str, Any]:
    body: dict[str, Any] = copy.deepcopy(example("01-case-registration.request.json"))
    body["creditor"] = target.creditor_id
    body["debts"][0]["invoice_number"] = invoice_number
    return body


async def test_the_documented_registration_reads_back_as_a_case(target: Target) -> None:
    async with target.sdk() as client:
        created = await client.case_registrations.create(registration(target))
        assert len(created.cases) == 1
        case = await client.cases.get(created.cases[0])
        assert isinstance(case, Case)
        assert case.id == created.cases[0]
        stored = await client.case_registrations.get(created.id)
        assert stored.invoice_numbers == ("INV-2025-003",)


async def test_a_registration_stored_from_the_docs_person_example_reads_back(
    target: Target,
) -> None:
    # Stored by someone else (the docs' person example has no is_company): the SDK
    # would never send it, but it must read it.
    body = registration(target)
    body["customer"] = {
        "name": "Anna Andersson",
        "id_number": "202501012385",
        "address": {"address_line_1": "Storgatan 1", "zip_code": "12345", "city": "Stockholm"},
    }
    async with target.client() as http:
        answer = await http.post("/case--registrations", json=body)
    assert answer.status_code == 201, answer.text
    async with target.sdk() as client:
        stored = await client.case_registrations.get(answer.json()["_id"])
    assert isinstance(stored, CaseRegistration)
    assert stored.customer is not None
    assert stored.customer.is_company is None
    assert stored.customer.address is not None
    assert stored.customer.address.country is None


async def test_a_projection_reads_as_a_case_with_the_rest_missing(target: Target) -> None:
    async with target.sdk() as client:
        created = await client.case_registrations.create(registration(target))
        case = await client.cases.get(created.cases[0], projection={"status": 1})
        assert case.id == created.cases[0]
        assert case.debt is None
        listed = await client.cases.list(projection={"debt.invoice_number": 1}).collect()
        assert [item.id for item in listed] == list(created.cases)
        assert listed[0].status is None


async def _register_many(target: Target, count: int) -> set[str]:
    async with target.sdk() as client:
        ids: set[str] = set()
        for number in range(count):
            created = await client.case_registrations.create(
                registration(target, f"INV-PAGE-{number:03d}")
            )
            ids.update(created.cases)
        return ids


async def test_every_page_is_walked_up_to_100_a_page(target: Target) -> None:
    ids = await _register_many(target, 5)
    async with target.sdk() as client:
        assert {case.id for case in await client.cases.list(max_results=2).collect()} == ids
        assert {case.id for case in await client.cases.list(max_results=100).collect()} == ids


async def test_pages_are_walked_without_meta_total(target: Target) -> None:
    target = target.variant(optimize_pagination_for_speed=True)
    ids = await _register_many(target, 5)
    async with target.sdk() as client:
        pages = [page async for page in client.cases.list(max_results=2).pages()]
        assert all(page.total is None for page in pages)
        assert {case.id for page in pages for case in page.items} == ids


async def test_the_servers_422_issues_read_as_dotted_fields(target: Target) -> None:
    # Local validation passes this (an account is any non-empty text); the server refuses it.
    bad = registration(target)
    bad["account"] = "not-an-object-id"
    async with target.sdk(retry=RetryPolicy.none()) as client:
        with pytest.raises(UnprocessableEntityError) as caught:
            await client.case_registrations.create(bad)
    assert "account" in caught.value.issues
    messages = [message for found in caught.value.issues.values() for message in found]
    assert messages
    assert all(isinstance(message, str) for message in messages)


async def test_the_client_waits_out_the_servers_rate_limit_instead_of_failing(
    target: Target, anyio_backend: str
) -> None:
    if target.name == "eve" and anyio_backend != "asyncio":
        pytest.skip("Eve's window runs in real time: once is enough")
    target = target.variant(rate_limit=(3, 1))
    async with target.sdk(retry=RetryPolicy(max_attempts=3)) as client:
        for _ in range(7):
            await client.cases.list().collect()


async def test_creditor_updates_and_deletes_follow_eves_if_match(target: Target) -> None:
    async with target.sdk() as client:
        read = await client.creditors.get(target.creditor_id)
        answer = await client.creditors.update(read, {"name": "Renamed AB"})
        assert answer.etag is not None
        assert answer.etag != read.etag
        assert (await client.creditors.get(read.id)).name == "Renamed AB"
        with pytest.raises(ConflictError) as stale:
            await client.creditors.update(read, {"name": "Again AB"})
        assert stale.value.status_code == 412
        assert "changed since it was read" in str(stale.value)
        with pytest.raises(ConflictError) as missing:
            await client.creditors.delete(read.id)
        assert missing.value.status_code == 428
        await client.creditors.delete(read.id, etag=answer.etag)
        with pytest.raises(NotFoundError):
            await client.creditors.get(read.id)
        await client.creditors.delete(read.id, etag=answer.etag)  # gone: Eve's 204
