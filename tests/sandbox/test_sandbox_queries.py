"""Lists as Eve answers them: pagination, where, sort, projection, ETags."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sandbox_support import client, debt, register, registration

from amili_async import ManualClock
from amili_async.sandbox import Sandbox

pytestmark = pytest.mark.anyio


async def seed_cases(sandbox: Sandbox, http: httpx.AsyncClient, count: int) -> list[str]:
    """Register ``count`` one-debt registrations a minute apart; returns their case ids."""
    case_ids = []
    for number in range(count):
        body = registration(debts=[debt(f"INV-{number:03d}", 1000 + number)])
        case_ids.append((await register(http, body))["_cases"][0])
        sandbox.advance(seconds=60)
    return case_ids


async def get(http: httpx.AsyncClient, path: str, **params: Any) -> httpx.Response:
    encoded = {k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in params.items()}
    return await http.get(path, params=encoded)


async def test_pagination_meta_and_links() -> None:
    sandbox = Sandbox(clock=ManualClock(), seed=7, hateoas=True)
    async with client(sandbox) as http:
        await seed_cases(sandbox, http, 30)
        first = (await get(http, "/cases")).json()
        assert first["_meta"] == {"page": 1, "max_results": 25, "total": 30}
        assert len(first["_items"]) == 25
        assert first["_links"]["self"] == {"title": "cases", "href": "cases"}
        assert first["_items"][0]["_links"]["self"]["href"].startswith("cases/")
        assert first["_links"]["parent"] == {"title": "home", "href": "/"}
        assert first["_links"]["next"]["href"] == "cases?page=2"
        assert first["_links"]["last"]["href"] == "cases?page=2"
        assert "prev" not in first["_links"]

        page = (await get(http, "/cases", max_results=7, page=3, sort="-_created")).json()
        assert page["_meta"] == {"page": 3, "max_results": 7, "total": 30}
        assert page["_links"]["prev"]["href"] == "cases?max_results=7&sort=-_created&page=2"
        assert page["_links"]["last"]["href"] == "cases?max_results=7&sort=-_created&page=5"

        capped = (await get(http, "/cases", max_results=500)).json()
        assert capped["_meta"]["max_results"] == 100
        assert len(capped["_items"]) == 30
        beyond = (await get(http, "/cases", page=9)).json()
        assert beyond["_items"] == []
        assert beyond["_meta"]["total"] == 30


async def test_max_results_cap_is_configurable() -> None:
    sandbox = Sandbox(max_results_cap=5)
    async with client(sandbox) as http:
        await seed_cases(sandbox, http, 6)
        answer = (await get(http, "/cases", max_results=25)).json()
        assert answer["_meta"]["max_results"] == 5
        assert len(answer["_items"]) == 5


async def test_where_with_mongo_semantics(sandbox: Sandbox) -> None:
    async with client(sandbox) as http:
        await seed_cases(sandbox, http, 5)
        multi = registration(debts=[debt("MULTI-1"), debt("MULTI-2")])
        await register(http, multi)

        async def count(path: str, where: dict[str, Any]) -> int:
            response = await get(http, path, where=where)
            assert response.status_code == 200, response.text
            return int(response.json()["_meta"]["total"])

        registrations = "/case--registrations"
        assert await count(registrations, {"debts.invoice_number": "MULTI-2"}) == 1
        assert (
            await count(registrations, {"debts.invoice_number": {"$in": ["INV-001", "MULTI-1"]}})
            == 2
        )
        assert await count(registrations, {"debts.invoice_number": {"$nin": ["INV-001"]}}) == 5
        assert await count("/cases", {"debt.invoice_number": "INV-003"}) == 1
        assert await count("/cases", {"debt.capital_to_claim": {"$gte": 1002, "$lt": 1004}}) == 2
        assert await count("/cases", {"status": {"$ne": "closed"}}) == 7
        assert await count("/cases", {"closed": {"$exists": True}}) == 0
        assert await count("/cases", {"original_invoice": {"$exists": False}}) == 7
        assert (
            await count(
                "/cases",
                {"$or": [{"debt.invoice_number": "INV-000"}, {"debt.capital_to_claim": 1004}]},
            )
            == 2
        )
        assert (
            await count(
                "/cases",
                {"$and": [{"currency": "SEK"}, {"debt.invoice_number": {"$in": ["INV-000"]}}]},
            )
            == 1
        )
        after = "Wed, 03 Sep 2025 07:58:11 GMT"
        assert await count("/cases", {"_created": {"$gt": after}}) == 4
        assert await count("/cases", {"_created": after}) == 1
        assert await count("/cases", {"debt.invoice_date": "Mon, 07 Jul 2025 00:00:00 GMT"}) == 7


async def test_sort_forms(sandbox: Sandbox) -> None:
    async with client(sandbox) as http:
        await seed_cases(sandbox, http, 4)

        async def invoices(sort: str) -> list[str]:
            response = await get(http, "/cases", sort=sort)
            assert response.status_code == 200, response.text
            return [item["debt"]["invoice_number"] for item in response.json()["_items"]]

        ascending = ["INV-000", "INV-001", "INV-002", "INV-003"]
        assert await invoices("_created") == ascending
        assert await invoices("-_created") == ascending[::-1]
        assert await invoices('[("debt.capital_to_claim", -1)]') == ascending[::-1]
        assert await invoices("currency,-_id") == ascending[::-1]
        assert await invoices('[["currency", 1], ["_created", 1]]') == ascending


async def test_projection(sandbox: Sandbox) -> None:
    async with client(sandbox) as http:
        case_id = (await register(http))["_cases"][0]
        projection = {"state": 1, "status": 1, "debt.invoice_number": 1}
        items = (await get(http, "/cases", projection=projection)).json()["_items"]
        assert items == [
            {
                "_id": case_id,
                "_created": items[0]["_created"],
                "_updated": items[0]["_updated"],
                "_etag": items[0]["_etag"],
                "state": "initializing",
                "status": "initializing",
                "debt": {"invoice_number": "INV-2025-003"},
            }
        ]
        one = (await get(http, f"/cases/{case_id}", projection={"transactions": 0})).json()
        assert "transactions" not in one
        assert "debt" in one
        regs = await get(http, "/case--registrations", projection={"debts.invoice_number": 1})
        assert regs.json()["_items"][0]["debts"] == [{"invoice_number": "INV-2025-003"}]


@pytest.mark.parametrize(
    ("params", "clause"),
    [
        ({"where": "{not json"}, "where"),
        ({"where": "[1, 2]"}, "where"),
        ({"where": '{"a": {"$regex": "x"}}'}, "MONGO_QUERY_BLACKLIST"),
        ({"where": '{"a": {"$bogus": 1}}'}, "where"),
        ({"where": '{"a": {"$in": 3}}'}, "where"),
        ({"sort": "[(1, 2)]"}, "sort"),
        ({"sort": "na me"}, "sort"),
        ({"projection": '{"a": 1, "b": 0}'}, "projection"),
    ],
)
async def test_malformed_queries_are_400(
    sandbox: Sandbox, params: dict[str, str], clause: str
) -> None:
    async with client(sandbox) as http:
        response = await http.get("/cases", params=params)
    assert response.status_code == 400
    body = response.json()
    assert body["_status"] == "ERR"
    assert body["_error"]["code"] == 400
    assert clause in body["_error"]["message"]


async def test_items_404_etag_and_not_modified(sandbox: Sandbox) -> None:
    async with client(sandbox) as http:
        created = await register(http)
        case_id = created["_cases"][0]
        for path in ("/cases", "/case--registrations", "/creditor--payments"):
            for missing in ("a" * 24, "not-an-id"):
                response = await http.get(f"{path}/{missing}")
                assert response.status_code == 404
                assert response.json()["_error"]["code"] == 404

        first = await http.get(f"/cases/{case_id}")
        etag, since = first.headers["etag"], first.headers["last-modified"]
        again = await http.get(f"/cases/{case_id}", headers={"If-None-Match": etag})
        assert again.status_code == 304
        assert again.content == b""
        sandbox.advance(seconds=300)
        changed = await http.get(f"/cases/{case_id}", headers={"If-None-Match": etag})
        assert changed.status_code == 200
        assert changed.headers["etag"] != etag
        both = {"If-None-Match": etag, "If-Modified-Since": since}
        assert (await http.get(f"/cases/{case_id}", headers=both)).status_code == 200

        registration_doc = (await http.get(f"/case--registrations/{created['_id']}")).json()
        assert registration_doc["_cases"] == created["_cases"]
        assert registration_doc["debts"][0]["invoice_date"] == "Mon, 07 Jul 2025 00:00:00 GMT"

        # A list has no ETag and ignores the validators, as Eve's do.
        listed = await http.get("/cases")
        assert "etag" not in listed.headers
        cached = await http.get(
            "/cases", headers={"If-None-Match": etag, "If-Modified-Since": since}
        )
        assert cached.status_code == 200


async def test_home_and_method_not_allowed(sandbox: Sandbox) -> None:
    async with client(sandbox, key="") as http:
        home = await http.get("/")
        assert home.status_code == 200
        assert home.json() == {}  # Eve's home page without HATEOAS
    async with client(Sandbox(hateoas=True), key="") as http:
        home = await http.get("/")
        assert {"href": "cases", "title": "cases"} in home.json()["_links"]["child"]
    async with client(sandbox) as http:
        response = await http.delete("/cases")
        assert response.status_code == 405
        assert response.json()["_error"]["code"] == 405
        assert (await http.get("/nothing-here")).status_code == 404
