"""No key, token or login JWT anywhere an error reaches: its message, its attributes, its
chained causes and contexts, and the local variables of its traceback's frames (what
``rich`` or ``traceback.TracebackException(capture_locals=True)`` would print)."""

from __future__ import annotations

import gzip
import traceback
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from types import FrameType, ModuleType

import anyio
import httpx
import pytest
import respx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from support import example

from amili_async import (
    AccessToken,
    AmiliClient,
    AmiliError,
    ApiCodeAuth,
    AuthenticationError,
    ConnectError,
    ManualClock,
    OutcomeUnknownError,
    RefreshingTokenProvider,
    RequestTimeoutError,
    ResponseValidationError,
    RetryPolicy,
    ServerError,
    TokenFetchError,
    UnprocessableEntityError,
)

pytestmark = pytest.mark.anyio

KEY = "sk_live_CHAIN_KEY_0123456789"
TOKEN = "tok_CHAIN_TOKEN_9876543210"
VAULT_SECRET = "vault_CHAIN_SECRET_55555"
API_CODE = "code-CHAIN-CODE-777"
CASE_ID = "68b7f49c7b02934caddab092"
CASE = f"/cases/{CASE_ID}"
REGISTRATIONS = "/case--registrations"
LOGIN = "/authenticates/api-code"
QUICK = RetryPolicy(max_attempts=2, initial_backoff=0.1, max_backoff=0.1)


# -- the walk -------------------------------------------------------------------------------


@dataclass
class Reach:
    """Everything an error leads to, as text, with where each piece was found."""

    texts: list[tuple[str, str]] = field(default_factory=list)
    frame_locals: list[tuple[str, object]] = field(default_factory=list)
    seen: set[int] = field(default_factory=set)

    def walk(self, value: object, where: str, depth: int = 0) -> None:
        if id(value) in self.seen or depth > 12 or isinstance(value, type | ModuleType):
            return
        self.seen.add(id(value))
        self.texts.append((where, f"{value!r} {value}"))
        for name, child in self._children(value):
            self.walk(child, f"{where}.{name}", depth + 1)
        if isinstance(value, BaseException):
            self._frames(value.__traceback__, where)

    def _children(self, value: object) -> Iterator[tuple[str, object]]:
        if isinstance(value, str | bytes | int | float | bool) or value is None:
            return
        if isinstance(value, BaseException):
            yield "__cause__", value.__cause__
            yield "__context__", value.__context__
            yield from ((f"args[{i}]", arg) for i, arg in enumerate(value.args))
        if isinstance(value, Mapping):
            yield from ((f"[{key!r}]", item) for key, item in value.items())
            yield from (("<key>", key) for key in value)
        elif isinstance(value, list | tuple | set | frozenset):
            yield from ((f"[{i}]", item) for i, item in enumerate(value))
        attributes = getattr(value, "__dict__", None)
        if isinstance(attributes, dict):
            yield from attributes.items()
        for name in getattr(type(value), "__slots__", ()):
            if hasattr(value, name):
                yield name, getattr(value, name)

    def _frames(self, tb: object, where: str) -> None:
        frames: list[FrameType] = [frame for frame, _ in traceback.walk_tb(tb)]  # type: ignore[arg-type]
        for frame in frames:
            if frame.f_code.co_filename == __file__:
                continue  # this test's own frames hold the secrets it looks for
            place = f"{where} <{frame.f_code.co_qualname} locals>"
            for name, local in frame.f_locals.items():
                self.texts.append((f"{place}.{name}", repr(local)))
                self.frame_locals.append((f"{place}.{name}", local))
                if isinstance(local, BaseException):
                    self.walk(local, f"{place}.{name}")

    def leaks(self, secrets: list[str]) -> list[str]:
        return [
            f"{secret!r} at {where}"
            for where, text in self.texts
            for secret in secrets
            if secret and secret in text
        ]


def assert_nothing_secret(error: BaseException, *secrets: str) -> None:
    reach = Reach()
    reach.walk(error, "error")
    assert reach.leaks([KEY, TOKEN, *secrets]) == []
    held = [
        where
        for where, local in reach.frame_locals
        if isinstance(local, httpx.Request | httpx.Response | httpx.HTTPError)
    ]
    assert held == [], "no frame of the traceback holds an httpx request or response"
    # What a locals-showing traceback prints: the error and every chained one.
    printed = "".join(
        line
        for line in traceback.TracebackException.from_exception(error, capture_locals=True).format()
        if __file__ not in line
    )
    for secret in (KEY, TOKEN, *secrets):
        assert secret not in printed


def test_the_walk_finds_a_key_where_httpx_keeps_it() -> None:
    request = httpx.Request("GET", "https://api.test/cases", headers={"X-API-Key": KEY})
    try:
        try:
            raise httpx.ReadTimeout("slow", request=request)
        except httpx.ReadTimeout:
            raise RequestTimeoutError("no answer", method="GET", path="/cases") from None
    except RequestTimeoutError as error:
        reach = Reach()
        reach.walk(error, "error")
        assert any("__context__" in leak for leak in reach.leaks([KEY]))


# -- the failures ----------------------------------------------------------------------------

Scenario = Callable[[respx.MockRouter, ManualClock], Awaitable[object]]


def raising(kind: type[httpx.TransportError]) -> Callable[[httpx.Request], httpx.Response]:
    def fail(request: httpx.Request) -> httpx.Response:
        raise kind("on the wire", request=request)

    return fail


