"""The client's connections, spread over several small httpx connection pools.

:class:`ShardedPoolTransport` is an httpx transport (the ``handle_async_request``
interface): the client installs it in place of httpx's default one, unless the
caller passed a ``transport=`` or a proxy is configured (httpx alone applies it).
"""

from __future__ import annotations

import urllib.request
from collections.abc import AsyncIterator, Callable

import httpx

__all__ = ["POOL_SHARD_SIZE", "ShardedPoolTransport", "environment_proxies"]

#: At most this many connections share one httpx pool (see :class:`ShardedPoolTransport`):
#: in the bulk benchmark, pools of 5 cost 0.07-0.1 ms less client CPU per request than
#: pools of 10 (the same as for raw httpx in ``bench_bulk --sweep``).
POOL_SHARD_SIZE = 5


def _split(total: int | None, parts: int) -> list[int | None]:
    if total is None:
        return [None] * parts
    return [total // parts + (1 if index < total % parts else 0) for index in range(parts)]


def environment_proxies() -> bool:
    """Whether a proxy is configured the way httpx reads it (``HTTP(S)_PROXY``, ``ALL_PROXY``)."""
    configured = urllib.request.getproxies()
    return any(configured.get(scheme) for scheme in ("http", "https", "all"))


class _ReleasingStream(httpx.AsyncByteStream):
    """A response body that tells its pool when it is closed (the connection is free then)."""

    def __init__(self, inner: httpx.AsyncByteStream, release: Callable[[], None]) -> None:
        self._inner = inner
        self._release: Callable[[], None] | None = release

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            yield chunk

    async def aclose(self) -> None:
        release, self._release = self._release, None
        try:
            await self._inner.aclose()
        finally:
            if release is not None:
                release()


class ShardedPoolTransport(httpx.AsyncBaseTransport):
    """httpx's default transport, as several small connection pools instead of one large one.

    httpcore's pool looks at every one of its connections (with a ``poll()``
    on each idle socket) whenever a request starts or ends, and under load it
    does so several times per request: with 50 requests in flight on one pool
    that is about 3 ms of CPU per request, more than everything else the client
    does, and it caps a whole process at a few hundred requests per second.
    The same connections spread over pools of at most :data:`POOL_SHARD_SIZE`
    keep every scan short.

    Each request goes to the pool with the fewest requests in flight.
    ``limits`` is divided between the pools, so the totals are what was asked
    for. Every pool uses one SSL context, made as httpx makes its own.
    """

    def __init__(self, limits: httpx.Limits, *, shard_size: int = POOL_SHARD_SIZE) -> None:
        total = limits.max_connections
        count = 1 if total is None else max(1, -(-total // shard_size))
        self._pool_limits = tuple(
            httpx.Limits(
                max_connections=connections,
                max_keepalive_connections=keepalive,
                keepalive_expiry=limits.keepalive_expiry,
            )
            for connections, keepalive in zip(
                _split(total, count), _split(limits.max_keepalive_connections, count), strict=True
            )
        )
        ssl_context = httpx.create_ssl_context()
        self._pools = [
            httpx.AsyncHTTPTransport(verify=ssl_context, limits=pool_limits)
            for pool_limits in self._pool_limits
        ]
        self._in_flight = [0] * count

    @property
    def pool_count(self) -> int:
        """How many connection pools the connections are spread over."""
        return len(self._pools)

    @property
    def pool_limits(self) -> tuple[httpx.Limits, ...]:
        """The limits of each pool; together they add up to the limits asked for."""
        return self._pool_limits

    @property
    def in_flight(self) -> int:
        """How many requests are in flight: sent, and their answer's body not yet closed."""
        return sum(self._in_flight)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through the least busy pool."""
        in_flight = self._in_flight
        index = in_flight.index(min(in_flight))
        in_flight[index] += 1

        def release() -> None:
            in_flight[index] -= 1

        try:
            response = await self._pools[index].handle_async_request(request)
        except BaseException:
            release()
            raise
        if isinstance(response.stream, httpx.AsyncByteStream):
            response.stream = _ReleasingStream(response.stream, release)
        else:  # pragma: no cover - httpx's transport always answers with an async stream
            release()
        return response

    async def aclose(self) -> None:
        """Close every pool."""
        for pool in self._pools:
            await pool.aclose()

    def __repr__(self) -> str:
        return f"ShardedPoolTransport(pools={len(self._pools)}, in_flight={self.in_flight})"
