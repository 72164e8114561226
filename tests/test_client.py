"""Client configuration: URLs, timeouts, per-call options, pagination, lifecycle."""

from __future__ import annotations

import json

import httpx
import pytest
import respx
from support import example, example_bytes

from amili_async import (
    AmiliClient,
    ConfigurationError,
    RequestValidationError,
    RetryPolicy,
)

pytestmark = pytest.mark.anyio

CASE_ID = "68b7f49c7b02934caddab092"
CASE_JSON = example_bytes("03-case.debt_collection.response.json")


@pytest.mark.parametrize(
    "url", ["http://api-sandbox.amili.se", "http://10.0.0.5:8000", "ftp://x", "not a url"]
)
def test_insecure_or_malformed_base_urls_are_refused(url: str) -> None:
    with pytest.raises(ConfigurationError):
        AmiliClient(api_key="k", base_url=url)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8400", "http://localhost:8400", "http://[::1]:8400"]
)
def test_plain_http_is_allowed_on_loopback(url: str) -> None:
    assert AmiliClient(api_key="k", base_url=url).base_url.startswith("http://")


def test_exactly_one_credential() -> None:
    with pytest.raises(ConfigurationError, match="exactly one"):
        AmiliClient()
    with pytest.raises(ConfigurationError, match="empty"):
        AmiliClient(api_key="")


def test_bad_timeout_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="timeout"):
        AmiliClient(api_key="k", timeout=-1)


async def test_timeouts_default_with_options_and_per_call(api: respx.MockRouter) -> None:
    route = api.get(f"/cases/{CASE_ID}").respond(200, content=CASE_JSON)
    client = AmiliClient(api_key="k", timeout=12)

    await client.cases.get(CASE_ID)
    assert route.calls.last.request.extensions["timeout"]["read"] == 12.0

    fast = client.with_options(timeout=2.5, retry=RetryPolicy.none())
    await fast.cases.get(CASE_ID)
    assert route.calls.last.request.extensions["timeout"]["read"] == 2.5
    assert fast.retry_policy.max_attempts == 1
    assert client.retry_policy.max_attempts == 4, "the original client keeps its options"
    assert fast.token_provider is client.token_provider, "views share the token"
    assert fast.connection_pool is client.connection_pool, "and the connection pools"

    await client.cases.get(CASE_ID, timeout=httpx.Timeout(1.0, connect=0.5))
    assert route.calls.last.request.extensions["timeout"]["connect"] == 0.5


async def test_transport_can_be_injected() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, content=CASE_JSON)

    async with AmiliClient(api_key="k", transport=httpx.MockTransport(handler)) as client:
        case = await client.cases.get(CASE_ID)
    assert case.id == CASE_ID
    assert seen == [f"https://api-sandbox.amili.se/cases/{CASE_ID}"]


def _page(
    items: list[dict[str, object]], page: int, total: int, per_page: int
) -> dict[str, object]:
    links: dict[str, object] = {"self": {"href": "cases"}}
    if page * per_page < total:
        links["next"] = {"href": f"cases?page={page + 1}"}
    return {
        "_items": items,
        "_meta": {"total": total, "max_results": per_page, "page": page},
        "_links": links,
    }


async def test_list_follows_pagination_with_filters(api: respx.MockRouter) -> None:
    case = example("03-case.debt_collection.response.json")
    pages = {
        "1": _page([case | {"_id": "a"}, case | {"_id": "b"}], 1, 5, 2),
        "2": _page([case | {"_id": "c"}, case | {"_id": "d"}], 2, 5, 2),
        "3": _page([case | {"_id": "e"}], 3, 5, 2),
    }

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=pages[request.url.params["page"]])

    route = api.get("/cases").mock(side_effect=handler)
    client = AmiliClient(api_key="k")
    ids = [
        case.id
        async for case in client.cases.list(
            where={"debt.invoice_number": {"$in": ["INV-1", "INV-2"]}},
            sort="-_created",
            max_results=2,
        )
    ]
    assert ids == ["a", "b", "c", "d", "e"]
    assert route.call_count == 3
    params = route.calls.last.request.url.params
    assert json.loads(params["where"]) == {"debt.invoice_number": {"$in": ["INV-1", "INV-2"]}}
    assert params["sort"] == "-_created"
    assert params["max_results"] == "2"

    first_two = await client.cases.list(max_results=2).collect(limit=2)
    assert [case.id for case in first_two] == ["a", "b"]


async def test_empty_list(api: respx.MockRouter) -> None:
    api.get("/creditor--payments").respond(200, json=_page([], 1, 0, 25))
    client = AmiliClient(api_key="k")
    assert await client.creditor_payments.list().collect() == []


def test_list_arguments_are_checked_before_sending() -> None:
    client = AmiliClient(api_key="k")
    with pytest.raises(RequestValidationError, match="where"):
        client.cases.list(where="{not json")
    with pytest.raises(RequestValidationError, match="max_results"):
        client.cases.list(max_results=0)


async def test_ids_are_checked_before_sending(api: respx.MockRouter) -> None:
    client = AmiliClient(api_key="k")
    with pytest.raises(RequestValidationError):
        await client.cases.get("../case--registrations")
    with pytest.raises(RequestValidationError):
        await client.creditor_payments.get("")


async def test_registration_list_and_get(api: respx.MockRouter) -> None:
    stored = example("01-case-registration.request.json") | example(
        "01-case-registration.response.json"
    )
    api.get("/case--registrations/68b7f49cb8903ae30ebb85ec").respond(200, json=stored)
    client = AmiliClient(api_key="k")
    registration = await client.case_registrations.get("68b7f49cb8903ae30ebb85ec")
    assert registration.invoice_numbers == ("INV-2025-003",)
    assert registration.customer is not None
    assert registration.customer.name == "ACME Inc."
    assert "5560269986" not in repr(registration)
