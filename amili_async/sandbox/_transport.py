"""An httpx transport that runs the sandbox app in process: no socket, asyncio or trio."""

from __future__ import annotations

import httpx
from starlette.types import ASGIApp, Receive, Scope, Send

from ._fault_layer import IN_PROCESS
from ._faults import ConnectionDropped, ResponseDropped

__all__ = ["SandboxTransport"]


class SandboxTransport(httpx.AsyncBaseTransport):
    """Send requests straight into the sandbox's ASGI app (wraps ``httpx.ASGITransport``).

    Injected connection faults become the errors a real network gives:
    ``httpx.ConnectError`` when the connection drops before the request is
    handled, ``httpx.RemoteProtocolError`` when the request was handled but the
    answer is lost. Works under asyncio and trio.
    """

    def __init__(self, app: ASGIApp) -> None:
        async def marked(scope: Scope, receive: Receive, send: Send) -> None:
            scope[IN_PROCESS] = True
            await app(scope, receive, send)

        self._inner = httpx.ASGITransport(app=marked)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Run the app for one request."""
        try:
            return await self._inner.handle_async_request(request)
        except ConnectionDropped:
            raise httpx.ConnectError(
                "[sandbox] connection dropped before the request was handled", request=request
            ) from None
        except ResponseDropped:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            ) from None

    async def aclose(self) -> None:
        """Nothing to release; present for the transport interface."""
        await self._inner.aclose()

    def __repr__(self) -> str:
        return "SandboxTransport()"
