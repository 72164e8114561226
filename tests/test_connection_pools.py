"""The client's connections, spread over small httpx pools: a user registers and reads at once."""

from __future__ import annotations

from collections.abc import Iterator

import anyio
import httpx
import pytest
from support import example

from amili_async import AmiliClient, RateLimit, RetryPolicy
from amili_async.errors import ConnectError
from amili_async.sandbox import Sandbox, SandboxServer

pytestmark = pytest.mark.anyio


@pytest.fixture
def served() -> Iterator[tuple[Sandbox, str]]:
    sandbox = Sandbox()
    with SandboxServer(sandbox, port=0) as server:
        yield sandbox, server.base_url


def pools_for(limits: httpx.Limits) -> tuple[httpx.Limits, ...]:
    """The limits of each of the pools a client makes for ``limits``."""
    pool = AmiliClient(api_key="k", limits=limits).connection_pool
    assert pool is not None
    assert pool.pool_count == len(pool.pool_limits)
    return pool.pool_limits


@pytest.mark.usefixtures("no_proxy")
def test_the_limits_are_divided_between_pools_of_at_most_five() -> None:
    assert len(pools_for(httpx.Limits(max_connections=100, max_keepalive_connections=50))) == 20
    assert len(pools_for(httpx.Limits(max_connections=4))) == 1
    assert len(pools_for(httpx.Limits(max_connections=None))) == 1
    pools = pools_for(httpx.Limits(max_connections=12, max_keepalive_connections=None))
    assert [pool.max_connections for pool in pools] == [4, 4, 4]
    assert [pool.max_keepalive_connections for pool in pools] == [None, None, None]


@pytest.mark.network(
    httpx_only="httpx's sharded pools (client.connection_pool): the aiohttp backend has none"
)
@pytest.mark.usefixtures("no_proxy")
async def test_many_concurrent_reads_share_real_connections_and_free_them(
    served: tuple[Sandbox, str],
) -> None:
    sandbox, base_url = served
    client = AmiliClient(
        api_key=sandbox.api_key, base_url=base_url, rate_limit=RateLimit(max_concurrency=20)
    )
    pool = client.connection_pool
    assert pool is not None
    assert pool.pool_count == 4
    async with client:
        registration = await client.case_registrations.create(
            example("01-case-registration.request.json")
        )
        case_id = registration.cases[0]
        statuses = []

        async def read() -> None:
            statuses.append((await client.cases.get(case_id)).status)

        async with anyio.create_task_group() as group:
            for _ in range(40):
                group.start_soon(read)
        assert len(statuses) == 40
        assert pool.in_flight == 0


@pytest.mark.network(
    httpx_only="httpx's sharded pools (client.connection_pool): the aiohttp backend has none"
)
@pytest.mark.usefixtures("no_proxy")
async def test_a_failed_connection_frees_its_place_in_the_pool() -> None:
    client = AmiliClient(api_key="k", base_url="http://127.0.0.1:9")
    pool = client.connection_pool
    assert pool is not None
    once = client.with_options(retry=RetryPolicy.none())
    async with client:
        with pytest.raises(ConnectError):
            await once.cases.get("68b7f49c7b02934caddab092")
    assert pool.in_flight == 0


def test_a_configured_proxy_keeps_httpx_default_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
    client = AmiliClient(api_key="k")
    assert client.connection_pool is None, "httpx's own transport applies the proxy"
