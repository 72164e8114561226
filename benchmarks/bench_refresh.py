"""5. Token refresh herd: a burst of concurrent requests right after the token expired.

A :class:`~amili_async.RefreshingTokenProvider` gets its tokens from a
simulated token endpoint (``fetch_latency`` per call). The in-memory API
answers each request after ``latency`` and, like Amili, refuses an expired
token with 401. Each round sends ``concurrency`` requests at once twice:

* warm: the cached token is valid;
* herd: the token has just expired (the provider's clock is moved past its
  expiry, and the API's with it), so every request finds it stale at once.

Figures: how many times the token endpoint was called per herd (target:
exactly 1, single-flight), how many requests the API refused, and the added
latency (p50 and p99 of the herd run minus those of the warm run). Latency is
measured for each request from the moment the burst was submitted to its
result, so it includes queueing behind the rest of the burst, in both runs.
A burst of 1,000 is CPU-bound (about 150 ms of parsing and bookkeeping), so
the garbage collector is run before each burst and paused during it, in both
runs alike: otherwise a collection that lands in one of them moves its
percentiles by more than the refresh does. The figures are the medians over
``rounds`` warm/herd pairs.
"""

from __future__ import annotations

import asyncio
import gc
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio

from amili_async import AccessToken, AmiliClient, RefreshingTokenProvider
from benchmarks._common import (
    BASE_URL,
    CASE_ID,
    BenchResult,
    Figure,
    StaticJSONTransport,
    Target,
    median,
    percentile,
)

__all__ = ["SIZES", "TARGET", "measure", "run"]

TARGET = Target("==", 1, " call")
_LIFETIME = 3600.0


