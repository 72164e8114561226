"""The outermost sandbox middleware: it logs every request and injects the configured faults."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from functools import partial

from starlette.datastructures import Headers
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._auth import REJECT_CREDENTIALS
from ._errors import ApiError
from ._faults import (
    ConnectionDropped,
    FaultInjector,
    FaultKind,
    FaultRule,
    ResponseDropped,
)
from ._state import LoggedRequest, SandboxState

__all__ = ["IN_PROCESS", "FaultLayer"]

#: Scope key set by the in-process transport.
IN_PROCESS = "amili_sandbox.in_process"

_GATEWAY_PAGES = {
    502: (
        "<html><head><title>502 Server Error</title></head><body><h1>Error: Server Error</h1>"
        "<h2>The server encountered a temporary error and could not complete your request."
        "<p>Please try again in 30 seconds.</h2></body></html>"
    ),
    504: (
        "<html><head><title>504 Gateway Timeout</title></head><body><h1>Error: Gateway Timeout"
        "</h1><h2>The upstream server did not answer in time.</h2></body></html>"
    ),
}


def _fault_response(rule: FaultRule) -> Response:
    status = rule.status or 503
    headers: dict[str, str] = {}
    if rule.retry_after is not None:
        headers["Retry-After"] = str(math.ceil(rule.retry_after))
    if status in _GATEWAY_PAGES:
        return HTMLResponse(_GATEWAY_PAGES[status], status_code=status, headers=headers)
    return ApiError(status, headers=headers).response()


class FaultLayer:
    """Outermost sandbox middleware: logs every request and injects configured faults.

    In process (the scope carries :data:`IN_PROCESS`) a dropped connection is
    signalled with an exception that the sandbox transport turns into the
    matching ``httpx`` error. Served over a socket, the layer starts a response
    and returns without finishing it, which makes uvicorn close the connection:
    the client sees ``httpx.RemoteProtocolError``.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        state: SandboxState,
        faults: FaultInjector,
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        self.app = app
        self.state = state
        self.faults = faults
        self.sleep = sleep

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI call."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Read before the app runs: routing may add to the scope.
        log = partial(self._log, scope["method"], scope["path"])
        rule = await self._fault_for(scope)
        kind = rule.kind if rule is not None else None
        if rule is not None and kind is FaultKind.DROP_CONNECTION:
            log(kind, None)
            await self._drop(scope, send, ConnectionDropped)
            return
        if rule is not None and kind in (FaultKind.ERROR, FaultKind.RATE_LIMIT):
            log(kind, rule.status)
            await _fault_response(rule)(scope, receive, send)
            return
        if kind is FaultKind.EXPIRE_TOKEN:
            self._expire_token(scope)
        swallow = kind in (FaultKind.DROP_AFTER_COMMIT, FaultKind.ERROR_AFTER_COMMIT)
        status = await self._run_app(scope, receive, send, swallow=swallow)
        if rule is not None and kind is FaultKind.DROP_AFTER_COMMIT:
            log(kind, None)
            await self._drop(scope, send, ResponseDropped)
        elif rule is not None and kind is FaultKind.ERROR_AFTER_COMMIT:
            log(kind, rule.status)
            await _fault_response(rule)(scope, receive, send)
        else:
            log(kind, status)

    async def _fault_for(self, scope: Scope) -> FaultRule | None:
        """Draw this request's faults, wait out injected latency; the rule to apply, if any."""
        path = scope["path"]
        if path == "/" or path.startswith("/_sandbox/"):
            return None
        decision = self.faults.decide(scope["method"], path)
        if decision.latency > 0:
            await self.sleep(decision.latency)
        return decision.rule

    def _log(self, method: str, path: str, kind: FaultKind | None, status: int | None) -> None:
        fault = kind.value if kind is not None else None
        self.state.request_log.append(LoggedRequest(method, path, status, fault))

    def _expire_token(self, scope: Scope) -> None:
        """Expire the request's token now; refuse its credentials if it has none to expire."""
        token = Headers(scope=scope).get("x-api-key")
        if not token or not self.state.expire_token(token):
            scope[REJECT_CREDENTIALS] = True

    async def _run_app(
        self, scope: Scope, receive: Receive, send: Send, *, swallow: bool
    ) -> int | None:
        """Run the app; returns the status it answered (``swallow``: keep it from the client)."""
        statuses: list[int] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])
            if not swallow:
                await send(message)

        await self.app(scope, receive, capture)
        return statuses[0] if statuses else None

    @staticmethod
    async def _drop(scope: Scope, send: Send, signal: type[Exception]) -> None:
        if scope.get(IN_PROCESS):
            raise signal()
        # Served: announce a body that never comes; uvicorn closes the connection.
        await send(
            {
                "type": "http.response.start",
                "status": 502,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"64")],
            }
        )
