"""4. Rate limiter: a client configured for 200 requests/s, driven flat out for 10 s.

The client (real :class:`~amili_async.SystemClock`) talks to an in-memory
transport that notes when each request arrives; ``workers`` tasks send
``cases.get`` back to back for ``duration`` seconds, far more than the limit
allows, so the limiter alone sets the pace.

Interpretation of the targets (a token bucket of ``burst`` tokens refilled at
``rate`` per second, the bucket full at the start):

* achieved rate = (requests - burst) / (last arrival - first arrival): the
  initial burst is allowed on top of the rate, so it is taken out; target
  within 2 % of the configured rate;
* the busiest one-second window (sliding, half-open ``[t, t + 1 s)``, over
  every arrival) holds at most rate + burst requests, which is what a token
  bucket guarantees for any one-second span; target: never above that.
"""

from __future__ import annotations

import asyncio
import bisect
import time
from typing import Any

import anyio

from amili_async import AmiliClient, RateLimit, SystemClock
from benchmarks._common import (
    BASE_URL,
    CASE_ID,
    BenchResult,
    Figure,
    StaticJSONTransport,
    Target,
)

__all__ = ["SIZES", "measure", "run"]

RATE = 200.0
BURST = 10
RATE_TARGET = Target("<=", 2.0, " %")


def busiest_window(arrivals: list[float], width: float = 1.0) -> int:
    """The most arrivals in any half-open window ``[t, t + width)`` (``arrivals`` sorted)."""
    best = 0
    for index, start in enumerate(arrivals):
        end = bisect.bisect_left(arrivals, start + width, lo=index)
        best = max(best, end - index)
    return best


async def _measure(rate: float, burst: int, duration: float, workers: int) -> dict[str, Any]:
    clock = SystemClock()
    transport = StaticJSONTransport(record=True, clock=clock.monotonic)
    limit = RateLimit(requests_per_second=rate, burst=burst, max_concurrency=100)
    async with AmiliClient(
        api_key="bench-key",
        transport=transport,
        base_url=BASE_URL,
        rate_limit=limit,
        clock=clock,
    ) as client:

        async def worker() -> None:
            while True:
                await client.cases.get(CASE_ID)

        started = clock.monotonic()
        with anyio.move_on_after(duration):
            async with anyio.create_task_group() as group:
                for _ in range(workers):
                    group.start_soon(worker)
        stopped = clock.monotonic()
    arrivals = sorted(transport.arrivals)
    count = len(arrivals)
    span = arrivals[-1] - arrivals[0] if count > 1 else float("nan")
    achieved = (count - burst) / span if count > burst else float("nan")
    busiest = busiest_window(arrivals)
    steady = [t for t in arrivals if t >= arrivals[0] + 1.0]
    return {
        "configured_rate": rate,
        "burst": burst,
        "duration_s": stopped - started,
        "workers": workers,
        "requests": count,
        "achieved_rate": achieved,
        "rate_error_pct": abs(achieved - rate) / rate * 100.0,
        "busiest_1s_window": busiest,
        "busiest_1s_window_after_first_second": busiest_window(steady),
        "window_limit": rate + burst,
        "window_ok": busiest <= rate + burst,
    }


def measure(
    *, rate: float = RATE, burst: int = BURST, duration: float = 10.0, workers: int = 50
) -> dict[str, Any]:
    """Drive the limiter for ``duration`` seconds; returns the raw numbers."""
    return asyncio.run(_measure(rate, burst, duration, workers))


def figures(details: dict[str, Any]) -> list[Figure]:
    """The rate-limit figures from :func:`measure`'s numbers."""
    rate, burst = details["configured_rate"], details["burst"]
    return [
        Figure(
            key="rate_error_pct",
            label=f"Rate limiter: achieved vs {rate:g}/s over {details['duration_s']:.0f} s",
            value=details["rate_error_pct"],
            unit=" %",
            target=RATE_TARGET,
            note=f"{details['achieved_rate']:.2f}/s, {details['requests']} requests",
        ),
        Figure(
            key="rate_busiest_1s_window",
            label="Rate limiter: busiest sliding 1 s window",
            value=details["busiest_1s_window"],
            target=Target("<=", rate + burst),
            note=(
                f"rate {rate:g} + burst {burst}; after the first second "
                f"{details['busiest_1s_window_after_first_second']}"
            ),
        ),
    ]


#: Parameters of :func:`measure` for each size.
SIZES: dict[str, dict[str, Any]] = {
    "full": {"duration": 10.0},
    "quick": {"duration": 2.0},
    "smoke": {"duration": 0.5},
}


def run(size: str = "full") -> BenchResult:
    """The rate-limit figures at ``size``: a 10 s window, 2 s for ``quick``."""
    started = time.perf_counter()
    details = measure(**SIZES[size])
    return BenchResult(
        name="ratelimit",
        title="Rate limiter",
        figures=figures(details),
        details=details,
        seconds=time.perf_counter() - started,
    )
