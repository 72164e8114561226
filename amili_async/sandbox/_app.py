"""The sandbox's ASGI application: the routes, the middleware around them, and error answers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from ._auth import ApiKeyBackend, on_auth_error
from ._errors import ApiError
from ._fault_layer import FaultLayer
from ._ratelimit import RateLimitLayer, without_trailing_slash
from ._routes import SandboxApi
from ._state import SandboxState
from ._uploads import MAX_UPLOAD_BYTES

if TYPE_CHECKING:
    from ._sandbox import Sandbox

__all__ = ["build_app"]


def build_app(
    sandbox: Sandbox, state: SandboxState, *, sleep: Callable[[float], Awaitable[None]]
) -> Starlette:
    """The Starlette application that serves ``sandbox`` (whose state is ``state``).

    From the outside in: the fault layer (logs every request, injects faults;
    ``sleep`` waits out injected latency), Eve's rate limit (when the state's
    settings have one), the ``X-API-Key`` check, the body size limit, then the
    routes, which see ``/cases/`` as ``/cases`` (Eve serves both, no redirect).
    """
    routes = SandboxApi(sandbox, state).routes()
    middleware = [Middleware(FaultLayer, state=state, faults=sandbox.faults, sleep=sleep)]
    if state.settings.rate_limit is not None:
        middleware.append(Middleware(RateLimitLayer, count=state.count_request, routes=routes))
    middleware += [
        Middleware(AuthenticationMiddleware, backend=ApiKeyBackend(state), on_error=on_auth_error),
        Middleware(RequestBodyLimitMiddleware, max_body_size=MAX_UPLOAD_BYTES),
        Middleware(_TrailingSlash),
    ]
    return Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={HTTPException: _http_error, ApiError: _api_error},
    )


class _TrailingSlash:
    """Route ``/cases/`` as ``/cases``, as Eve does (Starlette would redirect instead)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope = {**scope, "path": without_trailing_slash(scope["path"])}
        await self.app(scope, receive, send)


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own errors (unknown path, wrong method, body too large) in Eve's shape."""
    assert isinstance(exc, HTTPException)
    message = exc.detail if exc.status_code not in (404, 405) else None
    headers = dict(exc.headers or {})
    return ApiError(exc.status_code, message, headers=headers).response()


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return exc.response()
