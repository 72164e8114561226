"""A token fetch that keeps failing: one call for any number of waiting requests, a growing
back-off on the client's clock, and an AuthenticationError that carries the cause."""

from __future__ import annotations

from datetime import timedelta

import anyio
import httpx
import pytest
import respx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from support import example_bytes

from amili_async import (
    AccessToken,
    AmiliClient,
    ApiCodeAuth,
    AuthenticationError,
    ConfigurationError,
    ManualClock,
    RefreshingTokenProvider,
    RetryPolicy,
    ServerError,
    TokenFetchError,
)
from amili_async._auth import ForeignFetchError

pytestmark = pytest.mark.anyio

CASE_ID = "68b7f49c7b02934caddab092"
CASE = f"/cases/{CASE_ID}"
CASE_JSON = example_bytes("03-case.debt_collection.response.json")


class FlakyVault:
    """A token source that fails while ``down`` and counts every call."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.calls = 0
        self.down = True

    async def __call__(self) -> AccessToken:
        self.calls += 1
        await anyio.sleep(0.001)  # a real fetch takes time: let the other requests pile up
        if self.down:
            raise RuntimeError("vault unreachable")
        return AccessToken(f"tok-{self.calls}", self.clock.now() + timedelta(hours=1))


async def get_all(client: AmiliClient, count: int) -> list[BaseException | None]:
    outcomes: list[BaseException | None] = []

    async def one() -> None:
        try:
            await client.cases.get(CASE_ID)
        except Exception as error:
            outcomes.append(error)
        else:
            outcomes.append(None)

    async with anyio.create_task_group() as group:
        for _ in range(count):
            group.start_soon(one)
    return outcomes


async def test_a_thousand_requests_share_one_failed_fetch(
    api: respx.MockRouter, clock: ManualClock
) -> None:
    route = api.get(CASE).respond(200, content=CASE_JSON)
    vault = FlakyVault(clock)
    client = AmiliClient(token_provider=RefreshingTokenProvider(vault, clock=clock), clock=clock)

    outcomes = await get_all(client, 1000)

    assert vault.calls == 1
    assert route.call_count == 0
    assert all(isinstance(error, TokenFetchError) for error in outcomes)
    first = outcomes[0]
    assert isinstance(first, AuthenticationError)
    assert "RuntimeError" in str(first)
    assert "no new attempt for 1 s" in str(first)
    assert isinstance(first.__cause__, ForeignFetchError)
    assert str(first.__cause__) == "builtins.RuntimeError: vault unreachable"
    assert len({id(error) for error in outcomes}) == 1000, "a fresh error for each caller"

    # Within the back-off: no call at all. After it: exactly one more, then 2 s of quiet.
    clock.advance(0.5)
    await get_all(client, 10)
    assert vault.calls == 1
    clock.advance(0.5)
    outcomes = await get_all(client, 100)
    assert vault.calls == 2
    assert "no new attempt for 2 s" in str(outcomes[0])

    clock.advance(2)
    vault.down = False
    assert await get_all(client, 100) == [None] * 100
    assert vault.calls == 3
    assert route.call_count == 100


async def test_the_back_off_doubles_up_to_a_minute_and_a_success_resets_it(
    clock: ManualClock,
) -> None:
    vault = FlakyVault(clock)
    provider = RefreshingTokenProvider(vault, clock=clock)
    waits: list[float] = []
    for _ in range(9):
        with pytest.raises(TokenFetchError) as caught:
            await provider.get_token()
        waits.append(caught.value.retry_in)
        clock.advance(caught.value.retry_in)
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert vault.calls == 9
    vault.down = False
    assert await provider.get_token() == "tok-10"
    vault.down = True
    with pytest.raises(TokenFetchError) as caught:
        await provider.refresh("tok-10")
    assert caught.value.retry_in == 1


async def test_a_failed_login_is_shared_and_keeps_its_precise_cause(
    api: respx.MockRouter, clock: ManualClock
) -> None:
    login = api.get("/authenticates/api-code").respond(
        503, json={"_status": "ERR", "_error": {"code": 503, "message": "down for upkeep"}}
    )
    cases = api.get(CASE).respond(200, content=CASE_JSON)
    key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    auth = ApiCodeAuth("code-1", key)
    client = AmiliClient(token_provider=auth, clock=clock, retry=RetryPolicy(max_attempts=2))

    outcomes = await get_all(client, 200)

    assert login.call_count == 2, "one login, retried once by the client's policy"
    assert cases.call_count == 0
    error = outcomes[0]
    assert isinstance(error, TokenFetchError)
    assert error.status_code == 503
    assert isinstance(error.__cause__, ServerError)
    assert "ServerError" in str(error)
    assert "down for upkeep" in str(error)


async def test_a_set_up_mistake_in_the_fetch_is_raised_as_it_is(clock: ManualClock) -> None:
    async def fetch() -> AccessToken:
        raise ConfigurationError("no vault configured")

    provider = RefreshingTokenProvider(fetch, clock=clock)
    with pytest.raises(ConfigurationError, match="no vault configured"):
        await provider.get_token()


async def test_a_fetch_error_holding_a_request_is_not_kept(clock: ManualClock) -> None:
    vault_request = httpx.Request("POST", "https://vault.test/token", headers={"X-Vault": "s3cr3t"})

    async def fetch() -> AccessToken:
        raise httpx.ConnectError("vault refused the connection", request=vault_request)

    provider = RefreshingTokenProvider(fetch, clock=clock)
    with pytest.raises(TokenFetchError) as caught:
        await provider.get_token()
    cause = caught.value.__cause__
    assert isinstance(cause, ForeignFetchError)
    assert cause.error_type == "httpx.ConnectError"
    assert "vault refused the connection" in str(cause)
    assert cause.__cause__ is None
    assert cause.__context__ is None
    assert cause.__traceback__ is None
    assert caught.value.__context__ is None