class _SteppableClock:
    """The real clock plus an offset that the benchmark moves to expire tokens."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.offset)

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    async def sleep(self, seconds: float) -> None:
        await anyio.sleep(max(0.0, seconds))

    def advance(self, seconds: float) -> None:
        self.offset += seconds


class _TokenEndpoint:
    """A token endpoint: each call takes ``latency`` and issues a token for ``_LIFETIME`` s."""

    def __init__(self, clock: _SteppableClock, latency: float) -> None:
        self._clock = clock
        self._latency = latency
        self._expiry: dict[str, datetime] = {}
        self.calls = 0

    async def fetch(self) -> AccessToken:
        self.calls += 1
        number = self.calls
        await anyio.sleep(self._latency)
        expires = self._clock.now() + timedelta(seconds=_LIFETIME)
        token = f"token-{number}"
        self._expiry[token] = expires
        return AccessToken(token, expires)

    def accepts(self, token: str | None) -> bool:
        expires = self._expiry.get(token or "")
        return expires is not None and self._clock.now() < expires


async def _burst(client: AmiliClient, concurrency: int) -> list[float]:
    latencies: list[float] = []
    gc.collect()
    gc.disable()  # the same for warm and herd bursts: a collection in one only is noise
    try:
        submitted = time.perf_counter()

        async def one() -> None:
            case = await client.cases.get(CASE_ID)
            if case.id != CASE_ID:
                raise RuntimeError("wrong case")
            latencies.append(time.perf_counter() - submitted)

        async with anyio.create_task_group() as group:
            for _ in range(concurrency):
                group.start_soon(one)
    finally:
        gc.enable()
    return latencies


async def _measure(
    concurrency: int, rounds: int, latency: float, fetch_latency: float
) -> dict[str, Any]:
    clock = _SteppableClock()
    endpoint = _TokenEndpoint(clock, fetch_latency)
    provider = RefreshingTokenProvider(endpoint.fetch, clock=clock)
    transport = StaticJSONTransport(accept_token=endpoint.accepts, latency=latency)
    warm_p50: list[float] = []
    warm_p99: list[float] = []
    herd_p50: list[float] = []
    herd_p99: list[float] = []
    calls_per_herd: list[int] = []
    rejected_per_herd: list[int] = []
    async with AmiliClient(
        token_provider=provider, transport=transport, base_url=BASE_URL
    ) as client:
        await client.cases.get(CASE_ID)  # the first token, and a warm connection pool
        for _ in range(rounds):
            warm = await _burst(client, concurrency)
            warm_p50.append(percentile(warm, 50))
            warm_p99.append(percentile(warm, 99))
            clock.advance(_LIFETIME + 1.0)  # the cached token has just expired
            calls_before, rejected_before = endpoint.calls, transport.rejected
            herd = await _burst(client, concurrency)
            calls_per_herd.append(endpoint.calls - calls_before)
            rejected_per_herd.append(transport.rejected - rejected_before)
            herd_p50.append(percentile(herd, 50))
            herd_p99.append(percentile(herd, 99))
    return {
        "concurrency": concurrency,
        "rounds": rounds,
        "api_latency_ms": latency * 1e3,
        "token_fetch_latency_ms": fetch_latency * 1e3,
        "refresh_calls_per_herd": calls_per_herd,
        "refresh_calls": max(calls_per_herd),
        "rejected_401_per_herd": rejected_per_herd,
        "warm_p50_ms": median(warm_p50) * 1e3,
        "warm_p99_ms": median(warm_p99) * 1e3,
        "herd_p50_ms": median(herd_p50) * 1e3,
        "herd_p99_ms": median(herd_p99) * 1e3,
        "added_p50_ms": (median(herd_p50) - median(warm_p50)) * 1e3,
        "added_p99_ms": (median(herd_p99) - median(warm_p99)) * 1e3,
    }


def measure(
    *,
    concurrency: int = 1000,
    rounds: int = 5,
    latency: float = 0.005,
    fetch_latency: float = 0.02,
) -> dict[str, Any]:
    """Run the warm and herd bursts; returns the raw numbers (milliseconds, counts)."""
    return asyncio.run(_measure(concurrency, rounds, latency, fetch_latency))


def figures(details: dict[str, Any]) -> list[Figure]:
    """The refresh figures from :func:`measure`'s numbers."""
    fetch = details["token_fetch_latency_ms"]
    return [
        Figure(
            key="refresh_calls",
            label=f"Refresh herd: token fetches per {details['concurrency']} concurrent requests",
            value=details["refresh_calls"],
            target=TARGET,
            note=(
                f"per round {details['refresh_calls_per_herd']}, "
                f"401s {sum(details['rejected_401_per_herd'])}"
            ),
        ),
        Figure(
            key="refresh_added_p50_ms",
            label="Refresh herd: added latency p50",
            value=details["added_p50_ms"],
            unit=" ms",
            note=(
                f"{details['herd_p50_ms']:.1f} vs {details['warm_p50_ms']:.1f} ms warm; "
                f"token fetch takes {fetch:.0f} ms"
            ),
        ),
        Figure(
            key="refresh_added_p99_ms",
            label="Refresh herd: added latency p99",
            value=details["added_p99_ms"],
            unit=" ms",
            note=f"{details['herd_p99_ms']:.1f} vs {details['warm_p99_ms']:.1f} ms warm",
        ),
    ]


#: Parameters of :func:`measure` for each size.
SIZES: dict[str, dict[str, Any]] = {
    "full": {"concurrency": 1000, "rounds": 5},
    "quick": {"concurrency": 1000, "rounds": 2},
    "smoke": {"concurrency": 50, "rounds": 1, "latency": 0.001, "fetch_latency": 0.005},
}


def run(size: str = "full") -> BenchResult:
    """The refresh figures at ``size`` (the burst is 1,000 requests at full and quick size)."""
    started = time.perf_counter()
    details = measure(**SIZES[size])
    return BenchResult(
        name="refresh",
        title="Token refresh herd",
        figures=figures(details),
        details=details,
        seconds=time.perf_counter() - started,
    )
