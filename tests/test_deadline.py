"""A whole-call deadline: every attempt, wait and token fetch of a call, on the client's clock
and in real time; a write cut after it was sent is never reported as not sent."""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import anyio
import anyio.abc
import httpx
import pytest
import respx
from support import example, example_bytes, loopback_client

from amili_async import (
    AccessToken,
    AmiliClient,
    ConfigurationError,
    ManualClock,
    OutcomeUnknownError,
    RateLimitError,
    RefreshingTokenProvider,
    RequestTimeoutError,
    RetryPolicy,
)

pytestmark = pytest.mark.anyio

KEY = "sk_test_DEADLINE_KEY_42"
CASE_ID = "68b7f49c7b02934caddab092"
CASE = f"/cases/{CASE_ID}"
CASE_JSON = example_bytes("03-case.debt_collection.response.json")
REGISTRATIONS = "/case--registrations"

#: Backoff of exactly 4 s before every retry, so that the arithmetic is plain.
FOUR_SECONDS = RetryPolicy(max_attempts=10, initial_backoff=4.0, max_backoff=4.0, jitter=False)


def manual_client(clock: ManualClock, **options: object) -> AmiliClient:
    options = {"retry": FOUR_SECONDS, **options}
    return AmiliClient(api_key=KEY, clock=clock, **options)  # type: ignore[arg-type]


async def test_a_backoff_that_would_pass_the_deadline_ends_at_it(
    api: respx.MockRouter, clock: ManualClock
) -> None:
    route = api.get(CASE).respond(500)
    client = manual_client(clock, deadline=5)
    with pytest.raises(RequestTimeoutError, match=r"no answer within the 5 s deadline") as caught:
        await client.cases.get(CASE_ID)
    # Attempt at 0 s, backoff to 4 s, attempt, backoff cut at 5 s.
    assert route.call_count == 2
    assert clock.monotonic() == pytest.approx(5.0)
    assert caught.value.method == "GET"
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None


async def test_the_deadline_is_set_per_call_per_view_and_per_client(
    api: respx.MockRouter, clock: ManualClock
) -> None:
    api.get(CASE).respond(500)
    client = manual_client(clock)
    assert client.deadline is None
    started = clock.monotonic()
    with pytest.raises(RequestTimeoutError, match="the 3 s deadline"):
        await client.cases.get(CASE_ID, deadline=3)
    assert clock.monotonic() - started == pytest.approx(3.0)
    view = client.with_options(deadline=6.5)
    assert view.deadline == 6.5
    started = clock.monotonic()
    with pytest.raises(RequestTimeoutError, match=r"the 6\.5 s deadline"):
        await view.cases.get(CASE_ID)
    assert clock.monotonic() - started == pytest.approx(6.5)
    # A call's own deadline wins over its client's.
    started = clock.monotonic()
    with pytest.raises(RequestTimeoutError, match="the 1 s deadline"):
        await view.cases.get(CASE_ID, deadline=1)
    assert clock.monotonic() - started == pytest.approx(1.0)


async def test_a_rate_limit_pause_counts_towards_the_deadline(
    api: respx.MockRouter, clock: ManualClock
) -> None:
    route = api.get(CASE).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "30"}),
            httpx.Response(200, content=CASE_JSON),
        ]
    )
    client = manual_client(clock, deadline=5)
    with pytest.raises(RequestTimeoutError, match="5 s deadline"):
        await client.cases.get(CASE_ID)
    assert route.call_count == 1
    assert clock.monotonic() == pytest.approx(5.0)
    # The pause goes on for the client; a call without a deadline waits it out.
    case = await client.cases.get(CASE_ID, deadline=100)
    assert case.id == CASE_ID
    assert clock.monotonic() == pytest.approx(30.0)


async def test_a_write_that_never_left_is_a_timeout_and_was_not_sent(
    api: respx.MockRouter, clock: ManualClock
) -> None:
    api.get(CASE).respond(429, headers={"Retry-After": "30"})
    post = api.post(REGISTRATIONS).respond(201, json={})
    client = manual_client(clock, retry=RetryPolicy.none())
    with pytest.raises(RateLimitError):
        await client.cases.get(CASE_ID)  # the whole client now pauses for 30 s
    with pytest.raises(RequestTimeoutError, match="did not land, so it can be sent again"):
        await client.case_registrations.create(
            example("01-case-registration.request.json"), deadline=5
        )
    assert post.call_count == 0


