"""1. Client overhead: typed ``cases.get`` against raw ``httpx`` + ``json.loads``.

Both sides talk to the same in-memory transport, which answers the documented
case JSON at once, so the only difference is the client: the SDK's request
pipeline (rate limiter, token, retry wrapper, error classification) and
parsing into the attrs :class:`~amili_async.Case` (exact ``Decimal`` amounts,
aware datetimes, enums) against ``httpx.AsyncClient.get`` and ``json.loads``.

The SDK hands its requests straight to the transport, past
``httpx.AsyncClient.send`` (URL merge, header merge, cookie jar, auth flow,
redirect loop, log line), which the raw side pays: so the ratio can fall
below 1. The transport alone (``handle_async_request`` + ``aread`` +
``json.loads``, no client at all) is timed too (``transport_us_per_call``):
the SDK's cost above that floor is its whole pipeline and typed parse.

openai-python (when installed, on httpx: see ``_openai_peer``) is timed the
same way on the same transport, as a peer: ``overhead_ratio_openai``.

The clients are timed in blocks of sequential calls, the order rotating every
round (raw, SDK, openai; SDK, openai, raw; ...); each figure is the median of
the per-round ratios to raw httpx, so slow drift of the machine cancels out.
"""

from __future__ import annotations

import asyncio
import gc
import json
import time
from collections.abc import Awaitable, Callable
from functools import partial
from importlib.metadata import version
from typing import Any

import httpx

from amili_async import AmiliClient
from benchmarks import _openai_peer
from benchmarks._common import (
    BASE_URL,
    CASE_ID,
    BenchResult,
    Figure,
    Peer,
    StaticJSONTransport,
    Target,
    median,
)
from benchmarks._openai_peer import OpenAIPeer

__all__ = ["SIZES", "TARGET", "figures", "measure", "profile", "run"]

#: Issue 13: a typed call costs at most 10% more than raw httpx + json.loads.
TARGET = Target("<=", 1.10, "x")
_KEY = "bench-key"


async def _block(call: Callable[[], Awaitable[object]], count: int) -> float:
    gc.collect()
    started = time.perf_counter()
    for _ in range(count):
        await call()
    return (time.perf_counter() - started) / count


async def _timed_rounds(
    clients: dict[str, Callable[[], Awaitable[object]]], rounds: int, calls: int, warmup: int
) -> dict[str, list[float]]:
    """Seconds per call of each client per round, the order rotating every round."""
    for call in clients.values():
        await _block(call, warmup)
    names = list(clients)
    times: dict[str, list[float]] = {name: [] for name in names}
    for round_number in range(rounds):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            times[name].append(await _block(clients[name], calls))
    return times


async def _measure(rounds: int, calls: int, warmup: int, openai: bool) -> dict[str, Any]:
    transport = StaticJSONTransport()
    headers = {"X-API-Key": _KEY}
    path = f"/cases/{CASE_ID}"
    peer = OpenAIPeer(transport, _KEY) if openai else None
    try:
        async with (
            httpx.AsyncClient(transport=transport, base_url=BASE_URL) as raw,
            AmiliClient(api_key=_KEY, transport=transport, base_url=BASE_URL) as client,
        ):

            async def raw_get() -> object:
                response = await raw.get(path, headers=headers)
                if response.status_code != 200:
                    raise RuntimeError(f"unexpected {response.status_code}")
                return json.loads(response.content)

            async def sdk_get() -> object:
                return await client.cases.get(CASE_ID)

            url = httpx.URL(BASE_URL + path)

            async def transport_get() -> object:
                # The floor: the transport alone, as the SDK now sends (no AsyncClient).
                request = httpx.Request("GET", url, headers=headers)
                response = await transport.handle_async_request(request)
                return json.loads(await response.aread())

            case = await client.cases.get(CASE_ID)
            if case.id != CASE_ID or case.local_added_interest_amount is None:
                raise RuntimeError("the SDK did not parse the documented case")
            clients = {"raw": raw_get, "sdk": sdk_get, "transport": transport_get}
            if peer is not None:
                clients["openai"] = partial(peer.get, path)
            times = await _timed_rounds(clients, rounds, calls, warmup)
    finally:
        if peer is not None:
            await peer.aclose()
    return _summary(times, rounds, calls)


