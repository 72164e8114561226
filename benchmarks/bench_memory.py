"""3. Memory: registrations streamed through ``create_many``, peak RSS at two sizes.

Each size runs in a fresh Python process (``python -m benchmarks.bench_memory
--items N``), so the two peaks are independent. The input is a generator (no
list of 100,000 rows in memory), the outcomes are counted and dropped as they
come, and the sandbox runs in process with ``keep_state=False`` (it answers
every registration but stores nothing) and a bounded request log: what it
would store is the server's memory, not the client's.

The figure is the process's peak resident set size (``VmHWM`` on Linux): the
interpreter, the SDK, httpx, Starlette and the sandbox included. The peak
minus the RSS just before the stream started (after one warm-up
registration) is reported too: that is what streaming itself costs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import time
from collections import Counter
from typing import Any

from benchmarks._common import (
    BASE_URL,
    REPO_ROOT,
    BenchResult,
    Figure,
    Target,
    registration,
    registrations,
)

__all__ = ["SIZES", "measure_in_subprocess", "run"]

RSS_TARGET = Target("<=", 150.0, " MB")
FLAT_TARGET = Target("<=", 30.0, " MB")
CONCURRENCY = 50


def _peak_rss_mb() -> float:
    # Linux: the high-water mark of this process's own address space. Not
    # ``ru_maxrss``, which survives fork and exec and so starts at the size of
    # the parent (the benchmark runner) when this process was started.
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # macOS reports bytes, other systems kilobytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _current_rss_mb() -> float:
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil is in the bench extra
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)
    return float(psutil.Process().memory_info().rss) / (1024 * 1024)


async def _stream(items: int, concurrency: int) -> dict[str, Any]:
    from amili_async import AmiliClient
    from amili_async.sandbox import Sandbox

    sandbox = Sandbox(keep_state=False, request_log_limit=100)
    async with AmiliClient(
        api_key=sandbox.api_key, transport=sandbox.transport(), base_url=BASE_URL
    ) as client:
        await client.case_registrations.create(registration(10**8, prefix="WARMUP"))
        baseline = _current_rss_mb()
        counts: Counter[str] = Counter()
        started = time.perf_counter()
        async with client.case_registrations.create_many(
            registrations(items, prefix="M"), concurrency=concurrency
        ) as outcomes:
            async for outcome in outcomes:
                counts[outcome.status.value] += 1
        seconds = time.perf_counter() - started
    return {
        "items": items,
        "concurrency": concurrency,
        "outcomes": dict(counts),
        "baseline_rss_mb": baseline,
        "final_rss_mb": _current_rss_mb(),
        "peak_rss_mb": _peak_rss_mb(),
        "seconds": seconds,
        "items_per_second": items / seconds if seconds else float("nan"),
    }


def measure_in_subprocess(items: int, concurrency: int = CONCURRENCY) -> dict[str, Any]:
    """Stream ``items`` registrations in a fresh interpreter; returns its numbers."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.bench_memory",
            "--items",
            str(items),
            "--concurrency",
            str(concurrency),
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"memory run of {items} items failed ({completed.returncode}):\n{completed.stderr}"
        )
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def figures(small: dict[str, Any], large: dict[str, Any]) -> list[Figure]:
    """The memory figures from two subprocess runs."""
    growth = large["peak_rss_mb"] - small["peak_rss_mb"]
    return [
        Figure(
            key="rss_mb_small",
            label=f"Memory: peak RSS, {small['items']:,} registrations streamed",
            value=small["peak_rss_mb"],
            unit=" MB",
            target=RSS_TARGET,
            note=f"{small['peak_rss_mb'] - small['baseline_rss_mb']:+.1f} MB over the start",
        ),
        Figure(
            key="rss_mb_large",
            label=f"Memory: peak RSS, {large['items']:,} registrations streamed",
            value=large["peak_rss_mb"],
            unit=" MB",
            target=RSS_TARGET,
            note=(
                f"{large['peak_rss_mb'] - large['baseline_rss_mb']:+.1f} MB over the start; "
                f"{large['items_per_second']:.0f} items/s"
            ),
        ),
        Figure(
            key="rss_mb_growth",
            label="Memory: growth from the small to the large run",
            value=growth,
            unit=" MB",
            target=FLAT_TARGET,
        ),
    ]


#: Items streamed in the small and the large run, for each size.
SIZES: dict[str, tuple[int, int]] = {
    "full": (10_000, 100_000),
    "quick": (500, 5_000),
    "smoke": (200, 2_000),
}


def run(size: str = "full") -> BenchResult:
    """Peak RSS at 10,000 and 100,000 items (500 and 5,000 for ``quick``)."""
    started = time.perf_counter()
    small_items, large_items = SIZES[size]
    small = measure_in_subprocess(small_items)
    large = measure_in_subprocess(large_items)
    return BenchResult(
        name="memory",
        title="Memory, streaming create_many",
        figures=figures(small, large),
        details={"small": small, "large": large},
        seconds=time.perf_counter() - started,
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point of the subprocess: stream, then print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--items", type=int, required=True)
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY)
    args = parser.parse_args(argv)
    result = asyncio.run(_stream(args.items, args.concurrency))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
