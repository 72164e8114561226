"""Eve's rate limit: one request count per client and window, and the layer that applies it.

Eve counts in Redis (``INCR`` then ``EXPIREAT now + window``) before it checks
the credentials, so every request counts, a refused one and a 401 included,
and each one moves the window's end to now + window: a client that keeps
retrying inside the window stays blocked. While a window is open, every answer
carries ``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and
``X-RateLimit-Reset`` (the window's end in epoch seconds); the 429 itself is
bare: no ``X-RateLimit-*``, no ``Retry-After``.

Eve keys the count by the Basic-auth user name, else by client IP; Amili's
``X-API-Key`` is not Basic auth, so this sandbox keys by client IP too: every
client of one sandbox in process (``127.0.0.1``) shares one budget.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._errors import ApiError

__all__ = [
    "RateCounter",
    "RateLimitLayer",
    "RateLimitWindow",
    "RateLimiter",
    "without_trailing_slash",
]

#: The methods Eve limits (``RATE_LIMIT_GET/POST/PATCH/PUT/DELETE``); HEAD and OPTIONS pass.
LIMITED_METHODS = frozenset({"GET", "POST", "PATCH", "PUT", "DELETE"})
_CONTROL_PREFIX = "/_sandbox/"


def without_trailing_slash(path: str) -> str:
    """``/cases/`` -> ``/cases`` (Eve serves both alike); ``/`` stays."""
    return path[:-1] if len(path) > 1 and path.endswith("/") else path


@attrs.frozen
class RateLimitWindow:
    """One client's window after counting a request: ``over`` when it must be refused."""

    limit: int
    remaining: int
    reset: int

    @property
    def over(self) -> bool:
        """Whether this request went past the limit (Eve answers 429)."""
        return self.remaining < 0

    def headers(self) -> list[tuple[bytes, bytes]]:
        """The ``X-RateLimit-*`` headers, as Eve sends them on every other answer."""
        return [
            (b"x-ratelimit-remaining", str(self.remaining).encode()),
            (b"x-ratelimit-limit", str(self.limit).encode()),
            (b"x-ratelimit-reset", str(self.reset).encode()),
        ]


class RateLimiter:
    """``requests`` per ``seconds`` for each client key; the caller holds the state's lock."""

    def __init__(self, requests: int, seconds: float) -> None:
        self.requests = requests
        self.seconds = seconds
        self._windows: dict[str, tuple[int, int]] = {}

    def hit(self, client: str, now: float) -> RateLimitWindow:
        """Count one request of ``client`` at ``now`` (epoch seconds); the window after it."""
        count, reset = self._windows.get(client, (0, 0))
        if now > reset:  # the key has expired, as in Redis
            count = 0
        count += 1
        reset = int(now + self.seconds)
        self._windows[client] = (count, reset)
        return RateLimitWindow(self.requests, self.requests - count, reset)


#: What :class:`RateLimitLayer` calls to count a request of a client (``None``: no limit).
RateCounter = Callable[[str], RateLimitWindow | None]


class RateLimitLayer:
    """ASGI middleware in front of the credential check: counts, refuses, adds the headers.

    ``count`` counts one request of a client (its IP) and returns the window
    (``None`` when there is no limit).
    Only requests that reach one of ``routes`` with a limited method count, as
    only those reach an Eve endpoint; the ``/_sandbox`` controls never do.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        count: RateCounter,
        routes: Sequence[BaseRoute],
    ) -> None:
        self.app = app
        self.count = count
        self.routes = [route for route in routes if not _is_control(route)]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI call."""
        if scope["type"] != "http" or not self._limited(scope):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        window = self.count(client[0] if client else "unknown")
        if window is None:
            await self.app(scope, receive, send)
            return
        if window.over:
            await ApiError(429).response()(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), *window.headers()]}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _limited(self, scope: Scope) -> bool:
        if scope["method"] not in LIMITED_METHODS:
            return False
        normalized = {**scope, "path": without_trailing_slash(scope["path"])}
        return any(route.matches(normalized)[0] is Match.FULL for route in self.routes)


def _is_control(route: BaseRoute) -> bool:
    return str(getattr(route, "path", "")).startswith(_CONTROL_PREFIX)
