"""Client configuration: the environment, a caller's own httpx client, proxies, default
headers, and ``with_options`` views that close nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import anyio
import httpx
import pytest
import respx
from anyio.abc import SocketStream
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from support import example_bytes, loopback_client

from amili_async import (
    AmiliClient,
    ApiCodeAuth,
    APIStatusError,
    ConfigurationError,
    ResponseTooLargeError,
    StaticKey,
)

pytestmark = pytest.mark.anyio

CASE_ID = "68b7f49c7b02934caddab092"
CASE_JSON = example_bytes("03-case.debt_collection.response.json")
ENV = ("AMILI_API_KEY", "AMILI_API_CODE", "AMILI_PRIVATE_KEY", "AMILI_JWT_ALGORITHM")


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Set the ``AMILI_*`` variables, the others unset."""
    for name in (*ENV, "AMILI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)

    def set_env(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"AMILI_{name.upper()}", value)

    return set_env


def answering(seen: list[httpx.Request], status: int = 200) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, content=CASE_JSON, headers={"Location": "https://x.test/"})

    return httpx.MockTransport(handler)


# From the environment


async def test_the_key_and_host_come_from_the_environment(
    environ: Callable[..., None],
) -> None:
    environ(api_key="env-key", base_url="http://127.0.0.1:8400/api")
    seen: list[httpx.Request] = []
    async with AmiliClient(transport=answering(seen)) as client:
        await client.cases.get(CASE_ID)
    assert isinstance(client.token_provider, StaticKey)
    assert seen[0].headers["X-API-Key"] == "env-key"
    assert str(seen[0].url) == f"http://127.0.0.1:8400/api/cases/{CASE_ID}"


async def test_arguments_win_over_the_environment(environ: Callable[..., None]) -> None:
    environ(api_key="env-key", api_code="code", base_url="https://elsewhere.example")
    seen: list[httpx.Request] = []
    client = AmiliClient("given", base_url="https://api.amili.se", transport=answering(seen))
    await client.cases.get(CASE_ID)
    assert seen[0].headers["X-API-Key"] == "given"
    assert seen[0].url.host == "api.amili.se"


def test_a_key_given_never_goes_to_a_host_named_only_in_the_environment(
    environ: Callable[..., None],
) -> None:
    environ(base_url="https://production.example")
    assert AmiliClient("sandbox-key").base_url == "https://api-sandbox.amili.se"
    environ(api_key="env-key")
    assert AmiliClient().base_url == "https://production.example"


def test_the_login_comes_from_the_environment(environ: Callable[..., None], tmp_path: Path) -> None:
    key = tmp_path / "amili.pem"
    key.write_bytes(
        ec.generate_private_key(ec.SECP384R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    environ(api_code="my-code", private_key=str(key), jwt_algorithm="es384")
    assert isinstance(AmiliClient().token_provider, ApiCodeAuth)
    environ(jwt_algorithm="RS256")
    with pytest.raises(ConfigurationError, match="RS256 needs an RSA"):
        AmiliClient()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "no credentials: give exactly one of api_key= and token_provider=, or set"),
        ({"api_key": "k", "api_code": "c"}, "both AMILI_API_KEY and"),
        ({"api_key": "k", "private_key": "/k.pem"}, "unset one of them"),
        ({"api_code": "c"}, "set AMILI_PRIVATE_KEY"),
        ({"private_key": "/k.pem"}, "set AMILI_API_CODE"),
        ({"api_key": "   "}, "no credentials"),
    ],
)
def test_missing_or_conflicting_environment_is_refused(
    environ: Callable[..., None], values: dict[str, str], message: str
) -> None:
    environ(**values)
    with pytest.raises(ConfigurationError, match=message):
        AmiliClient()


def test_both_arguments_are_refused(environ: Callable[..., None]) -> None:
    with pytest.raises(ConfigurationError, match="not both"):
        AmiliClient("k", token_provider=StaticKey("k"))


def test_a_bad_base_url_from_the_environment_is_refused(environ: Callable[..., None]) -> None:
    environ(api_key="k", base_url="http://api.example.com")
    with pytest.raises(ConfigurationError, match="unencrypted"):
        AmiliClient()


# A caller's own httpx client


async def test_the_sdk_sends_through_a_callers_client_and_leaves_it_as_it_was() -> None:
    seen: list[httpx.Request] = []
    own = httpx.AsyncClient(
        transport=answering(seen),
        base_url="https://ignored.example/v9",
        headers={"X-Team": "billing"},
    )
    async with AmiliClient("k", http_client=own, timeout=7) as client:
        case = await client.cases.get(CASE_ID)
    assert case.id == CASE_ID
    sent = seen[0]
    assert str(sent.url) == f"https://api-sandbox.amili.se/cases/{CASE_ID}", "the SDK's base URL"
    assert sent.headers["X-API-Key"] == "k"
    assert sent.headers["Accept"] == "application/json"
    assert sent.headers["User-Agent"].startswith("amili-async/")
    assert sent.headers["X-Team"] == "billing", "the client's own headers still go"
    assert sent.extensions["timeout"]["read"] == 7.0
    assert client.connection_pool is None
    assert not own.is_closed, "aclose() leaves the caller's client open"
    assert "X-API-Key" not in own.headers
    assert "User-Agent" in own.headers
    assert own.headers["User-Agent"].startswith("python-httpx/"), "the caller's client unchanged"
    await own.aclose()


async def test_a_redirect_is_never_followed_even_if_the_callers_client_would() -> None:
    seen: list[httpx.Request] = []
    own = httpx.AsyncClient(transport=answering(seen, status=302), follow_redirects=True)
    client = AmiliClient("k", http_client=own)
    with pytest.raises(APIStatusError) as caught:
        await client.cases.get(CASE_ID)
    assert caught.value.status_code == 302
    assert len(seen) == 1, "the key never travels to the redirect's target"
    await own.aclose()


