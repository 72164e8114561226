"""The aiohttp backend's transport: httpx-aiohttp's, with every failure read by its phase.

Imported only when a :class:`~amili_async.DefaultAioHttpClient` is made, so that
``import amili_async`` never pays for aiohttp (about 120 ms and 30 MB).

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

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import httpx
from aiohttp.http_exceptions import HttpProcessingError
from httpx_aiohttp import AiohttpTransport

from .errors import ConfigurationError

__all__ = ["AioHttpTransport", "cause", "translated"]


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


def translated(error: BaseException, *, sent: bool = False) -> httpx.TransportError:
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


def cause(error: BaseException) -> BaseException:
    """The aiohttp (or OS) error under one httpx-aiohttp raised, else ``error`` itself."""
    if isinstance(error, httpx.HTTPError) and error.__cause__ is not None:
        return error.__cause__
    return error


#: What a failed exchange may raise below httpx-aiohttp (never a cancellation).
_FAILURES = (httpx.HTTPError, aiohttp.ClientError, HttpProcessingError, OSError)


class _PhaseMappedStream(httpx.AsyncByteStream):
    """A response body whose failures say "sent, no usable answer" (never "not sent")."""

    def __init__(self, inner: httpx.AsyncByteStream) -> None:
        self._inner = inner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        failure: httpx.TransportError | None = None
        try:
            async for chunk in self._inner:
                yield chunk
        except _FAILURES as error:
            failure = translated(cause(error), sent=True)
        if failure is not None:
            raise failure  # outside the except block: no aiohttp error chained to it

    async def aclose(self) -> None:
        failure: httpx.TransportError | None = None
        try:
            await self._inner.aclose()
        except _FAILURES as error:
            failure = translated(cause(error), sent=True)
        if failure is not None:
            raise failure


def _on_asyncio() -> bool:
    """Whether this runs in an asyncio event loop (not trio)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class AioHttpTransport(AiohttpTransport):
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
        session = aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())
        # aiohttp re-sends PUT and DELETE once, unseen, when a kept-alive connection
        # turns out dropped: a write the server may have read. The SDK decides alone.
        session._retry_connection = False
        return session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through aiohttp; a failure is an httpx error of its phase."""
        if not _on_asyncio():
            raise ConfigurationError(
                "DefaultAioHttpClient runs on asyncio only (aiohttp is an asyncio "
                "library); on trio use the default backend (leave http_client= out)"
            )
        failure: httpx.TransportError | None = None
        try:
            response: httpx.Response = await super().handle_async_request(request)
        except _FAILURES as error:
            failure = translated(cause(error))
        if failure is not None:
            failure.request = request
            raise failure  # outside the except block: no aiohttp error chained to it
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _PhaseMappedStream(response.stream)
        return response
