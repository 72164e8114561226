"""The SDK hands its requests straight to its transport, past ``httpx.AsyncClient.send``.

What the request looks like on the wire must not change for that: the same
headers (httpx's own ``Accept-Encoding`` and ``Connection`` included), the
timeouts, the URL and query; a kept raw response still has its request (key
masked) and ``elapsed``. A caller's own httpx client, or a proxy, still goes
through ``AsyncClient.send``, where its hooks, cookies and proxy apply.
"""

from __future__ import annotations

import httpx
import pytest
from support import example_bytes

from amili_async import AmiliClient, RetryPolicy

pytestmark = pytest.mark.anyio

CASE_ID = "68b7f49c7b02934caddab092"
CASE_JSON = example_bytes("03-case.debt_collection.response.json")


def answering(seen: list[httpx.Request]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=CASE_JSON)

    return httpx.MockTransport(handler)


@pytest.fixture
def no_client_send(monkeypatch: pytest.MonkeyPatch) -> None:
    """``AsyncClient.send`` fails the test if anything calls it."""

    async def refuse(*_args: object, **_kwargs: object) -> httpx.Response:
        raise AssertionError("AsyncClient.send was called")

    monkeypatch.setattr(httpx.AsyncClient, "send", refuse)


@pytest.mark.usefixtures("no_client_send")
async def test_the_sdks_own_client_sends_straight_to_its_transport() -> None:
    seen: list[httpx.Request] = []
    async with AmiliClient("k", transport=answering(seen), timeout=7) as client:
        view = client.with_options(default_headers={"x-trace": "two"}, timeout=3)
        await client.cases.get(CASE_ID)
        await view.request("GET", "/cases", params={"max_results": 5})
    first, second = seen
    assert str(first.url) == f"https://api-sandbox.amili.se/cases/{CASE_ID}"
    assert first.headers["X-API-Key"] == "k"
    assert first.headers["Accept"] == "application/json"
    assert first.headers["User-Agent"].startswith("amili-async/")
    assert "gzip" in first.headers["Accept-Encoding"]
    assert first.headers["Connection"] == "keep-alive"
    assert first.headers["Host"] == "api-sandbox.amili.se"
    assert first.extensions["timeout"] == httpx.Timeout(7).as_dict()
    assert second.url.params["max_results"] == "5"
    assert second.headers["X-Trace"] == "two"
    assert second.extensions["timeout"] == httpx.Timeout(3).as_dict()


@pytest.mark.usefixtures("no_client_send")
async def test_a_views_header_replaces_the_clients_whatever_its_case() -> None:
    seen: list[httpx.Request] = []
    async with AmiliClient(
        "k", transport=answering(seen), default_headers={"X-Tenant": "one"}
    ) as client:
        await client.with_options(default_headers={"x-tenant": "two"}).cases.get(CASE_ID)
        await client.request("GET", f"/cases/{CASE_ID}", headers={"X-TENANT": "three"})
    assert [request.headers.get_list("X-Tenant") for request in seen] == [["two"], ["three"]]


@pytest.mark.usefixtures("no_client_send")
async def test_a_kept_response_has_its_request_with_the_key_masked_and_its_elapsed() -> None:
    seen: list[httpx.Request] = []
    async with AmiliClient("secret-key", transport=answering(seen)) as client:
        raw = await client.cases.with_raw_response.get(CASE_ID)
    response = raw.http_response
    assert response is not None
    assert response.request.headers["X-API-Key"] == "***"
    assert response.elapsed.total_seconds() >= 0
    assert response.json()["_id"] == CASE_ID


async def test_a_callers_own_client_keeps_its_hooks_and_cookies() -> None:
    seen: list[httpx.Request] = []
    hooked: list[str] = []

    async def hook(request: httpx.Request) -> None:
        hooked.append(request.url.path)

    own = httpx.AsyncClient(
        transport=answering(seen), cookies={"lb": "node-2"}, event_hooks={"request": [hook]}
    )
    async with own, AmiliClient("k", http_client=own) as client:
        await client.cases.get(CASE_ID)
    assert hooked == [f"/cases/{CASE_ID}"]
    assert seen[0].headers["Cookie"] == "lb=node-2"


async def test_with_a_proxy_httpx_sends_and_applies_it(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[httpx.Request] = []

    async def spy(self: httpx.AsyncClient, request: httpx.Request, **kwargs: object) -> object:
        sent.append(request)
        raise httpx.ConnectError("no proxy here", request=request)

    monkeypatch.setattr(httpx.AsyncClient, "send", spy)
    async with AmiliClient("k", proxy="http://127.0.0.1:9") as client:
        assert client.connection_pool is None
        with pytest.raises(Exception, match="could not connect"):
            await client.with_options(retry=RetryPolicy(max_attempts=1)).cases.get(CASE_ID)
    assert sent, "a proxied client sends through httpx, which applies the proxy"
