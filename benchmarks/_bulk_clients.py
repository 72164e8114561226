"""The clients the bulk benchmark races: the SDK, raw httpx (tuned, default), raw aiohttp, requests.

Each concurrent client posts ``items`` registrations to ``base_url`` with at
most ``concurrency`` in flight and returns how many went through (every
answer checked with ``raise_for_status`` and parsed). Each marks on a
:class:`Span` when its clients are open and when the last answer is parsed:
only that is timed. Opening a client is a one-off an application pays once,
and a costly one here (every ``httpx.AsyncClient`` makes its own SSL context,
about 28 ms of CPU: 10 of them would add 0.28 ms to each of 1,000
registrations), so it would measure setup, not requests. The raw ones share one
driver (:func:`_drive`): ``concurrency`` worker tasks taking the next
registration from one generator, as a careful engineer would write it, so only
the HTTP client and its pool shape differ between them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from typing import Any

import httpx

from amili_async import AmiliClient, DefaultAioHttpClient
from benchmarks._common import registrations

__all__ = [
    "PATH",
    "TUNED_POOLS",
    "Span",
    "raw_aiohttp",
    "raw_httpx",
    "raw_httpx_gather_one_pool",
    "sdk",
    "sequential",
]

PATH = "/case--registrations"
#: Raw httpx, tuned: this many ``AsyncClient`` instances share the connections (see ``bench_bulk``).
TUNED_POOLS = 10


class Span:
    """The client CPU time and wall time between :meth:`start` and :meth:`stop`."""

    def __init__(self) -> None:
        self._started = (0.0, 0.0)
        self.cpu_seconds = 0.0
        self.seconds = 0.0

    def start(self) -> None:
        """The clients are open: the timed part begins."""
        self._started = (time.process_time(), time.perf_counter())

    def stop(self) -> None:
        """The last answer is parsed: the timed part ends."""
        self.cpu_seconds = time.process_time() - self._started[0]
        self.seconds = time.perf_counter() - self._started[1]


Post = Callable[[dict[str, Any]], Awaitable[object]]


async def _drive(
    post_for: Callable[[int], Post], payloads: Iterator[dict[str, Any]], workers: int, span: Span
) -> int:
    """``workers`` tasks, worker ``n`` posting with ``post_for(n)`` until ``payloads`` runs out."""
    done = 0

    async def worker(post: Post) -> None:
        nonlocal done
        for payload in payloads:
            await post(payload)
            done += 1

    span.start()
    await asyncio.gather(*(worker(post_for(number)) for number in range(workers)))
    span.stop()
    return done


def _httpx_post(http: httpx.AsyncClient) -> Post:
    async def post(payload: dict[str, Any]) -> object:
        response = await http.post(PATH, json=payload)
        response.raise_for_status()
        return response.json()

    return post


async def raw_httpx(
    base_url: str,
    api_key: str,
    items: int,
    prefix: str,
    concurrency: int,
    span: Span,
    pools: int | None,
) -> int:
    """Raw httpx: ``pools`` clients sharing ``concurrency`` connections (worker ``n`` on
    client ``n % pools``), or, with ``pools=None``, one client with httpx's default limits."""
    async with AsyncExitStack() as stack:
        # No ``limits=`` at all for the default: ``httpx.AsyncClient()`` then
        # uses 100 connections, 20 kept alive (``httpx.Limits()`` is unlimited).
        shapes: list[dict[str, Any]] = [{}]
        if pools is not None:
            per_pool = -(-concurrency // pools)
            limits = httpx.Limits(max_connections=per_pool, max_keepalive_connections=per_pool)
            shapes = [{"limits": limits}] * pools
        clients = [
            await stack.enter_async_context(
                httpx.AsyncClient(
                    base_url=base_url, headers={"X-API-Key": api_key}, timeout=30.0, **shape
                )
            )
            for shape in shapes
        ]
        posts = [_httpx_post(http) for http in clients]
        return await _drive(
            lambda number: posts[number % len(posts)],
            registrations(items, prefix=prefix),
            concurrency,
            span,
        )


async def raw_httpx_gather_one_pool(
    base_url: str, api_key: str, items: int, prefix: str, concurrency: int, span: Span
) -> int:
    """The old baseline: ``gather`` over every item under a semaphore, one pool."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=base_url, headers={"X-API-Key": api_key}, limits=limits, timeout=30.0
    ) as http:
        semaphore = asyncio.Semaphore(concurrency)

        post = _httpx_post(http)

        async def register(payload: dict[str, Any]) -> object:
            async with semaphore:
                return await post(payload)

        span.start()
        answers = await asyncio.gather(
            *(register(payload) for payload in registrations(items, prefix=prefix))
        )
        span.stop()
    return len(answers)


async def raw_aiohttp(
    base_url: str, api_key: str, items: int, prefix: str, concurrency: int, span: Span
) -> int:
    """Raw aiohttp: one ``ClientSession`` limited to ``concurrency`` connections."""
    import aiohttp

    url = base_url + PATH
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(
        headers={"X-API-Key": api_key}, connector=connector
    ) as session:

        async def post(payload: dict[str, Any]) -> object:
            async with session.post(url, json=payload) as response:
                response.raise_for_status()
                return await response.json()

        return await _drive(lambda _: post, registrations(items, prefix=prefix), concurrency, span)


async def sdk(
    base_url: str,
    api_key: str,
    items: int,
    prefix: str,
    concurrency: int,
    span: Span,
    *,
    aiohttp: bool = False,
) -> int:
    """The SDK: ``create_many`` with its default backend, or with ``aiohttp``
    (``http_client=DefaultAioHttpClient()``); raises if any item failed."""
    created = 0
    errors: list[str] = []
    http_client = DefaultAioHttpClient() if aiohttp else None
    async with AmiliClient(api_key=api_key, base_url=base_url, http_client=http_client) as client:
        span.start()
        async with client.case_registrations.create_many(
            registrations(items, prefix=prefix), concurrency=concurrency
        ) as outcomes:
            async for outcome in outcomes:
                if outcome.ok:
                    created += 1
                elif len(errors) < 3:
                    errors.append(repr(outcome.error))
        span.stop()
    if errors:
        raise RuntimeError(f"create_many failed for some items: {errors}")
    return created


def sequential(base_url: str, api_key: str, items: int, prefix: str, span: Span) -> int:
    """One plain ``requests.post`` after another (no session, no concurrency)."""
    import requests

    url = base_url + PATH
    headers = {"X-API-Key": api_key}
    done = 0
    span.start()
    for payload in registrations(items, prefix=prefix):
        response = requests.post(url, json=payload, headers=headers, timeout=30)
        response.raise_for_status()
        response.json()
        done += 1
    span.stop()
    return done
