"""Eve's rate limit as the client meets it: budget headers on answers, a bare 429."""

from __future__ import annotations

import gzip

import anyio
import httpx
import pytest
import respx
from support import example_bytes

from amili_async import (
    AmiliClient,
    ManualClock,
    RateLimitError,
    ResponseValidationError,
    RetryPolicy,
)

pytestmark = pytest.mark.anyio

CASE_ID = "68b7f49c7b02934caddab092"
CASE = f"/cases/{CASE_ID}"
CASE_BODY = example_bytes("03-case.debt_collection.response.json")
EVE_429 = {"_status": "ERR", "_error": {"code": 429, "message": "Rate limit exceeded"}}


def budget(clock: ManualClock, remaining: int, reset_in: float, limit: int = 5) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": str(int(clock.now().timestamp() + reset_in)),
    }


async def test_a_spent_budget_holds_every_task_until_the_reset(
    api: respx.MockRouter, respx_client: AmiliClient, clock: ManualClock
) -> None:
    sent_at: list[float] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent_at.append(clock.monotonic())
        remaining = max(0, 2 - len(sent_at))
        return httpx.Response(200, content=CASE_BODY, headers=budget(clock, remaining, 30))

    api.get(CASE).mock(side_effect=answer)
    await respx_client.cases.get(CASE_ID)
    await respx_client.cases.get(CASE_ID)  # the server says: 0 left, reset in 30 s
    async with anyio.create_task_group() as group:
        for _ in range(5):
            group.start_soon(respx_client.cases.get, CASE_ID)
    assert len(sent_at) == 7, "no request was refused, none was sent into a 429"
    assert sent_at[2] >= sent_at[1] + 29, "the third request waited for the reset"


async def test_the_budget_is_spent_down_by_requests_in_flight(
    api: respx.MockRouter, respx_client: AmiliClient, clock: ManualClock
) -> None:
    api.get(CASE).respond(200, content=CASE_BODY, headers=budget(clock, 2, 60))
    await respx_client.cases.get(CASE_ID)
    started = clock.monotonic()
    # Two more fit in the window; the third of these waits for the reset.
    for _ in range(3):
        await respx_client.cases.get(CASE_ID)
    assert clock.monotonic() - started >= 59


async def test_a_bare_429_pauses_until_the_known_reset(
    api: respx.MockRouter, respx_client: AmiliClient, clock: ManualClock
) -> None:
    api.get(CASE).mock(
        side_effect=[
            httpx.Response(200, content=CASE_BODY, headers=budget(clock, 3, 45)),
            httpx.Response(429, json=EVE_429),
            httpx.Response(200, content=CASE_BODY),
        ]
    )
    await respx_client.cases.get(CASE_ID)
    await respx_client.cases.get(CASE_ID)
    assert 44 <= sum(clock.slept) <= 46


async def test_a_bare_429_with_nothing_known_backs_off_exponentially_for_the_whole_client(
    api: respx.MockRouter, clock: ManualClock
) -> None:
    client = AmiliClient(
        api_key="k", clock=clock, retry=RetryPolicy(max_attempts=4, max_retry_after=60), seed=3
    )
    api.get(CASE).mock(
        side_effect=[httpx.Response(429, json=EVE_429)] * 3
        + [httpx.Response(200, content=CASE_BODY)]
    )
    await client.cases.get(CASE_ID)
    assert len(clock.slept) == 3
    first, second, third = clock.slept
    assert 0.5 <= first <= 1.0
    assert 1.0 <= second <= 2.0
    assert 2.0 <= third <= 4.0


async def test_retry_after_on_the_error_is_what_the_server_said(
    api: respx.MockRouter, clock: ManualClock
) -> None:
    client = AmiliClient(api_key="k", clock=clock, retry=RetryPolicy.none())
    api.get(CASE).respond(429, json=EVE_429)
    with pytest.raises(RateLimitError) as bare:
        await client.cases.get(CASE_ID)
    assert bare.value.retry_after is None
    assert "Rate limit exceeded" in str(bare.value)
    api.get(CASE).respond(429, json=EVE_429, headers={"Retry-After": "7"})
    clock.advance(600)
    with pytest.raises(RateLimitError) as told:
        await client.cases.get(CASE_ID)
    assert told.value.retry_after == 7.0


async def test_malformed_budget_headers_change_nothing(
    api: respx.MockRouter, respx_client: AmiliClient, clock: ManualClock
) -> None:
    api.get(CASE).respond(
        200,
        content=CASE_BODY,
        headers={"X-RateLimit-Remaining": "none", "X-RateLimit-Reset": "soon"},
    )
    for _ in range(3):
        await respx_client.cases.get(CASE_ID)
    assert clock.slept == []


async def test_a_2xx_answer_that_is_not_json_is_a_typed_error(
    api: respx.MockRouter, respx_client: AmiliClient
) -> None:
    api.get(CASE).respond(
        200, text="<html>maintenance</html>", headers={"Content-Type": "text/html"}
    )
    with pytest.raises(ResponseValidationError) as caught:
        await respx_client.cases.get(CASE_ID)
    assert "maintenance" in caught.value.body_start
    assert "sk_test_SECRET_KEY_123" not in str(caught.value)


# httpx itself leaves its raw-stream generators unfinished when decoding fails
# part-way (``Response.aread`` closes only the outer one); trio reports them when
# they are collected. Nothing of the SDK's is left open.
@pytest.mark.filterwarnings("ignore:Async generator 'httpx.:ResourceWarning")
async def test_a_broken_gzip_body_is_a_typed_error_for_a_read(clock: ManualClock) -> None:
    broken = b"\x1f\x8b\x08\x00 this is not a gzip stream " + gzip.compress(CASE_BODY)[10:40]

    def handler(request: httpx.Request) -> httpx.Response:
        # A stream, so that httpx decodes it while reading, as it does off the wire.
        return httpx.Response(
            200, stream=httpx.ByteStream(broken), headers={"Content-Encoding": "gzip"}
        )

    client = AmiliClient(
        api_key="k", clock=clock, transport=httpx.MockTransport(handler), retry=RetryPolicy.none()
    )
    with pytest.raises(ResponseValidationError, match="compressed body is broken"):
        await client.cases.get(CASE_ID)


async def test_a_reset_absurdly_far_ahead_is_ignored(
    api: respx.MockRouter, respx_client: AmiliClient, clock: ManualClock
) -> None:
    # Found by hypothesis: a reset in the year 11476 held every task "until" then.
    api.get(CASE).respond(
        200,
        content=CASE_BODY,
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "300000000000"},
    )
    for _ in range(3):
        await respx_client.cases.get(CASE_ID)
    assert clock.slept == []