def keyed(clock: ManualClock, **options: object) -> AmiliClient:
    options = {"retry": QUICK, **options}
    return AmiliClient(api_key=KEY, clock=clock, **options)  # type: ignore[arg-type]


def tokened(clock: ManualClock, **options: object) -> AmiliClient:
    async def fetch() -> AccessToken:
        return AccessToken(TOKEN, clock.now() + timedelta(hours=1))

    provider = RefreshingTokenProvider(fetch, clock=clock)
    options = {"retry": QUICK, **options}
    return AmiliClient(token_provider=provider, clock=clock, **options)  # type: ignore[arg-type]


async def connect_error(api: respx.MockRouter, clock: ManualClock) -> object:
    api.get(CASE).mock(side_effect=raising(httpx.ConnectError))
    return await keyed(clock).cases.get(CASE_ID)


async def read_timeout(api: respx.MockRouter, clock: ManualClock) -> object:
    api.get(CASE).mock(side_effect=raising(httpx.ReadTimeout))
    return await tokened(clock).cases.get(CASE_ID)


async def unauthorized(api: respx.MockRouter, clock: ManualClock) -> object:
    api.get(CASE).respond(401, json={"_error": {"code": 401, "message": "Please provide proper"}})
    return await tokened(clock).cases.get(CASE_ID)


async def unprocessable(api: respx.MockRouter, clock: ManualClock) -> object:
    api.post(REGISTRATIONS).respond(
        422, json={"_status": "ERR", "_issues": {"creditor": "unknown"}, "_error": "invalid"}
    )
    return await keyed(clock).case_registrations.create(
        example("01-case-registration.request.json")
    )


async def server_error(api: respx.MockRouter, clock: ManualClock) -> object:
    api.get(CASE).respond(500, text=f"echo {TOKEN}")
    return await tokened(clock).cases.get(CASE_ID)


async def unreadable_answer(api: respx.MockRouter, clock: ManualClock) -> object:
    api.get(CASE).respond(200, text=f"<html>{TOKEN}</html>")
    return await tokened(clock).cases.get(CASE_ID)


async def broken_compression(api: respx.MockRouter, clock: ManualClock) -> object:
    api.get(CASE).respond(
        200, content=gzip.compress(b"{}")[:-6], headers={"Content-Encoding": "gzip"}
    )
    return await keyed(clock).cases.get(CASE_ID)


async def lost_write(api: respx.MockRouter, clock: ManualClock) -> object:
    api.post(REGISTRATIONS).mock(side_effect=raising(httpx.RemoteProtocolError))
    api.get(REGISTRATIONS).mock(side_effect=raising(httpx.ConnectError))
    return await keyed(clock).case_registrations.create(
        example("01-case-registration.request.json")
    )


async def failed_token_fetch(api: respx.MockRouter, clock: ManualClock) -> object:
    vault = httpx.Request("POST", "https://vault.test", headers={"X-Vault-Token": VAULT_SECRET})

    async def fetch() -> AccessToken:
        raise httpx.ConnectError("vault down", request=vault)

    provider = RefreshingTokenProvider(fetch, clock=clock)
    return await AmiliClient(token_provider=provider, clock=clock).cases.get(CASE_ID)


async def refused_login(api: respx.MockRouter, clock: ManualClock) -> object:
    api.get(LOGIN).respond(401, json={"_error": {"code": 401, "message": "bad signature"}})
    key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return await AmiliClient(token_provider=ApiCodeAuth(API_CODE, key), clock=clock).cases.get(
        CASE_ID
    )


async def deadline_on_the_clock(api: respx.MockRouter, clock: ManualClock) -> object:
    api.get(CASE).respond(503)
    return await tokened(clock, retry=RetryPolicy(max_attempts=9)).cases.get(CASE_ID, deadline=2)


async def deadline_during_the_send(api: respx.MockRouter, clock: ManualClock) -> object:
    async def hang(request: httpx.Request) -> httpx.Response:
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    api.post(REGISTRATIONS).mock(side_effect=hang)
    client = AmiliClient(token_provider=tokened(clock).token_provider, deadline=0.1)
    return await client.case_registrations.create(example("01-case-registration.request.json"))


SCENARIOS: dict[str, tuple[Scenario, type[AmiliError]]] = {
    "connect error": (connect_error, ConnectError),
    "read timeout": (read_timeout, RequestTimeoutError),
    "401": (unauthorized, AuthenticationError),
    "422": (unprocessable, UnprocessableEntityError),
    "500": (server_error, ServerError),
    "unreadable answer": (unreadable_answer, ResponseValidationError),
    "broken compression": (broken_compression, ResponseValidationError),
    "lost write": (lost_write, OutcomeUnknownError),
    "failed token fetch": (failed_token_fetch, TokenFetchError),
    "refused login": (refused_login, TokenFetchError),
    "deadline on the clock": (deadline_on_the_clock, RequestTimeoutError),
    "deadline during the send": (deadline_during_the_send, OutcomeUnknownError),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
async def test_no_secret_is_reachable_from_an_error(
    api: respx.MockRouter, clock: ManualClock, name: str
) -> None:
    scenario, expected = SCENARIOS[name]
    with pytest.raises(expected) as caught:
        await scenario(api, clock)
    sent = [call.request.headers.get("X-API-Key", "") for call in api.calls]  # JWTs too
    assert_nothing_secret(caught.value, VAULT_SECRET, API_CODE, *sent)
