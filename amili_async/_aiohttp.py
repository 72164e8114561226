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
(no connection made, connect timeout, a proxy or TLS refusal, a URL aiohttp
cannot send to) is a connect error; everything after is "sent, no usable
answer", which the SDK looks up before sending a write again:

==========================================================  ==========================
aiohttp's error                                             httpx's, as the SDK reads it
==========================================================  ==========================
``ClientProxyConnectionError``, ``ClientHttpProxyError``    ``ProxyError``
``ConnectionTimeoutError`` (pool wait or connect)           ``ConnectTimeout``
``ClientConnectorError`` and its DNS / SSL / certificate    ``ConnectError``
kinds, ``ServerFingerprintMismatch``
``InvalidURL``, ``NonHttpUrlClientError``                   ``UnsupportedProtocol``
any other timeout (``SocketTimeoutError``, ...)             ``ReadTimeout``
``ServerDisconnectedError``, ``ClientResponseError``,       ``RemoteProtocolError``
an unparsable answer (``HttpProcessingError``)
anything else (``ClientPayloadError``, ``ClientOSError``,   ``ReadError``
a reset, ``UploadAbortedError``, a bare ``OSError``)
==========================================================  ==========================

Two more things differ from httpx-aiohttp as it comes: aiohttp's own hidden
re-send of an "idempotent" request (``PUT``, ``DELETE``...) on a dropped
kept-alive connection is off (the SDK alone decides what is sent again), and
the aiohttp session keeps no cookies of its own.
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
    from aiohttp.http_exceptions import HttpProcessingError
    from httpx_aiohttp import AiohttpTransport
except ImportError:  # pragma: no cover - exercised by a test that hides the modules
    aiohttp = None  # type: ignore[assignment]
    HttpProcessingError = None  # type: ignore[assignment,misc]
    AiohttpTransport = None  # type: ignore[assignment,misc]


def aiohttp_available() -> bool:
    """Whether the ``aiohttp`` extra is installed."""
    return AiohttpTransport is not None


