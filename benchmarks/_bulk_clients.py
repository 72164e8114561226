"""The clients the bulk benchmark races: the SDK, raw httpx (tuned, default), raw aiohttp, requests.

Each concurrent client posts ``items`` registrations to ``base_url`` with at
most ``concurrency`` in flight and returns how many went through (every
answer checked with ``raise_for_status`` and parsed). The raw ones share one
driver (:func:`_drive`): ``concurrency`` worker tasks taking the next
registration from one generator, as a careful engineer would write it, so only
the HTTP client and its pool shape differ between them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from typing import Any

import httpx

from amili_async import AmiliClient
from benchmarks._common import registrations

__all__ = [
    "PATH",
    "TUNED_POOLS",
    "raw_aiohttp",
    "raw_httpx",
    "raw_httpx_gather_one_pool",
    "sdk",
    "sequential",
]

PATH = "/case--registrations"
#: Raw httpx, tuned: this many ``AsyncClient`` instances share the connections (see ``bench_bulk``).
TUNED_POOLS = 10


Post = Callable[[dict[str, Any]], Awaitable[object]]


async def _drive(
    post_for: Callable[[int], Post], payloads: Iterator[dict[str, Any]], workers: int
) -> int:
    """``workers`` tasks, worker ``n`` posting with ``post_for(n)`` until ``payloads`` runs out."""
    done = 0

    async def worker(post: Post) -> None:
        nonlocal done
        for payload in payloads:
            await post(payload)
            done += 1

    await asyncio.gather(*(worker(post_for(number)) for number in range(workers)))
    return done


def _httpx_post(http: httpx.AsyncClient) -> Post:
    async def post(payload: dict[str, Any]) -> object:
        response = await http.post(PATH, json=payload)
        response.raise_for_status()
        return response.json()

    return post


async def raw_httpx(
    base_url: str, api_key: str, items: int, prefix: str, concurrency: int, pools: int | None
) -> int:
    """Raw httpx: ``pools`` clients sharing ``concurrency`` connections (worker ``n`` on
    client ``n % pools``), or, with ``pools=None``, one client with httpx's default limits."""
    async with AsyncExitStack() as stack:
        if pools is None:
            shapes = [httpx.Limits()]
        else:
            per_pool = -(-concurrency // pools)
            shapes = [httpx.Limits(max_connections=per_pool, max_keepalive_connections=per_pool)]
            shapes *= pools
        clients = [
            await stack.enter_async_context(
                httpx.AsyncClient(
                    base_url=base_url, headers={"X-API-Key": api_key}, limits=limits, timeout=30.0
                )
            )
            for limits in shapes
        ]
        posts = [_httpx_post(http) for http in clients]
        return await _drive(
            lambda number: posts[number % len(posts)],
            registrations(items, prefix=prefix),
            concurrency,
        )


async def raw_httpx_gather_one_pool(
    base_url: str, api_key: str, items: int, prefix: str, concurrency: int
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

        answers = await asyncio.gather(
            *(register(payload) for payload in registrations(items, prefix=prefix))
        )
    return len(answers)


async def raw_aiohttp(
    base_url: str, api_key: str, items: int, prefix: str, concurrency: int
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

        return await _drive(lambda _: post, registrations(items, prefix=prefix), concurrency)


async def sdk(base_url: str, api_key: str, items: int, prefix: str, concurrency: int) -> int:
    """The SDK: ``create_many`` with its default backend; raises if any item failed."""
    created = 0
    errors: list[str] = []
    async with (
        AmiliClient(api_key=api_key, base_url=base_url) as client,
        client.case_registrations.create_many(
            registrations(items, prefix=prefix), concurrency=concurrency
        ) as outcomes,
    ):
        async for outcome in outcomes:
            if outcome.ok:
                created += 1
            elif len(errors) < 3:
                errors.append(repr(outcome.error))
    if errors:
        raise RuntimeError(f"create_many failed for some items: {errors}")
    return created


def sequential(base_url: str, api_key: str, items: int, prefix: str) -> int:
    """One plain ``requests.post`` after another (no session, no concurrency)."""
    import requests

    url = base_url + PATH
    headers = {"X-API-Key": api_key}
    done = 0
    for payload in registrations(items, prefix=prefix):
        response = requests.post(url, json=payload, headers=headers, timeout=30)
        response.raise_for_status()
        response.json()
        done += 1
    return done
