"""The aiohttp backend, ``DefaultAioHttpClient``, against real loopback servers that misbehave.

The servers here are plain asyncio socket servers on port 0 that read each
request whole and count it, then answer, drop, reset or say nothing, as the
test asks. The story each test tells: a write the server may have read is
never sent again (it is looked up, or its outcome is unknown); a read is
retried; the error is typed and holds no key. The same stories run on the
default httpx backend where that shows the two agree.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import logging
import socket
import ssl
import struct
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import aiohttp.client_exceptions
import anyio
import httpx
import pytest
from aiohttp.client_reqrep import ConnectionKey, RequestInfo
from aiohttp.http_exceptions import BadStatusLine, HttpProcessingError
from multidict import CIMultiDict, CIMultiDictProxy
from support import example
from test_secret_chains import KEY, assert_nothing_secret
from yarl import URL

import amili_async._aiohttp as backend
from amili_async import AmiliClient, DefaultAioHttpClient, ManualClock, RetryPolicy
from amili_async._aiohttp_transport import cause, translated
from amili_async.errors import (
    ConfigurationError,
    ConnectError,
    OutcomeUnknownError,
    RequestTimeoutError,
    TransportError,
)
from amili_async.sandbox import Sandbox, SandboxServer

# Real loopback servers throughout; each test names the backends it runs on itself.
pytestmark = [pytest.mark.anyio, pytest.mark.network]

ATTEMPTS = 3
BACKENDS = ["aiohttp", "httpx"]


@pytest.fixture
def anyio_backend() -> str:
    """aiohttp is an asyncio library: these tests run on asyncio (the trio one says so)."""
    return "asyncio"


@pytest.fixture(autouse=True)
def _no_proxy(no_proxy: None) -> None:
    """Every test here without a proxy from the environment (conftest's ``no_proxy``)."""


@pytest.fixture(autouse=True)
def collect_garbage() -> Iterator[None]:
    """Collect at the end of each test, so that an unclosed socket, transport or session
    warns (``error::ResourceWarning``) in the test that left it, not in a later one."""
    yield
    gc.collect()


# --- A loopback server that misbehaves as told -------------------------------------------------


class Seen:
    """One request as the server read it."""

    def __init__(self, method: str, path: str, headers: dict[str, str], body: bytes) -> None:
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body


#: What the server does with a request it has read whole.
Behaviour = Callable[[Seen, asyncio.StreamWriter], Awaitable[bool]]  # True: keep the connection


async def _read_request(reader: asyncio.StreamReader) -> Seen | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            body += await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        body = await reader.readexactly(int(headers.get("content-length", "0")))
    return Seen(method, target, headers, body)


def answer(status: int, body: bytes, headers: dict[str, str] | None = None) -> bytes:
    """The bytes of an HTTP/1.1 answer that keeps the connection."""
    lines = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def close_unanswered(seen: Seen, writer: asyncio.StreamWriter) -> bool:
    """Read the whole request, then close without a byte of answer."""
    return False


async def reset_mid_body(seen: Seen, writer: asyncio.StreamWriter) -> bool:
    """Start a 200 whose body is promised 1000 bytes, send 10, then reset the connection."""
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    )
    writer.write(b'{"_items":')
    await writer.drain()
    writer.get_extra_info("socket").setsockopt(
        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
    )
    writer.transport.abort()
    return False


async def garbage(seen: Seen, writer: asyncio.StreamWriter) -> bool:
    """Answer bytes that are not HTTP at all."""
    writer.write(b"\x00\x17SSH-2.0-not-http-at-all\r\n\r\n\x01\x02")
    await writer.drain()
    return False


async def never_answer(seen: Seen, writer: asyncio.StreamWriter) -> bool:
    """Read the request and say nothing until the client gives up."""
    await asyncio.Event().wait()
    return False


