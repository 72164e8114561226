"""Tokens: a static key, proactive single-flight refresh, and one refresh + replay after 401."""

from __future__ import annotations

from datetime import timedelta

import anyio
import httpx
import pytest
import respx
from support import example_bytes

from amili_async import (
    AccessToken,
    AmiliClient,
    AuthenticationError,
    ManualClock,
    RefreshingTokenProvider,
)

pytestmark = pytest.mark.anyio

CASE_ID = "68b7f49c7b02934caddab092"
CASE = f"/cases/{CASE_ID}"
CASE_JSON = example_bytes("03-case.debt_collection.response.json")


class TokenIssuer:
    """A fake of Amili's token call: numbered tokens, each valid for ``lifetime``."""

    def __init__(self, clock: ManualClock, lifetime: timedelta = timedelta(hours=1)) -> None:
        self.clock = clock
        self.lifetime = lifetime
        self.calls = 0

    async def __call__(self) -> AccessToken:
        self.calls += 1
        await anyio.sleep(0.001)  # a real network call takes time; let others pile up
        return AccessToken(f"token-{self.calls}", self.clock.now() + self.lifetime)


def accept_only(valid: set[str]):  # type: ignore[no-untyped-def]
    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers.get("x-api-key") in valid:
            return httpx.Response(200, content=CASE_JSON)
        return httpx.Response(
            401,
            json={
                "_status": "ERR",
                "_error": {"code": 401, "message": "Please provide proper credentials"},
            },
        )

    return handler


async def test_static_key_is_sent_and_a_401_is_final(api: respx.MockRouter) -> None:
    route = api.get(CASE).mock(side_effect=accept_only(set()))
    client = AmiliClient(api_key="sk_live_abc")
    with pytest.raises(AuthenticationError):
        await client.cases.get(CASE_ID)
    assert route.call_count == 1
    assert route.calls.last.request.headers["X-API-Key"] == "sk_live_abc"


async def test_401_refreshes_once_and_replays(api: respx.MockRouter, clock: ManualClock) -> None:
    issuer = TokenIssuer(clock)
    provider = RefreshingTokenProvider(issuer, clock=clock)
    route = api.get(CASE).mock(side_effect=accept_only({"token-2"}))
    client = AmiliClient(token_provider=provider, clock=clock)

    case = await client.cases.get(CASE_ID)

    assert case.id == CASE_ID
    assert issuer.calls == 2
    assert [call.request.headers["X-API-Key"] for call in route.calls] == ["token-1", "token-2"]


async def test_second_401_after_refresh_is_raised(
    api: respx.MockRouter, clock: ManualClock
) -> None:
    issuer = TokenIssuer(clock)
    route = api.get(CASE).mock(side_effect=accept_only(set()))
    client = AmiliClient(token_provider=RefreshingTokenProvider(issuer, clock=clock), clock=clock)
    with pytest.raises(AuthenticationError):
        await client.cases.get(CASE_ID)
    assert route.call_count == 2
    assert issuer.calls == 2


async def test_token_is_refreshed_ahead_of_expiry(
    api: respx.MockRouter, clock: ManualClock
) -> None:
    issuer = TokenIssuer(clock, lifetime=timedelta(minutes=10))
    provider = RefreshingTokenProvider(issuer, refresh_margin=timedelta(minutes=1), clock=clock)
    route = api.get(CASE).mock(side_effect=accept_only({"token-1", "token-2"}))
    client = AmiliClient(token_provider=provider, clock=clock)

    await client.cases.get(CASE_ID)
    clock.advance(seconds=8 * 60)
    await client.cases.get(CASE_ID)
    assert issuer.calls == 1
    clock.advance(seconds=90)  # now inside the one-minute margin
    await client.cases.get(CASE_ID)
    assert issuer.calls == 2
    assert route.calls.last.request.headers["X-API-Key"] == "token-2"


async def test_200_concurrent_requests_on_an_expired_token_cause_one_refresh(
    api: respx.MockRouter, clock: ManualClock
) -> None:
    issuer = TokenIssuer(clock, lifetime=timedelta(minutes=5))
    provider = RefreshingTokenProvider(issuer, clock=clock)
    api.get(CASE).mock(side_effect=accept_only({"token-1", "token-2"}))
    client = AmiliClient(token_provider=provider, clock=clock)
    await client.cases.get(CASE_ID)
    clock.advance(seconds=3600)

    async with anyio.create_task_group() as tasks:
        for _ in range(200):
            tasks.start_soon(client.cases.get, CASE_ID)

    assert issuer.calls == 2
    assert provider.refresh_count == 2


async def test_200_concurrent_401s_cause_one_refresh(
    api: respx.MockRouter, clock: ManualClock
) -> None:
    issuer = TokenIssuer(clock)
    provider = RefreshingTokenProvider(issuer, clock=clock)
    route = api.get(CASE).mock(side_effect=accept_only({"token-2"}))
    client = AmiliClient(token_provider=provider, clock=clock)
    await provider.get_token()  # token-1, which the server has revoked

    async with anyio.create_task_group() as tasks:
        for _ in range(200):
            tasks.start_soon(client.cases.get, CASE_ID)

    assert issuer.calls == 2
    rejected = [call for call in route.calls if call.request.headers["X-API-Key"] == "token-1"]
    replayed = [call for call in route.calls if call.request.headers["X-API-Key"] == "token-2"]
    assert len(replayed) == 200, "every request ended with the one fresh token"
    assert len(rejected) >= 1


def test_access_token_repr_hides_the_value() -> None:
    token = AccessToken("very-secret-token", ManualClock().now())
    assert "very-secret-token" not in repr(token)
