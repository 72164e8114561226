"""Answers longer than ``max_response_bytes`` are refused with a typed error, not read whole."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator

import anyio.abc
import anyio.lowlevel
import httpx
import pytest
import respx
from support import example, example_bytes, loopback_client

from amili_async import (
    AmiliClient,
    ConfigurationError,
    ManualClock,
    ResponseTooLargeError,
    ResponseValidationError,
    RetryPolicy,
)
from amili_async._pipeline import DEFAULT_MAX_RESPONSE_BYTES

pytestmark = pytest.mark.anyio

KEY = "sk_test_BODY_LIMIT_KEY"
CASE_ID = "68b7f49c7b02934caddab092"
CASE = f"/cases/{CASE_ID}"
CASE_JSON = example_bytes("03-case.debt_collection.response.json")
LIMIT = 4096


def client(clock: ManualClock, **options: object) -> AmiliClient:
    return AmiliClient(
        api_key=KEY,
        clock=clock,
        max_response_bytes=LIMIT,
        seed=1,
        **options,  # type: ignore[arg-type]
    )


class Endless:
    """A chunked body of ``chunks`` chunks of 1 KB; counts how many were pulled."""

    def __init__(self, chunks: int = 100_000) -> None:
        self.chunks = chunks
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.chunks):
            self.pulled += 1
            await anyio.lowlevel.checkpoint()  # as a read from the network would
            yield b" " * 1024


async def test_a_known_length_over_the_limit_is_refused_unread(
    api: respx.MockRouter, clock: ManualClock
) -> None:
    api.get(CASE).respond(200, content=b" " * (LIMIT + 1))
    with pytest.raises(ResponseTooLargeError) as caught:
        await client(clock).cases.get(CASE_ID)
    error = caught.value
    assert isinstance(error, ResponseValidationError)
    assert error.limit == LIMIT
    assert error.status_code == 200
    assert not error.landed
    assert "longer than the 4,096 byte limit" in str(error)


async def test_a_body_of_unknown_length_stops_at_the_limit(
    api: respx.MockRouter, clock: ManualClock
) -> None:
    body = Endless()
    api.get(CASE).mock(side_effect=lambda request: httpx.Response(200, content=body))
    with pytest.raises(ResponseTooLargeError):
        await client(clock).cases.get(CASE_ID)
    assert body.pulled <= LIMIT // 1024 + 2, "reading stopped at the limit"


async def test_a_compressed_body_is_counted_as_it_unpacks(
    api: respx.MockRouter, clock: ManualClock
) -> None:
    bomb = gzip.compress(b"[" + b"0," * 500_000 + b"0]")
    assert len(bomb) < LIMIT
    api.get(CASE).respond(200, content=bomb, headers={"Content-Encoding": "gzip"})
    with pytest.raises(ResponseTooLargeError):
        await client(clock).cases.get(CASE_ID)


async def test_a_small_compressed_answer_still_reads(
    api: respx.MockRouter, clock: ManualClock
) -> None:
    api.get(CASE).respond(
        200, content=gzip.compress(CASE_JSON), headers={"Content-Encoding": "gzip"}
    )
    big_enough = AmiliClient(api_key=KEY, clock=clock, max_response_bytes=len(CASE_JSON))
    assert (await big_enough.cases.get(CASE_ID)).id == CASE_ID


async def test_a_write_whose_answer_is_too_large_landed_and_is_not_sent_again(
    api: respx.MockRouter, clock: ManualClock
) -> None:
    post = api.post("/case--registrations").respond(201, content=b" " * (LIMIT * 2))
    with pytest.raises(ResponseTooLargeError) as caught:
        await client(clock).case_registrations.create(example("01-case-registration.request.json"))
    assert caught.value.landed
    assert "do not send it again" in str(caught.value)
    assert post.call_count == 1


async def test_an_error_answer_too_large_is_judged_by_its_status(
    api: respx.MockRouter, clock: ManualClock
) -> None:
    route = api.get(CASE).mock(
        side_effect=[
            httpx.Response(503, content=b"<html>" + b" " * LIMIT * 4),
            httpx.Response(200, content=CASE_JSON),
        ]
    )
    case = await client(clock, retry=RetryPolicy(max_attempts=2)).cases.get(CASE_ID)
    assert case.id == CASE_ID
    assert route.call_count == 2


@pytest.mark.parametrize("bad", [0, -5, 1.5, "50MB", True])
def test_a_limit_that_cannot_work_is_a_configuration_error(bad: object) -> None:
    with pytest.raises(ConfigurationError, match="max_response_bytes"):
        AmiliClient(api_key=KEY, max_response_bytes=bad)  # type: ignore[arg-type]


def test_the_default_limit_is_fifty_mebibytes() -> None:
    assert DEFAULT_MAX_RESPONSE_BYTES == 50 * 1024 * 1024


@pytest.mark.network
async def test_a_real_endless_answer_is_cut_and_the_client_goes_on() -> None:
    """Over a real connection: the read stops at the limit and the connection is dropped."""
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    sent_chunks: list[int] = []

    async def handle(stream: anyio.abc.SocketStream) -> None:
        try:
            async with stream:
                data = b""
                while b"\r\n\r\n" not in data:
                    data += await stream.receive()
                await stream.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                for _ in range(100_000):
                    await stream.send(b"400\r\n" + b" " * 1024 + b"\r\n")
                    sent_chunks.append(1)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
            pass  # the client hung up, as it should

    async with listener, anyio.create_task_group() as group:
        group.start_soon(listener.serve, handle)
        client = loopback_client(f"http://127.0.0.1:{port}", KEY, max_response_bytes=LIMIT)
        for _ in range(2):
            with pytest.raises(ResponseTooLargeError):
                await client.cases.get(CASE_ID)
        await client.aclose()
        group.cancel_scope.cancel()
    assert len(sent_chunks) < 100_000