async def test_a_callers_client_cannot_go_with_pool_options() -> None:
    own = httpx.AsyncClient()
    with pytest.raises(ConfigurationError, match="limits, proxy, transport cannot go with"):
        AmiliClient(
            "k",
            http_client=own,
            transport=httpx.MockTransport(lambda request: httpx.Response(200)),
            limits=httpx.Limits(),
            proxy="http://proxy.example:3128",
        )
    await own.aclose()
    with pytest.raises(ConfigurationError, match="closed"):
        AmiliClient("k", http_client=own)
    with httpx.Client() as sync, pytest.raises(ConfigurationError, match=r"httpx\.AsyncClient"):
        AmiliClient("k", http_client=sync)  # type: ignore[arg-type]


# Proxies


async def _serve_once(stream: SocketStream, lines: list[bytes]) -> None:
    """A proxy that answers every request itself with the case."""
    async with stream:
        received = b""
        while b"\r\n\r\n" not in received:
            received += await stream.receive()
        lines.append(received.split(b"\r\n", 1)[0])
        await stream.send(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
            + str(len(CASE_JSON)).encode()
            + b"\r\nConnection: close\r\n\r\n"
            + CASE_JSON
        )


@pytest.mark.network
async def test_requests_go_through_the_proxy_given() -> None:
    lines: list[bytes] = []
    async with await anyio.create_tcp_listener(local_host="127.0.0.1") as listener:
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
        async with anyio.create_task_group() as group:
            group.start_soon(listener.serve, lambda stream: _serve_once(stream, lines))
            proxy = f"http://127.0.0.1:{port}"
            async with loopback_client("http://localhost:9", "k", proxy=proxy) as client:
                assert client.connection_pool is None
                case = await client.cases.get(CASE_ID)
            group.cancel_scope.cancel()
    assert case.id == CASE_ID
    assert lines == [f"GET http://localhost:9/cases/{CASE_ID} HTTP/1.1".encode()]


@pytest.mark.parametrize("proxy", ["ftp://proxy.example", "not a proxy"])
def test_an_unusable_proxy_is_refused(proxy: str) -> None:
    with pytest.raises(ConfigurationError, match="proxy"):
        AmiliClient("k", proxy=proxy)


def test_a_proxy_cannot_go_with_a_transport() -> None:
    with pytest.raises(ConfigurationError, match="proxy"):
        AmiliClient(
            "k",
            proxy="http://proxy.example:3128",
            transport=httpx.MockTransport(lambda request: httpx.Response(200)),
        )


# Default headers and views


async def test_default_headers_go_on_every_request_and_views_add_their_own(
    api: respx.MockRouter,
) -> None:
    route = api.get(f"/cases/{CASE_ID}").respond(200, content=CASE_JSON)
    client = AmiliClient("k", default_headers={"X-Tenant": "t1", "User-Agent": "my-app/2"})
    view = client.with_options(default_headers={"X-Trace": "abc", "X-Tenant": "t2"})

    await view.cases.get(CASE_ID)
    sent = route.calls.last.request.headers
    assert (sent["X-Tenant"], sent["X-Trace"], sent["User-Agent"]) == ("t2", "abc", "my-app/2")
    assert view.default_headers == {"X-Tenant": "t2", "User-Agent": "my-app/2", "X-Trace": "abc"}

    await client.cases.get(CASE_ID)
    sent = route.calls.last.request.headers
    assert sent["X-Tenant"] == "t1"
    assert "X-Trace" not in sent, "the view's headers stay in the view"
    assert sent["X-API-Key"] == "k"


@pytest.mark.parametrize("headers", [{"X-API-Key": "other"}, {"x-api-key": "o"}, {"X-A": "a\nb"}])
def test_default_headers_cannot_touch_the_key_or_break_lines(headers: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError, match="default_headers"):
        AmiliClient("k", default_headers=headers)
    with pytest.raises(ConfigurationError, match="default_headers"):
        AmiliClient("k").with_options(default_headers=headers)


async def test_with_options_takes_every_per_call_option(api: respx.MockRouter) -> None:
    api.get(f"/cases/{CASE_ID}").respond(200, content=CASE_JSON)
    client = AmiliClient("k")
    small = client.with_options(max_response_bytes=100, deadline=3, timeout=2)
    assert (small.max_response_bytes, small.deadline, small.timeout.read) == (100, 3, 2)
    with pytest.raises(ResponseTooLargeError, match="100 byte limit"):
        await small.cases.get(CASE_ID)
    assert (await client.cases.get(CASE_ID)).id == CASE_ID, "the client keeps its own limit"
    assert client.max_response_bytes == 50 * 1024 * 1024
    with pytest.raises(ConfigurationError, match="max_response_bytes"):
        client.with_options(max_response_bytes=0)


async def test_closing_a_view_never_closes_its_clients_pool() -> None:
    seen: list[httpx.Request] = []
    async with AmiliClient("k", transport=answering(seen)) as client:
        async with client.with_options(timeout=5) as view:
            await view.cases.get(CASE_ID)
        await view.aclose()
        assert (await client.cases.get(CASE_ID)).id == CASE_ID
        assert (await view.cases.get(CASE_ID)).id == CASE_ID, "a view lives as its client does"
    assert len(seen) == 3
    with pytest.raises(ConfigurationError, match="client is closed"):
        await client.cases.get(CASE_ID)
    assert len(seen) == 3, "nothing is sent by a closed client"


async def test_views_share_the_sdks_own_pools() -> None:
    async with AmiliClient("k") as client:
        view = client.with_options(deadline=1)
        assert client.connection_pool is not None
        assert view.connection_pool is client.connection_pool
