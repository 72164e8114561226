"""Lists: page sizes up to 100, servers that do not count, servers that never stop."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx
from support import example

from amili_async import (
    AmiliClient,
    AsyncPager,
    Case,
    Page,
    RequestValidationError,
    ResponseValidationError,
)
from amili_async._pagination import parse_page

pytestmark = pytest.mark.anyio

CASE = example("03-case.debt_collection.response.json")


def cases(*ids: str) -> list[dict[str, Any]]:
    return [CASE | {"_id": case_id} for case_id in ids]


def serve(api: respx.MockRouter, pages: dict[int, dict[str, Any]]) -> respx.Route:
    """``GET /cases`` answering each page number from ``pages`` (an empty page past them)."""

    def handler(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params.get("page", "1"))
        return httpx.Response(200, json=pages.get(number, {"_items": [], "_meta": {}}))

    return api.get("/cases").mock(side_effect=handler)


async def ids_of(pager: AsyncPager[Case]) -> list[str]:
    return [case.id for case in await pager.collect()]


async def test_page_sizes_up_to_100_are_sent_and_none_is_sent_by_default(
    api: respx.MockRouter,
) -> None:
    route = serve(api, {1: {"_items": [], "_meta": {"total": 0}}})
    client = AmiliClient(api_key="k")
    await client.cases.list(max_results=100).collect()
    assert route.calls.last.request.url.params["max_results"] == "100"
    await client.cases.list().collect()
    assert "max_results" not in route.calls.last.request.url.params


@pytest.mark.parametrize("size", [0, 101, -1, True, "10", 2.0])
def test_a_bad_page_size_is_refused_before_sending(size: object) -> None:
    client = AmiliClient(api_key="k")
    with pytest.raises(RequestValidationError, match="from 1 to 100"):
        client.cases.list(max_results=size)  # type: ignore[arg-type]


async def test_without_a_total_it_goes_on_while_pages_are_full(api: respx.MockRouter) -> None:
    route = serve(
        api,
        {
            1: {"_items": cases("a", "b"), "_meta": {"page": 1, "max_results": 2}},
            2: {"_items": cases("c", "d"), "_meta": {"page": 2, "max_results": 2}},
            3: {"_items": cases("e"), "_meta": {"page": 3, "max_results": 2}},
        },
    )
    assert await ids_of(AmiliClient(api_key="k").cases.list(max_results=2)) == list("abcde")
    assert route.call_count == 3


async def test_without_any_meta_the_requested_size_tells_a_full_page(
    api: respx.MockRouter,
) -> None:
    route = serve(api, {1: {"_items": cases("a", "b")}, 2: {"_items": cases("c")}})
    assert await ids_of(AmiliClient(api_key="k").cases.list(max_results=2)) == list("abc")
    assert route.call_count == 2


async def test_the_servers_own_page_size_wins_when_it_clamps(api: respx.MockRouter) -> None:
    first = [f"a{index}" for index in range(50)]
    route = serve(
        api,
        {
            1: {"_items": cases(*first), "_meta": {"page": 1, "max_results": 50}},
            2: {"_items": cases("z"), "_meta": {"page": 2, "max_results": 50}},
        },
    )
    assert await ids_of(AmiliClient(api_key="k").cases.list(max_results=100)) == [*first, "z"]
    assert route.call_count == 2


async def test_a_next_link_without_a_total_is_followed_to_an_empty_page(
    api: respx.MockRouter,
) -> None:
    more = {"next": {"title": "next page", "href": "cases?page=2"}}
    route = serve(
        api,
        {
            1: {"_items": cases("a"), "_meta": {"page": 1, "max_results": 25}, "_links": more},
            2: {"_items": [], "_meta": {"page": 2, "max_results": 25}, "_links": more},
        },
    )
    assert await ids_of(AmiliClient(api_key="k").cases.list()) == ["a"]
    assert route.call_count == 2


async def test_a_page_past_the_end_stops_the_list(api: respx.MockRouter) -> None:
    route = serve(api, {1: {"_items": [], "_meta": {"page": 1, "max_results": 25, "total": 3}}})
    assert await ids_of(AmiliClient(api_key="k").cases.list()) == []
    assert route.call_count == 1


async def test_a_server_that_always_says_there_is_more_is_stopped(
    api: respx.MockRouter,
) -> None:
    same = {
        "_items": cases("a", "b"),
        "_meta": {"page": 1, "max_results": 2},
        "_links": {"next": {"href": "cases?page=2"}},
    }
    route = api.get("/cases").respond(200, json=same)
    with pytest.raises(ResponseValidationError, match="repeats page 1") as caught:
        await AmiliClient(api_key="k").cases.list(max_results=2).collect()
    assert route.call_count == 2
    assert caught.value.path == "/cases"


async def test_a_server_that_cycles_through_the_same_pages_is_stopped(
    api: respx.MockRouter,
) -> None:
    pages = [cases("a", "b"), cases("c", "d"), cases("a", "b"), cases("c", "d")]

    def answer(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params.get("page", "1"))
        body = {
            "_items": pages[(number - 1) % 2],
            "_meta": {"page": number, "max_results": 2},
            "_links": {"next": {"href": f"cases?page={number + 1}"}},
        }
        return httpx.Response(200, json=body)

    route = api.get("/cases").mock(side_effect=answer)
    with pytest.raises(ResponseValidationError, match="page 3 repeats page 1"):
        await AmiliClient(api_key="k").cases.list(max_results=2).collect()
    assert route.call_count == 3


async def test_collect_with_a_limit_closes_the_pages_it_stopped_in() -> None:
    closed: list[bool] = []

    async def fetch(number: int) -> Page[int]:
        return Page(
            items=(number * 10, number * 10 + 1),
            page=number,
            max_results=2,
            total=None,
            has_next=True,
        )

    class Watched(AsyncPager[int]):
        async def pages(self):  # type: ignore[no-untyped-def, override]
            try:
                async for page in super().pages():
                    yield page
            finally:
                closed.append(True)

    assert await Watched(fetch).collect(limit=3) == [10, 11, 20]
    assert closed == [True]


def test_parse_page_reads_partial_or_odd_meta() -> None:
    data = {"_items": cases("a"), "_meta": {"total": "3", "max_results": 0, "page": True}}
    page = parse_page(data, Case, 4, requested_size=1)
    assert (page.total, page.max_results, page.page, page.has_next) == (None, 1, 4, True)
    page = parse_page({"_items": cases("a"), "_meta": "x", "_links": []}, Case, 1)
    assert (page.max_results, page.has_next) == (25, False)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ([], None),
        ("page", None),
        ({"_meta": {"total": 0}}, None),
        ({"_items": {"a": 1}}, None),
        ({"_items": [CASE, ["not", "a", "case"]]}, "_items.1"),
        (
            {"_items": [CASE | {"transactions": [{"amount": "x"}]}]},
            "_items.0.transactions.0.amount",
        ),
        ({"_items": [{"status": "closed"}]}, "_items.0._id"),
    ],
)
def test_parse_page_refuses_what_is_not_a_page(data: object, field: str | None) -> None:
    with pytest.raises(ResponseValidationError) as caught:
        parse_page(data, Case, 1, path="/cases")
    assert caught.value.path == "/cases"
    assert caught.value.status_code == 200
    if field is not None:
        assert field in caught.value.issues
