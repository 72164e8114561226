"""The switch of the network tests: ``AMILI_TEST_BACKEND`` picks what carries their traffic.

``support.loopback_client`` and ``support.loopback_http`` are how every test
marked ``network`` opens its clients; here, that they really send through the
backend named (httpx's own stack, or aiohttp through ``DefaultAioHttpClient``).
"""

from __future__ import annotations

from collections.abc import Iterator

import aiohttp
import pytest
from support import BACKEND, ON_AIOHTTP, loopback_client, loopback_http

from amili_async import DefaultAioHttpClient
from amili_async.sandbox import Sandbox, SandboxServer

pytestmark = [pytest.mark.anyio, pytest.mark.network]


@pytest.fixture
def served() -> Iterator[tuple[Sandbox, str]]:
    sandbox = Sandbox()
    with SandboxServer(sandbox, port=0) as server:
        yield sandbox, server.base_url


def test_the_backend_is_one_of_two() -> None:
    assert BACKEND in ("httpx", "aiohttp")
    assert (BACKEND == "aiohttp") == ON_AIOHTTP


async def test_the_sdk_client_sends_through_the_backend_under_test(
    served: tuple[Sandbox, str],
) -> None:
    sandbox, base_url = served
    client = loopback_client(base_url, sandbox.api_key)
    async with client:
        assert await client.cases.list().collect() == []
        if ON_AIOHTTP:
            backend = client._pipeline.http
            assert isinstance(backend, DefaultAioHttpClient)
            transport = backend.direct_transport
            assert transport is not None
            assert isinstance(transport.client, aiohttp.ClientSession)  # type: ignore[attr-defined]
            assert client.connection_pool is None
        else:
            assert client.connection_pool is not None  # httpx's own pools
    assert [entry.path for entry in sandbox.request_log] == ["/cases"]
    if ON_AIOHTTP:
        assert backend.is_closed, "closed with the client"


async def test_a_plain_client_sends_through_the_backend_under_test(
    served: tuple[Sandbox, str],
) -> None:
    sandbox, base_url = served
    async with loopback_http(base_url=base_url, headers={"X-API-Key": sandbox.api_key}) as http:
        assert isinstance(http, DefaultAioHttpClient) == ON_AIOHTTP
        response = await http.get("/cases")
        assert response.status_code == 200
        assert response.json()["_items"] == []
