"""1. Client overhead: typed ``cases.get`` against raw ``httpx`` + ``json.loads``.

Both sides talk to the same in-memory transport, which answers the documented
case JSON at once, so the only difference is the client: the SDK's request
pipeline (rate limiter, token, retry wrapper, error classification) and
parsing into the attrs :class:`~amili_async.Case` (exact ``Decimal`` amounts,
aware datetimes, enums) against ``httpx.AsyncClient.get`` and ``json.loads``.

The two are timed in alternating blocks of sequential calls (raw, SDK, SDK,
raw, ...); the figure is the median of the per-round ratios, so slow drift of
the machine cancels out.
"""

from __future__ import annotations

import asyncio
import gc
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from amili_async import AmiliClient
from benchmarks._common import (
    BASE_URL,
    CASE_ID,
    BenchResult,
    Figure,
    StaticJSONTransport,
    Target,
    median,
)

__all__ = ["SIZES", "TARGET", "measure", "profile", "run"]

TARGET = Target("<=", 1.25, "x")
_KEY = "bench-key"


async def _block(call: Callable[[], Awaitable[object]], count: int) -> float:
    gc.collect()
    started = time.perf_counter()
    for _ in range(count):
        await call()
    return (time.perf_counter() - started) / count


async def _measure(rounds: int, calls: int, warmup: int) -> dict[str, Any]:
    transport = StaticJSONTransport()
    headers = {"X-API-Key": _KEY}
    path = f"/cases/{CASE_ID}"
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

        case = await client.cases.get(CASE_ID)
        if case.id != CASE_ID or case.local_added_interest_amount is None:
            raise RuntimeError("the SDK did not parse the documented case")
        await _block(raw_get, warmup)
        await _block(sdk_get, warmup)
        raw_times: list[float] = []
        sdk_times: list[float] = []
        for round_number in range(rounds):
            if round_number % 2 == 0:
                raw_times.append(await _block(raw_get, calls))
                sdk_times.append(await _block(sdk_get, calls))
            else:
                sdk_times.append(await _block(sdk_get, calls))
                raw_times.append(await _block(raw_get, calls))
    ratios = [sdk / raw for sdk, raw in zip(sdk_times, raw_times, strict=True)]
    return {
        "rounds": rounds,
        "calls_per_round": calls,
        "raw_us_per_call": median(raw_times) * 1e6,
        "sdk_us_per_call": median(sdk_times) * 1e6,
        "ratio_per_round": ratios,
        "overhead_ratio": median(ratios),
        "added_us_per_call": (median(sdk_times) - median(raw_times)) * 1e6,
    }


def measure(*, rounds: int = 21, calls: int = 2000, warmup: int = 500) -> dict[str, Any]:
    """Time both clients; returns the raw numbers (microseconds per call, ratios)."""
    return asyncio.run(_measure(rounds, calls, warmup))


#: Parameters of :func:`measure` for each size.
SIZES: dict[str, dict[str, int]] = {
    "full": {"rounds": 21, "calls": 2000, "warmup": 500},
    "quick": {"rounds": 11, "calls": 500, "warmup": 200},
    "smoke": {"rounds": 2, "calls": 20, "warmup": 5},
}


def run(size: str = "full") -> BenchResult:
    """The overhead figure at ``size`` (a key of :data:`SIZES`)."""
    started = time.perf_counter()
    details = measure(**SIZES[size])
    figure = Figure(
        key="overhead_ratio",
        label="Client overhead: cases.get vs raw httpx + json.loads",
        value=details["overhead_ratio"],
        unit="x",
        target=TARGET,
        note=(
            f"{details['sdk_us_per_call']:.0f} µs vs {details['raw_us_per_call']:.0f} µs "
            f"per call (+{details['added_us_per_call']:.0f} µs)"
        ),
    )
    return BenchResult(
        name="overhead",
        title="Client overhead",
        figures=[figure],
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