class HostileServer:
    """A loopback HTTP server: ``behaviour`` decides what each request it read gets."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.seen: list[Seen] = []
        self._handlers: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    def count(self, method: str) -> int:
        return sum(seen.method == method for seen in self.seen)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            while (seen := await _read_request(reader)) is not None:
                self.seen.append(seen)
                if not await self.behaviour(seen, writer):
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            self._handlers.discard(task)

    async def __aenter__(self) -> HostileServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()


PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def registration() -> Any:
    """The documented registration request."""
    return example("01-case-registration.request.json")


def http_client(kind: str) -> DefaultAioHttpClient | None:
    return DefaultAioHttpClient() if kind == "aiohttp" else None


def client_on(url: str, kind: str, **options: Any) -> AmiliClient:
    """A client with the key, quick retries on a manual clock, on the backend ``kind``."""
    options.setdefault("retry", RetryPolicy(max_attempts=ATTEMPTS, initial_backoff=0.1))
    return AmiliClient(
        api_key=KEY,
        base_url=url,
        http_client=http_client(kind),
        clock=ManualClock(),
        seed=1,
        **options,
    )


# --- A write the server read is never sent again ------------------------------------------------


@pytest.mark.parametrize("kind", BACKENDS)
async def test_a_post_the_server_read_and_dropped_is_not_sent_again(kind: str) -> None:
    async with HostileServer(close_unanswered) as server, client_on(server.url, kind) as client:
        with pytest.raises(OutcomeUnknownError) as raised:
            await client.request("POST", "/cases", json={"amount": "100.00"}, replay_safe=False)
    assert server.count("POST") == 1
    assert "not sent again" in str(raised.value)
    assert_nothing_secret(raised.value)


@asynccontextmanager
async def dropping_first_answer(upstream: str, method: str) -> AsyncIterator[HostileServer]:
    """A server in front of ``upstream`` that relays everything, except that the answer to
    the first ``method`` request is dropped after the upstream has handled it."""
    dropped: list[Seen] = []
    async with httpx.AsyncClient(base_url=upstream) as relay:

        async def forward(seen: Seen, writer: asyncio.StreamWriter) -> bool:
            headers = {k: v for k, v in seen.headers.items() if k not in ("host", "connection")}
            got = await relay.request(seen.method, seen.path, headers=headers, content=seen.body)
            if seen.method == method and not dropped:
                dropped.append(seen)
                return False  # handled upstream; the answer is lost on the way back
            writer.write(answer(got.status_code, got.content, {"Content-Type": "application/json"}))
            await writer.drain()
            return True

        async with HostileServer(forward) as server:
            yield server


@pytest.mark.parametrize("kind", BACKENDS)
async def test_a_lost_registration_is_looked_up_not_sent_again(kind: str) -> None:
    sandbox = Sandbox(clock=ManualClock(), seed=3)
    with SandboxServer(sandbox, port=0) as served:
        async with dropping_first_answer(served.base_url, "POST") as server:
            client = AmiliClient(
                api_key=sandbox.api_key,
                base_url=server.url,
                http_client=http_client(kind),
                clock=ManualClock(),
            )
            async with client:
                registered, found = await client.case_registrations.create_or_find(registration())
                stored = [r async for r in client.case_registrations.list()]
    assert found is True
    assert server.count("POST") == 1
    assert [r.id for r in stored] == [registered.id]


@pytest.mark.parametrize("kind", BACKENDS)
async def test_a_put_on_a_kept_alive_connection_is_not_sent_again_by_aiohttp(kind: str) -> None:
    # aiohttp re-sends PUT and DELETE once, unseen, when a reused connection drops; not here.
    async def keep_then_drop(seen: Seen, writer: asyncio.StreamWriter) -> bool:
        if seen.method == "PUT":
            return False
        writer.write(answer(200, b"{}", {"Content-Type": "application/json"}))
        await writer.drain()
        return True

    async with HostileServer(keep_then_drop) as server, client_on(server.url, kind) as client:
        assert await client.request("GET", "/cases") == {}
        with pytest.raises(OutcomeUnknownError):
            await client.request("PUT", "/cases/c1", json={"a": 1}, replay_safe=False)
    assert server.count("PUT") == 1


# --- Hostile answers: typed errors, reads retried, writes never re-sent ------------------------


HOSTILE: dict[str, tuple[Behaviour, type[TransportError], dict[str, Any]]] = {
    "reset mid-body": (reset_mid_body, TransportError, {}),
    "garbage": (garbage, TransportError, {}),
    "never answers, timeout": (never_answer, RequestTimeoutError, {"timeout": 0.05}),
    "never answers, deadline": (never_answer, RequestTimeoutError, {"deadline": 0.2}),
}


@pytest.mark.parametrize("kind", BACKENDS)
@pytest.mark.parametrize("case", list(HOSTILE))
async def test_a_hostile_server_gets_reads_retried_and_writes_never_resent(
    case: str, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    behaviour, read_error, options = HOSTILE[case]
    caplog.set_level(logging.INFO, logger="amili_async")
    async with HostileServer(behaviour) as server, client_on(server.url, kind, **options) as client:
        with pytest.raises(read_error) as read:
            await client.request("GET", "/cases")
        gets = server.count("GET")
        with pytest.raises(OutcomeUnknownError) as write:
            await client.request("POST", "/cases", json={"amount": "1.00"}, replay_safe=False)
    assert not isinstance(read.value, ConnectError | OutcomeUnknownError)
    if "deadline" in case:
        assert gets >= 1  # the deadline cut the call short, perhaps during the first attempt
    else:
        assert gets == ATTEMPTS
        assert sum("retrying GET /cases" in r.getMessage() for r in caplog.records) == ATTEMPTS - 1
    assert server.count("POST") == 1
    for error in (read.value, write.value):
        assert_nothing_secret(error)


@pytest.mark.parametrize("kind", BACKENDS)
async def test_a_refused_connection_is_retried_and_names_the_host(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    caplog.set_level(logging.INFO, logger="amili_async")
    async with client_on(f"http://127.0.0.1:{port}", kind) as client:
        with pytest.raises(ConnectError) as raised:
            await client.request("GET", "/cases")
    assert f"could not connect to 127.0.0.1:{port}" in str(raised.value)
    assert "refused" in str(raised.value).lower()
    assert sum("retrying GET /cases" in r.getMessage() for r in caplog.records) == ATTEMPTS - 1
    assert_nothing_secret(raised.value)


# --- Every aiohttp error, by the phase it happened in -------------------------------------------


def _aiohttp_errors() -> list[type[BaseException]]:
    """Every ClientError class aiohttp defines, plus the parse and OS errors under them."""
    found = {
        cls
        for _, cls in inspect.getmembers(aiohttp.client_exceptions, inspect.isclass)
        if issubclass(cls, aiohttp.ClientError)
    }
    return sorted(
        found
        | {
            TimeoutError,
            asyncio.TimeoutError,
            OSError,
            ConnectionResetError,
            HttpProcessingError,
            BadStatusLine,
        },
        key=lambda c: c.__name__,
    )


_KEY = ConnectionKey("api.test", 443, True, True, None, None, None, None)
_INFO = RequestInfo(
    URL("https://api.test/cases"), "POST", CIMultiDictProxy(CIMultiDict({"X-API-Key": KEY}))
)


def _instance(cls: type[BaseException]) -> BaseException:
    if issubclass(cls, aiohttp.client_exceptions.UnixClientConnectorError):
        return cls("/run/x.sock", _KEY, OSError(111, "refused"))  # type: ignore[call-arg]
    if issubclass(cls, aiohttp.ClientConnectorCertificateError):
        return cls(_KEY, ssl.SSLCertVerificationError("bad certificate"))  # type: ignore[call-arg]
    if issubclass(cls, aiohttp.ClientConnectorError):
        return cls(_KEY, OSError(111, "refused"))  # type: ignore[call-arg]
    if issubclass(cls, aiohttp.ClientResponseError):
        return cls(_INFO, ())  # type: ignore[call-arg]
    if issubclass(cls, aiohttp.ServerFingerprintMismatch):
        return cls(b"a", b"b", "api.test", 443)  # type: ignore[call-arg]
    if issubclass(cls, aiohttp.InvalidURL | aiohttp.NonHttpUrlClientError):
        return cls("ftp://api.test")
    if cls is HttpProcessingError:
        return cls(message="boom")
    return cls("boom")


#: Failures from before the request went out, and what each is read as.
NOT_SENT: dict[str, type[httpx.TransportError]] = {
    "ClientConnectorError": httpx.ConnectError,
    "ClientConnectorDNSError": httpx.ConnectError,
    "ClientConnectorSSLError": httpx.ConnectError,
    "ClientConnectorCertificateError": httpx.ConnectError,
    "ClientSSLError": httpx.ConnectError,
    "UnixClientConnectorError": httpx.ConnectError,
    "ServerFingerprintMismatch": httpx.ConnectError,
    "ConnectionTimeoutError": httpx.ConnectTimeout,
    "ClientProxyConnectionError": httpx.ProxyError,
    "ClientHttpProxyError": httpx.ProxyError,
    "InvalidURL": httpx.UnsupportedProtocol,
    "InvalidUrlClientError": httpx.UnsupportedProtocol,
    "InvalidUrlRedirectClientError": httpx.UnsupportedProtocol,
    "NonHttpUrlClientError": httpx.UnsupportedProtocol,
    "NonHttpUrlRedirectClientError": httpx.UnsupportedProtocol,
}
CONNECT_PHASE = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.ProxyError,
    httpx.UnsupportedProtocol,
)
#: Failures once the request (or part of it) was out: sent, no usable answer.
SENT: dict[str, type[httpx.TransportError]] = {
    "ServerDisconnectedError": httpx.RemoteProtocolError,
    "ClientResponseError": httpx.RemoteProtocolError,
    "ContentTypeError": httpx.RemoteProtocolError,
    "TooManyRedirects": httpx.RemoteProtocolError,
    "WSServerHandshakeError": httpx.RemoteProtocolError,
    "HttpProcessingError": httpx.RemoteProtocolError,
    "BadStatusLine": httpx.RemoteProtocolError,
    "SocketTimeoutError": httpx.ReadTimeout,
    "ServerTimeoutError": httpx.ReadTimeout,
    "TimeoutError": httpx.ReadTimeout,
    "ClientPayloadError": httpx.ReadError,
    "ClientOSError": httpx.ReadError,
    "ClientConnectionResetError": httpx.ReadError,
    "ConnectionResetError": httpx.ReadError,
    "ClientConnectionError": httpx.ReadError,
    "ServerConnectionError": httpx.ReadError,
    "UploadAbortedError": httpx.ReadError,
    "RedirectClientError": httpx.ReadError,
    "ClientError": httpx.ReadError,
    "OSError": httpx.ReadError,
}


def test_every_aiohttp_error_is_read_by_the_phase_it_happened_in() -> None:
    classes = _aiohttp_errors()
    # A new aiohttp error class fails here until someone decides which phase it belongs to.
    assert {cls.__name__ for cls in classes} == set(NOT_SENT) | set(SENT)
    for cls in classes:
        error = _instance(cls)
        expected = NOT_SENT.get(cls.__name__) or SENT[cls.__name__]
        mapped = translated(error)
        assert type(mapped) is expected, cls
        assert isinstance(mapped, CONNECT_PHASE) == (cls.__name__ in NOT_SENT), cls
        # While the answer is read, nothing is "not sent" any more.
        assert not isinstance(translated(error, sent=True), CONNECT_PHASE), cls
        # httpx-aiohttp's own reading (ConnectTimeout for every broken connection) is undone.
        wrapped = httpx.ConnectTimeout("as httpx-aiohttp reads it")
        wrapped.__cause__ = error
        assert type(translated(cause(wrapped))) is expected, cls
        assert KEY not in str(mapped)
        assert KEY not in repr(mapped)


# --- The client itself: configuration, ownership, trio, the missing extra -----------------------


async def _noop(_: object) -> None:
    return None


@pytest.mark.parametrize(
    "options",
    [
        {"proxy": "http://proxy.test:3128"},
        {"mounts": {"https://api.test": httpx.AsyncHTTPTransport()}},
        {"event_hooks": {"request": [_noop]}},
        {"event_hooks": {"response": [_noop]}},
        {"auth": ("user", "pass")},
        {"cookies": {"session": "1"}},
    ],
    ids=["proxy", "mounts", "request hook", "response hook", "auth", "cookies"],
)
async def test_nothing_configured_is_skipped_by_the_direct_route(options: dict[str, Any]) -> None:
    async with DefaultAioHttpClient(**options) as http:
        assert http.direct_transport is None


async def test_the_direct_route_is_there_when_nothing_would_be_skipped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    http = DefaultAioHttpClient(headers={"X-Extra": "1"}, timeout=5)
    assert http.direct_transport is not None
    http.event_hooks["request"].append(_noop)  # configured later: still seen
    assert http.direct_transport is None
    await http.aclose()
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.test:3128")
    async with DefaultAioHttpClient() as from_environment:
        assert from_environment.direct_transport is None
    async with DefaultAioHttpClient(trust_env=False) as ignoring_environment:
        assert ignoring_environment.direct_transport is not None
    closed = DefaultAioHttpClient(trust_env=False)
    await closed.aclose()
    assert closed.direct_transport is None


def test_what_aiohttp_cannot_do_is_refused_up_front() -> None:
    with pytest.raises(ConfigurationError, match="its own transport"):
        DefaultAioHttpClient(transport=httpx.AsyncHTTPTransport())
    with pytest.raises(ConfigurationError, match=r"HTTP/1\.1 only"):
        DefaultAioHttpClient(http2=True)


def test_without_the_extra_it_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    # As if httpx-aiohttp were not installed: the transport module cannot be imported.
    monkeypatch.setitem(sys.modules, "httpx_aiohttp", None)
    monkeypatch.delitem(sys.modules, "amili_async._aiohttp_transport", raising=False)
    assert backend.aiohttp_available() is False
    with pytest.raises(ConfigurationError, match=r"pip install 'amili-async\[aiohttp\]'"):
        DefaultAioHttpClient()


@pytest.mark.parametrize("anyio_backend", ["trio"])
async def test_on_trio_the_first_request_says_to_use_the_default_backend() -> None:
    async with AmiliClient(
        api_key=KEY, base_url="http://127.0.0.1:9", http_client=DefaultAioHttpClient()
    ) as client:
        with pytest.raises(ConfigurationError, match="asyncio only"):
            await client.request("GET", "/cases")


async def test_the_client_closes_the_aiohttp_client_it_was_given_and_a_view_does_not() -> None:
    http = DefaultAioHttpClient()
    plain = httpx.AsyncClient()
    async with AmiliClient(api_key=KEY, http_client=http) as client:
        await client.with_options(deadline=5).aclose()
        async with client.with_options(timeout=3):
            pass
        assert not http.is_closed
    assert http.is_closed
    await client.aclose()  # again: nothing happens
    async with AmiliClient(api_key=KEY, http_client=plain):
        pass
    assert not plain.is_closed  # a plain httpx client of yours stays yours
    await plain.aclose()


async def test_the_aiohttp_session_keeps_no_cookies_of_its_own() -> None:
    async def set_cookie(seen: Seen, writer: asyncio.StreamWriter) -> bool:
        writer.write(answer(200, b"{}", {"Set-Cookie": "lb=node-7; Path=/"}))
        await writer.drain()
        return True

    async with HostileServer(set_cookie) as server, DefaultAioHttpClient() as http:
        transport = http.direct_transport
        assert transport is not None
        url = server.url.replace("127.0.0.1", "localhost")  # aiohttp's jar ignores IP hosts
        for _ in range(2):
            response = await transport.handle_async_request(httpx.Request("GET", url + "/cases"))
            await response.aread()
            await response.aclose()
    assert [seen.headers.get("cookie") for seen in server.seen] == [None, None]


async def test_a_cancelled_request_ends_cleanly_on_the_direct_route() -> None:
    # The SDK's deadline is a cancel scope: cut while sending, and while reading the body,
    # with the response closed inside the cancelled scope (as the pipeline does), nothing
    # is left open (the collect_garbage fixture turns a ResourceWarning into a failure).
    async def headers_then_nothing(seen: Seen, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{")
        await writer.drain()
        await asyncio.Event().wait()
        return False

    async with (
        HostileServer(never_answer) as silent,
        HostileServer(headers_then_nothing) as stalled,
        DefaultAioHttpClient() as http,
    ):
        transport = http.direct_transport
        assert transport is not None
        with anyio.move_on_after(0.05) as sending:
            post = httpx.Request("POST", silent.url + "/cases", content=b'{"a": 1}')
            await transport.handle_async_request(post)
        assert sending.cancelled_caught
        with anyio.move_on_after(0.05) as reading:
            response = await transport.handle_async_request(
                httpx.Request("GET", stalled.url + "/cases")
            )
            try:
                await response.aread()
            finally:
                await response.aclose()
        assert reading.cancelled_caught
    assert silent.count("POST") == 1
    assert stalled.count("GET") == 1


# --- The whole story against the served sandbox --------------------------------------------------


async def test_register_upload_and_read_back_through_aiohttp() -> None:
    sandbox = Sandbox(clock=ManualClock(), seed=3)
    invoice = PDF + b"%" + bytes(range(256)) * 1024  # 256 KiB: a multipart stream, not one chunk
    with SandboxServer(sandbox, port=0) as server:
        client = AmiliClient(
            api_key=sandbox.api_key, base_url=server.base_url, http_client=DefaultAioHttpClient()
        )
        async with client:
            registered = await client.case_registrations.create(registration())
            case_id = registered.cases[0]
            upload = await client.media.upload(case_id, invoice, filename="invoice.pdf")
            case = await client.cases.get(case_id)
            again = await client.case_registrations.get(registered.id)
        async with httpx.AsyncClient() as plain:
            stored = await plain.get(upload.url)
    assert case.id == case_id
    assert again.id == registered.id
    assert stored.status_code == 200
    assert stored.content == invoice
