"""The client-wide token bucket, concurrency cap, and the pause after a 429."""

from __future__ import annotations

import itertools

import anyio
import httpx
import pytest
import respx
from support import example_bytes

from amili_async import (
    AmiliClient,
    ConfigurationError,
    ManualClock,
    RateLimit,
    RateLimitError,
    RetryPolicy,
)

pytestmark = pytest.mark.anyio

CASE_ID = "68b7f49c7b02934caddab092"
CASE = f"/cases/{CASE_ID}"
CASE_JSON = example_bytes("03-case.debt_collection.response.json")


def send_times(api: respx.MockRouter, clock: ManualClock) -> list[float]:
    """When each request to the case reached the API, on ``clock``."""
    sent_at: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent_at.append(clock.monotonic())
        return httpx.Response(200, content=CASE_JSON)

    api.get(CASE).mock(side_effect=handler)
    return sent_at


async def test_bucket_allows_a_burst_then_paces(api: respx.MockRouter, clock: ManualClock) -> None:
    starts = send_times(api, clock)
    client = AmiliClient(
        api_key="k", clock=clock, rate_limit=RateLimit(requests_per_second=10, burst=5)
    )
    for _ in range(25):
        await client.cases.get(CASE_ID)
    assert starts[:5] == [0.0] * 5
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts[5:])]
    assert all(gap == pytest.approx(0.1) for gap in gaps)
    assert starts[-1] == pytest.approx(2.0)


async def test_bucket_refills_while_idle(api: respx.MockRouter, clock: ManualClock) -> None:
    starts = send_times(api, clock)
    client = AmiliClient(
        api_key="k", clock=clock, rate_limit=RateLimit(requests_per_second=2, burst=4)
    )
    for _ in range(4):
        await client.cases.get(CASE_ID)
    clock.advance(seconds=10)
    for _ in range(4):
        await client.cases.get(CASE_ID)
    assert starts[4:] == [10.0] * 4


async def test_concurrency_cap_is_shared_by_all_tasks(api: respx.MockRouter) -> None:
    in_flight = 0
    peak = 0

    async def slow_case(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await anyio.sleep(0.001)
        in_flight -= 1
        return httpx.Response(200, content=CASE_JSON)

    api.get(CASE).mock(side_effect=slow_case)
    client = AmiliClient(api_key="k", rate_limit=RateLimit(max_concurrency=7))
    async with anyio.create_task_group() as tasks:
        for _ in range(60):
            tasks.start_soon(client.cases.get, CASE_ID)
    assert peak == 7


async def test_a_429_pauses_the_whole_client(api: respx.MockRouter, clock: ManualClock) -> None:
    responses = iter(
        [httpx.Response(429, headers={"Retry-After": "20"}), httpx.Response(200, content=CASE_JSON)]
        + [httpx.Response(429, headers={"Retry-After": "30"})]
        + [httpx.Response(200, content=CASE_JSON)] * 10
    )
    sent_at: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent_at.append(clock.monotonic())
        return next(responses)

    api.get(CASE).mock(side_effect=handler)
    client = AmiliClient(api_key="k", clock=clock)
    await client.cases.get(CASE_ID)  # 429 at t=0, retried at t=20
    assert sent_at == [0.0, 20.0]

    with pytest.raises(RateLimitError):  # a 429 at t=20 that this caller does not retry
        await client.with_options(retry=RetryPolicy.none()).cases.get(CASE_ID)
    await client.cases.get(CASE_ID)
    assert sent_at[-1] == pytest.approx(50.0), "another task's request waited for the pause too"


def test_rate_limit_settings_are_validated() -> None:
    with pytest.raises(ConfigurationError, match="requests_per_second"):
        RateLimit(requests_per_second=0)
    with pytest.raises(ConfigurationError, match="burst"):
        RateLimit(burst=0)
