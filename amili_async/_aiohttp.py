"""The aiohttp backend: ``AmiliClient(http_client=DefaultAioHttpClient())``.

``pip install 'amili-async[aiohttp]'`` brings aiohttp and ``httpx-aiohttp``,
whose transport hands httpx's requests to an aiohttp session. It costs less
CPU per request than httpx's own stack (httpcore, h11), which matters in bulk
jobs. It runs on asyncio only (aiohttp is an asyncio library); on trio the
first request raises :class:`~amili_async.ConfigurationError`.

What a failure means is told apart here, not taken from httpx-aiohttp's own
table: that table reads every broken connection as ``httpx.ConnectTimeout``,
"never sent", which would make the SDK send a write again after the server
had read it (a duplicate case). Only a failure before the request went out
(no connection made, connect timeout, a proxy or TLS refusal) is a connect
error; everything after is "sent, no usable answer", which the SDK looks up
before sending a write again.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from typing import Any

import httpx
import sniffio

from .errors import ConfigurationError

__all__ = ["DefaultAioHttpClient", "aiohttp_available"]

#: httpx's own default pool limits.
_DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)

_INSTALL_HINT = "the aiohttp backend needs its extra: pip install 'amili-async[aiohttp]'"

try:
    import aiohttp
    from httpx_aiohttp import AiohttpTransport
except ImportError:  # pragma: no cover - exercised by a test that hides the modules
    aiohttp = None  # type: ignore[assignment]
    AiohttpTransport = None  # type: ignore[assignment,misc]


def aiohttp_available() -> bool:
    """Whether the ``aiohttp`` extra is installed."""
    return AiohttpTransport is not None


def _translated(error: BaseException) -> httpx.TransportError:
    """The httpx error that says what really happened, for an aiohttp failure.

    Connect phase (nothing was sent): ``ConnectError`` / ``ConnectTimeout`` /
    ``ProxyError``. After the request went out: ``ReadTimeout``,
    ``RemoteProtocolError`` (the server closed without answering, or answered
    what is not HTTP), ``ReadError`` (a reset, a broken body).
    """
    message = str(error) or type(error).__name__
    if isinstance(error, aiohttp.ClientProxyConnectionError | aiohttp.ClientHttpProxyError):
        return httpx.ProxyError(message)
    if isinstance(error, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout(message)
    if isinstance(error, aiohttp.ClientConnectorError):
        return httpx.ConnectError(message)
    if isinstance(error, aiohttp.InvalidURL):
        return httpx.UnsupportedProtocol(message)
    if isinstance(error, TimeoutError):  # SocketTimeoutError, ServerTimeoutError, asyncio's
        return httpx.ReadTimeout(message)
    if isinstance(error, aiohttp.ServerDisconnectedError | aiohttp.ClientResponseError):
        return httpx.RemoteProtocolError(message)
    return httpx.ReadError(message)


def _cause(error: BaseException) -> BaseException:
    """The aiohttp (or OS) error under one httpx-aiohttp raised, else ``error`` itself."""
    if isinstance(error, httpx.HTTPError) and error.__cause__ is not None:
        return error.__cause__
    return error


class _PhaseMappedStream(httpx.AsyncByteStream):
    """A response body whose failures say "sent, no usable answer" (never "not sent")."""

    def __init__(self, inner: httpx.AsyncByteStream) -> None:
        self._inner = inner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        failure: httpx.TransportError | None = None
        try:
            async for chunk in self._inner:
                yield chunk
        except (httpx.HTTPError, aiohttp.ClientError, TimeoutError, OSError) as error:
            failure = _translated(_cause(error))
            if isinstance(failure, httpx.ConnectError | httpx.ConnectTimeout):
                failure = httpx.ReadError(str(failure))
        if failure is not None:
            raise failure

    async def aclose(self) -> None:
        failure: httpx.TransportError | None = None
        try:
            await self._inner.aclose()
        except (httpx.HTTPError, aiohttp.ClientError, TimeoutError, OSError) as error:
            failure = httpx.ReadError(str(_cause(error)) or type(error).__name__)
        if failure is not None:
            raise failure


if AiohttpTransport is not None:

    class _Transport(AiohttpTransport):
        """httpx-aiohttp's transport, with every failure told by the phase it happened in."""

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if sniffio.current_async_library() != "asyncio":
                raise ConfigurationError(
                    "DefaultAioHttpClient runs on asyncio only (aiohttp is an asyncio "
                    "library); on trio use the default backend"
                )
            failure: httpx.TransportError | None = None
            try:
                response: httpx.Response = await super().handle_async_request(request)
            except (httpx.HTTPError, aiohttp.ClientError, TimeoutError, OSError) as error:
                failure = _translated(_cause(error))
            if failure is not None:
                failure.request = request
                raise failure
            assert isinstance(response.stream, httpx.AsyncByteStream)
            response.stream = _PhaseMappedStream(response.stream)
            return response


class DefaultAioHttpClient(httpx.AsyncClient):
    """An ``httpx.AsyncClient`` that sends through aiohttp, for ``AmiliClient(http_client=...)``.

    Needs ``pip install 'amili-async[aiohttp]'`` (else
    :class:`~amili_async.ConfigurationError`). Takes httpx's ``limits``,
    ``timeout``, ``verify``, ``cert``, ``proxy`` and ``trust_env``; runs on
    asyncio only. Connection failures are mapped by when they happened (see
    the module), so a write whose answer was lost is looked up, never re-sent.
    The SDK sends through its transport directly, as it does its own
    (no cookies, no event hooks, no ``response.elapsed``).
    """

    def __init__(self, **kwargs: Any) -> None:
        if AiohttpTransport is None:
            raise ConfigurationError(_INSTALL_HINT)
        self._amili_transport: httpx.AsyncBaseTransport | None = None
        self._amili_proxied = False
        super().__init__(**kwargs)

    def _init_transport(
        self,
        verify: ssl.SSLContext | str | bool = True,
        cert: Any = None,
        trust_env: bool = True,
        http1: bool = True,
        http2: bool = False,
        limits: httpx.Limits = _DEFAULT_LIMITS,
        transport: httpx.AsyncBaseTransport | None = None,
        **_: Any,
    ) -> httpx.AsyncBaseTransport:
        made = transport or _Transport(
            verify=verify, cert=cert, trust_env=trust_env, http1=http1, limits=limits
        )
        self._amili_transport = made
        return made

    def _init_proxy_transport(
        self,
        proxy: httpx.Proxy,
        verify: ssl.SSLContext | str | bool = True,
        cert: Any = None,
        trust_env: bool = True,
        http1: bool = True,
        http2: bool = False,
        limits: httpx.Limits = _DEFAULT_LIMITS,
        **_: Any,
    ) -> httpx.AsyncBaseTransport:
        self._amili_proxied = True
        return _Transport(
            verify=verify, cert=cert, trust_env=trust_env, http1=http1, limits=limits, proxy=proxy
        )

    @property
    def direct_transport(self) -> httpx.AsyncBaseTransport | None:
        """The transport the SDK may hand requests to directly: ``None`` when a proxy is in use
        (httpx picks the transport per URL then)."""
        return None if self._amili_proxied else self._amili_transport