async def test_a_write_cut_while_its_outcome_is_unknown_is_not_reported_as_not_sent(
    api: respx.MockRouter, clock: ManualClock
) -> None:
    post = api.post(REGISTRATIONS).respond(500)
    lookup = api.get(REGISTRATIONS).respond(200, json={"_items": [], "_meta": {"total": 0}})
    client = manual_client(clock)
    with pytest.raises(OutcomeUnknownError, match="3 s deadline passed before it could be looked"):
        await client.case_registrations.create(
            example("01-case-registration.request.json"), deadline=3
        )
    # The 500 may have stored it: the SDK waits before looking, and the deadline came first.
    assert post.call_count == 1
    assert lookup.call_count == 0
    assert clock.monotonic() == pytest.approx(3.0)


async def test_a_token_fetch_that_hangs_is_cut(api: respx.MockRouter) -> None:
    route = api.get(CASE).respond(200, content=CASE_JSON)
    hanging = True

    async def fetch_token() -> AccessToken:
        if hanging:
            await anyio.sleep_forever()
        return AccessToken("tok_after_hang", ManualClock().now() + timedelta(days=3650))

    client = AmiliClient(token_provider=RefreshingTokenProvider(fetch_token), deadline=0.2)
    started = time.monotonic()
    with pytest.raises(RequestTimeoutError, match=r"0\.2 s deadline"):
        await client.cases.get(CASE_ID)
    assert time.monotonic() - started < 1.0
    assert route.call_count == 0
    # A cut fetch is the caller's deadline, not a failed fetch: nothing is remembered.
    hanging = False
    assert (await client.cases.get(CASE_ID)).id == CASE_ID


@pytest.mark.parametrize("bad", [0, -1, math.nan, math.inf, "5", True])
async def test_a_deadline_that_cannot_work_is_a_configuration_error(
    api: respx.MockRouter, bad: object
) -> None:
    route = api.get(CASE).respond(200, content=CASE_JSON)
    with pytest.raises(ConfigurationError, match="deadline must be a positive number"):
        AmiliClient(api_key=KEY, deadline=bad)  # type: ignore[arg-type]
    client = AmiliClient(api_key=KEY)
    with pytest.raises(ConfigurationError, match="deadline"):
        client.with_options(deadline=bad)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="deadline"):
        await client.cases.get(CASE_ID, deadline=bad)  # type: ignore[arg-type]
    assert route.call_count == 0


# -- real I/O: a server on loopback that drips its answer -----------------------------------


@asynccontextmanager
async def drip_server(received: list[bytes]) -> AsyncIterator[str]:
    """A server that answers with a status line and headers, then one body byte per 0.2 s."""
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)

    async def handle(stream: anyio.abc.SocketStream) -> None:
        try:
            async with stream:
                data = b""
                while b"\r\n\r\n" not in data:
                    data += await stream.receive()
                received.append(data)
                await stream.send(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: 1000\r\n\r\n"
                )
                for _ in range(1000):
                    await stream.send(b" ")
                    await anyio.sleep(0.2)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, anyio.EndOfStream, OSError):
            pass  # the client hung up, as it should

    async with listener, anyio.create_task_group() as group:
        group.start_soon(listener.serve, handle)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            group.cancel_scope.cancel()


@pytest.mark.network
async def test_a_dripping_server_is_cut_at_the_deadline_in_real_time() -> None:
    received: list[bytes] = []
    async with drip_server(received) as base_url:
        client = loopback_client(base_url, KEY, timeout=30, deadline=1)
        started = time.monotonic()
        with pytest.raises(RequestTimeoutError, match="1 s deadline"):
            await client.cases.get(CASE_ID)
        elapsed = time.monotonic() - started
        await client.aclose()
    assert 0.9 <= elapsed < 2.0
    assert len(received) == 1


@pytest.mark.network
async def test_a_write_cut_by_the_deadline_while_answered_is_outcome_unknown() -> None:
    received: list[bytes] = []
    async with drip_server(received) as base_url:
        client = loopback_client(base_url, KEY, deadline=0.5)
        started = time.monotonic()
        with pytest.raises(OutcomeUnknownError, match=r"0\.5 s deadline passed") as caught:
            await client.case_registrations.create(example("01-case-registration.request.json"))
        elapsed = time.monotonic() - started
        await client.aclose()
    assert elapsed < 1.2
    assert len(received) == 1, "sent once, never again"
    assert received[0].startswith(b"POST /case--registrations")
    assert caught.value.request_body is not None