def _not_sent(error: BaseException) -> httpx.TransportError | None:
    """The httpx error for an aiohttp failure from before the request went out, else ``None``."""
    message = str(error) or type(error).__name__
    if isinstance(error, aiohttp.ClientProxyConnectionError | aiohttp.ClientHttpProxyError):
        return httpx.ProxyError(message)
    if isinstance(error, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout(message)
    if isinstance(error, aiohttp.ClientConnectorError):
        refused = httpx.ConnectError(message)
        # The operating system's own error, for the SDK to quote ("Connection refused").
        refused.__cause__ = error.os_error
        return refused
    if isinstance(error, aiohttp.ServerFingerprintMismatch):
        return httpx.ConnectError(message)
    if isinstance(error, aiohttp.InvalidURL | aiohttp.NonHttpUrlClientError):
        return httpx.UnsupportedProtocol(message)
    return None


def _translated(error: BaseException, *, sent: bool = False) -> httpx.TransportError:
    """The httpx error that says what really happened, for an aiohttp (or OS) failure.

    Connect phase (nothing was sent): ``ProxyError`` / ``ConnectTimeout`` /
    ``ConnectError`` / ``UnsupportedProtocol``. After the request went out
    (always, with ``sent=True``: a failure while the answer's body is read):
    ``ReadTimeout``, ``RemoteProtocolError`` (the server closed without
    answering, or answered what is not HTTP), ``ReadError`` (a reset, a
    broken body, a failed write).
    """
    if not sent and (early := _not_sent(error)) is not None:
        return early
    message = str(error) or type(error).__name__
    if isinstance(error, TimeoutError):  # SocketTimeoutError, ServerTimeoutError, asyncio's
        return httpx.ReadTimeout(message)
    if isinstance(
        error, aiohttp.ServerDisconnectedError | aiohttp.ClientResponseError | HttpProcessingError
    ):
        return httpx.RemoteProtocolError(message)
    return httpx.ReadError(message)


def _cause(error: BaseException) -> BaseException:
    """The aiohttp (or OS) error under one httpx-aiohttp raised, else ``error`` itself."""
    if isinstance(error, httpx.HTTPError) and error.__cause__ is not None:
        return error.__cause__
    return error


def _failures() -> tuple[type[BaseException], ...]:
    """What a failed exchange may raise below httpx-aiohttp (never a cancellation)."""
    return (httpx.HTTPError, aiohttp.ClientError, HttpProcessingError, OSError)


class _PhaseMappedStream(httpx.AsyncByteStream):
    """A response body whose failures say "sent, no usable answer" (never "not sent")."""

    def __init__(self, inner: httpx.AsyncByteStream) -> None:
        self._inner = inner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        failure: httpx.TransportError | None = None
        try:
            async for chunk in self._inner:
                yield chunk
        except _failures() as error:
            failure = _translated(_cause(error), sent=True)
        if failure is not None:
            raise failure  # outside the except block: no aiohttp error chained to it

    async def aclose(self) -> None:
        failure: httpx.TransportError | None = None
        try:
            await self._inner.aclose()
        except _failures() as error:
            failure = _translated(_cause(error), sent=True)
        if failure is not None:
            raise failure


if AiohttpTransport is not None:

    class _Transport(AiohttpTransport):
        """httpx-aiohttp's transport, with every failure told by the phase it happened in."""

        def get_client(self) -> aiohttp.ClientSession:
            """The aiohttp session, made on first use (inside the running event loop)."""
            connector = aiohttp.TCPConnector(
                # httpx's max_connections=None is "no limit": aiohttp's 0, not its default 100.
                limit=self.limits.max_connections or 0,
                keepalive_timeout=self.limits.keepalive_expiry,
                ssl=self.ssl_context,
            )
            # No cookie jar of aiohttp's own: cookies are httpx's business (and the SDK's
            # direct route keeps none), so a Set-Cookie never rides along unasked.
            session = aiohttp.ClientSession(
                connector=connector, cookie_jar=aiohttp.DummyCookieJar()
            )
            # aiohttp re-sends PUT and DELETE once, unseen, when a kept-alive connection
            # turns out dropped: a write the server may have read. The SDK decides alone.
            session._retry_connection = False
            return session

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            """Send ``request`` through aiohttp; a failure is an httpx error of its phase."""
            if sniffio.current_async_library() != "asyncio":
                raise ConfigurationError(
                    "DefaultAioHttpClient runs on asyncio only (aiohttp is an asyncio "
                    "library); on trio use the default backend (leave http_client= out)"
                )
            failure: httpx.TransportError | None = None
            try:
                response: httpx.Response = await super().handle_async_request(request)
            except _failures() as error:
                failure = _translated(_cause(error))
            if failure is not None:
                failure.request = request
                raise failure  # outside the except block: no aiohttp error chained to it
            assert isinstance(response.stream, httpx.AsyncByteStream)
            response.stream = _PhaseMappedStream(response.stream)
            return response


class DefaultAioHttpClient(httpx.AsyncClient):
    """An ``httpx.AsyncClient`` that sends through aiohttp, for ``AmiliClient(http_client=...)``.

    ``AmiliClient(http_client=DefaultAioHttpClient())``: less client CPU per
    request than httpx's own stack. Needs ``pip install 'amili-async[aiohttp]'``
    (else :class:`~amili_async.ConfigurationError`) and runs on asyncio only
    (on trio the first request raises ``ConfigurationError``). Takes
    ``httpx.AsyncClient``'s arguments (``limits``, ``timeout``, ``verify``,
    ``cert``, ``proxy``, ``trust_env``...) except ``transport=`` (it brings its
    own) and HTTP/2 (aiohttp speaks HTTP/1.1).

    Connection failures are read by when they happened (see the module), so a
    write whose answer was lost is looked up, never sent again blindly.

    It is meant to be passed inline: the :class:`~amili_async.AmiliClient`
    it is given to closes it when that client closes (a ``with_options``
    view does not; closing twice is harmless). To share connections between
    several AmiliClients, give them a plain ``httpx.AsyncClient`` instead.

    When nothing is configured that httpx applies per request (a proxy, from
    ``proxy=`` or the environment; ``mounts``, ``event_hooks``, ``auth``,
    ``cookies``), the SDK hands each request straight to its transport
    (:attr:`direct_transport`), skipping httpx's client machinery: then
    ``response.elapsed`` is not set and cookies the server sets are not kept.
    """

    def __init__(self, **kwargs: Any) -> None:
        if AiohttpTransport is None:
            raise ConfigurationError(_INSTALL_HINT)
        if kwargs.get("transport") is not None:
            raise ConfigurationError(
                "DefaultAioHttpClient brings its own transport; for another one use "
                "httpx.AsyncClient(transport=...)"
            )
        if kwargs.get("http2") or kwargs.get("http1") is False:
            raise ConfigurationError("DefaultAioHttpClient speaks HTTP/1.1 only (as aiohttp does)")
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
        made = _Transport(verify=verify, cert=cert, trust_env=trust_env, limits=limits)
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
        return _Transport(verify=verify, cert=cert, trust_env=trust_env, limits=limits, proxy=proxy)

    @property
    def direct_transport(self) -> httpx.AsyncBaseTransport | None:
        """The transport the SDK may hand requests to directly, or ``None``: then it sends
        through this client (``send``), which applies what is configured on it.

        ``None`` once closed, and whenever httpx would do something per request
        that the transport alone would not: a proxy (``proxy=`` or the
        environment's), ``mounts``, ``event_hooks``, ``auth`` or ``cookies``.
        The :class:`~amili_async.AmiliClient` reads it once, when it is made:
        configure this client before passing it.
        """
        if self.is_closed or self._amili_proxied or self._amili_transport is None:
            return None
        if any(mounted is not None for mounted in self._mounts.values()):
            return None
        hooks = self.event_hooks
        if hooks["request"] or hooks["response"] or self.auth is not None or self.cookies:
            return None
        return self._amili_transport