def _summary(times: dict[str, list[float]], rounds: int, calls: int) -> dict[str, Any]:
    raw = times["raw"]
    ratios = [sdk / base for sdk, base in zip(times["sdk"], raw, strict=True)]
    details: dict[str, Any] = {
        "rounds": rounds,
        "calls_per_round": calls,
        "raw_us_per_call": median(raw) * 1e6,
        "sdk_us_per_call": median(times["sdk"]) * 1e6,
        "ratio_per_round": ratios,
        "overhead_ratio": median(ratios),
        "added_us_per_call": (median(times["sdk"]) - median(raw)) * 1e6,
        "transport_us_per_call": median(times["transport"]) * 1e6,
    }
    if "openai" in times:
        openai_ratios = [peer / base for peer, base in zip(times["openai"], raw, strict=True)]
        details["openai_us_per_call"] = median(times["openai"]) * 1e6
        details["openai_ratio_per_round"] = openai_ratios
        details["overhead_ratio_openai"] = median(openai_ratios)
        details["openai_version"] = version("openai")
    return details


def measure(
    *, rounds: int = 21, calls: int = 2000, warmup: int = 500, openai: bool | None = None
) -> dict[str, Any]:
    """Time the clients; returns the raw numbers (microseconds per call, ratios).

    ``openai`` (default: whenever it can run here) adds openai-python as a peer;
    ``details["openai_missing"]`` says why when it does not.
    """
    missing = _openai_peer.available()
    if openai is None:
        openai = missing is None
    details = asyncio.run(_measure(rounds, calls, warmup, openai))
    if not openai:
        details["openai_missing"] = missing or "left out on request"
    return details


#: Parameters of :func:`measure` for each size.
SIZES: dict[str, dict[str, int]] = {
    "full": {"rounds": 21, "calls": 2000, "warmup": 500},
    "quick": {"rounds": 7, "calls": 200, "warmup": 100},
    "smoke": {"rounds": 2, "calls": 20, "warmup": 5},
}


def figures(details: dict[str, Any]) -> list[Figure]:
    """The overhead figure, with openai-python beside it when it was measured."""
    peers: list[Peer] = []
    note = (
        f"{details['sdk_us_per_call']:.0f} µs vs {details['raw_us_per_call']:.0f} µs "
        f"per call ({details['added_us_per_call']:+.0f} µs; the transport alone "
        f"{details['transport_us_per_call']:.0f} µs: the SDK skips AsyncClient.send)"
    )
    if "overhead_ratio_openai" in details:
        peers.append(
            Peer(
                key="overhead_ratio_openai",
                label=f"openai-python {details['openai_version']}",
                value=details["overhead_ratio_openai"],
                unit="x",
            )
        )
        note += f"; openai-python {details['openai_us_per_call']:.0f} µs"
    else:
        note += f"; openai-python left out: {details['openai_missing']}"
    figure = Figure(
        key="overhead_ratio",
        label="Client overhead: cases.get vs raw httpx + json.loads",
        value=details["overhead_ratio"],
        unit="x",
        target=TARGET,
        note=note,
        peers=peers,
    )
    return [figure]


def run(size: str = "full") -> BenchResult:
    """The overhead figure at ``size`` (a key of :data:`SIZES`)."""
    started = time.perf_counter()
    details = measure(**SIZES[size])
    return BenchResult(
        name="overhead",
        title="Client overhead",
        figures=figures(details),
        details=details,
        seconds=time.perf_counter() - started,
    )


def profile(calls: int = 5000) -> str:
    """Profile the SDK side (pyinstrument when installed, else cProfile); returns the report."""

    async def loop() -> None:
        transport = StaticJSONTransport()
        async with AmiliClient(api_key=_KEY, transport=transport, base_url=BASE_URL) as client:
            for _ in range(calls):
                await client.cases.get(CASE_ID)

    try:
        from pyinstrument import Profiler
    except ImportError:
        import cProfile
        import io
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        asyncio.run(loop())
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
        return out.getvalue()
    sampler = Profiler(interval=0.0001, async_mode="enabled")
    sampler.start()
    asyncio.run(loop())
    sampler.stop()
    return str(sampler.output_text(unicode=True, color=False, show_all=False))
