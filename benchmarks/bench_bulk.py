"""2. Bulk registration: client CPU per registration, and wall time, against the served sandbox.

The sandbox runs under uvicorn in a separate process (its own event loop and
GIL; uvloop and the httptools parser when installed, as the ``bench`` extra
does: the server was the bottleneck without them) on 127.0.0.1, with a
latency fault adding ``latency`` (20 ms) to every request. Each client
registers the same number of (distinct) registrations, ``concurrency`` (50)
at a time:

* the SDK: ``client.case_registrations.create_many(items, concurrency=50)``,
  which also validates every item, parses each answer into a typed model,
  guards against duplicates and reconciles lost answers;
* raw httpx, tuned: what a careful engineer writes without the SDK. 50 worker
  tasks post one registration after another (``raise_for_status`` and
  ``.json()`` each), spread over 10 ``httpx.AsyncClient`` instances of 5
  connections each (worker ``n`` on client ``n % 10``). httpcore scans every
  connection of a pool several times per request, so one pool of 50 costs
  several times the CPU; ``python -m benchmarks.bench_bulk --sweep`` measures
  the shapes (1x50, 2x25, 5x10, 10x5, 25x2, 50x1, default limits, and the old
  ``gather`` + semaphore over one pool of 50). In three sweeps of 500
  registrations on a shared 2-core machine (load average about 1), client CPU
  per registration: 10x5 0.63-0.74 ms, 25x2 0.67-0.78, 50x1 0.64-0.75, 5x10
  (the SDK's own sharding) 0.74-0.80, 2x25 1.9-2.2, 1x50 5.3-5.4, ``gather``
  over one pool of 50 5.5-5.7. The cheapest, 10x5, is the baseline;
* raw httpx, default limits: the same 50 workers on one ``httpx.AsyncClient()``
  with httpx's default limits (100 connections, 20 kept alive; 1.1 ms in the
  last of those sweeps);
* raw aiohttp: the same 50 workers on one ``aiohttp.ClientSession`` limited to
  50 connections;
* sequential: a plain ``requests.post`` per registration, one after the
  other, as in Amili's getting-started loop (no session, no concurrency). It
  is round-trip bound and linear in the count, so ``sequential_items`` of them
  are timed and the time scaled to ``items`` (all of them in the full run).

The headline is the client's CPU time per registration (``time.process_time``
of this process; the server's CPU is in its own process): on a shared machine
wall time swings with the neighbours, CPU time much less. Wall time is
reported beside it. Both are taken from the moment a client's connection
pools are open to the last answer parsed (see ``_bulk_clients.Span``): opening
an ``httpx.AsyncClient`` costs about 28 ms of CPU (its SSL context), a one-off
an application pays once, which would otherwise weigh on the clients that
open several. The concurrent clients run ``repeats`` times each,
in an order rotating every repeat, and the median of each is used. The server
process's CPU time is sampled around every run too: a server busy for most of
the wall time is the bottleneck, and the wall times then measure the sandbox.

The old baseline ("raw httpx + gather" under a semaphore of 50, one pool of 50)
is left out: it measures httpcore's pool bookkeeping (5.5-5.7 ms of CPU per
request in those sweeps), a setup nobody should use; ``--sweep`` measures it.

The sandbox app is served by plain uvicorn in that child process (see
``_sandbox_server``); ``--sandbox-server`` there serves it through
:class:`~amili_async.sandbox.SandboxServer` instead, which gives the same
figures (it sets ``TCP_NODELAY`` on accepted connections, as uvicorn does).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from functools import partial
from types import TracebackType
from typing import IO, Any

import httpx

from benchmarks import _bulk_clients as clients
from benchmarks._common import REPO_ROOT, BenchResult, Figure, Peer, Target, median

__all__ = ["CLIENTS", "SIZES", "ServedSandbox", "figures", "measure", "run", "sweep"]

SPEEDUP_TARGET = Target(">=", 40.0, "x")
#: Issue 13: the SDK's client CPU per registration at most 1.1x tuned raw httpx's,
#: and on the aiohttp backend at most 2.2x raw aiohttp's.
CPU_RATIO_LIMIT = 1.1
AIOHTTP_CPU_RATIO_LIMIT = 2.2
LATENCY = 0.020
CONCURRENCY = 50
SDK = "amili-async"
SDK_AIOHTTP = "amili-async on aiohttp"
RAW_TUNED = "raw httpx tuned"
RAW_DEFAULT = "raw httpx default"
RAW_AIOHTTP = "raw aiohttp"
SEQUENTIAL = "sequential requests"
#: Server CPU busy for more than this share of a run's wall time: it is the bottleneck.
BOTTLENECK_SHARE = 0.85


class ServedSandbox:
    """The sandbox served by uvicorn in a child process (a context manager)."""

    def __init__(
        self, latency: float, *, discard: bool = False, sandbox_server: bool = False
    ) -> None:
        self._latency = latency
        self._discard = discard
        self._sandbox_server = sandbox_server
        self._process: subprocess.Popen[str] | None = None
        self._stderr: IO[str] | None = None
        self.base_url = ""
        self.api_key = ""
        self.pid = 0

    def __enter__(self) -> ServedSandbox:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
        command = [sys.executable, "-m", "benchmarks._sandbox_server", "--latency"]
        command.append(str(self._latency))
        if self._discard:
            command.append("--discard")
        if self._sandbox_server:
            command.append("--sandbox-server")
        self._stderr = tempfile.TemporaryFile("w+")
        self._process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=self._stderr, text=True
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            self.__exit__(None, None, None)
            raise RuntimeError(f"the sandbox server did not start:\n{self._server_errors()}")
        started = json.loads(line)
        self.base_url = started["base_url"]
        self.api_key = started["api_key"]
        self.pid = started["pid"]
        self._wait_until_serving()
        return self

    def _wait_until_serving(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                httpx.get(self.base_url + "/", timeout=1.0)
                return
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"the sandbox server does not answer:\n{self._server_errors()}"
                    ) from None
                time.sleep(0.05)

    def _server_errors(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        return self._stderr.read()[-4000:]

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server process has used so far."""
        import psutil

        times = psutil.Process(self.pid).cpu_times()
        return float(times.user + times.system)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            if self._process.stdout is not None:
                self._process.stdout.close()
            self._process = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None


def _raw_httpx_pools(
    base_url: str,
    api_key: str,
    items: int,
    prefix: str,
    concurrency: int,
    span: clients.Span,
    *,
    pools: int | None,
) -> Awaitable[int]:
    return clients.raw_httpx(base_url, api_key, items, prefix, concurrency, span, pools)


#: The concurrent clients: name -> how each registers ``items`` (see :mod:`_bulk_clients`).
Client = Callable[[str, str, int, str, int, clients.Span], Awaitable[int]]
CLIENTS: dict[str, Client] = {
    SDK: clients.sdk,
    SDK_AIOHTTP: partial(clients.sdk, aiohttp=True),
    RAW_TUNED: partial(_raw_httpx_pools, pools=clients.TUNED_POOLS),
    RAW_DEFAULT: partial(_raw_httpx_pools, pools=None),
    RAW_AIOHTTP: clients.raw_aiohttp,
}
#: ``results.json`` key suffix of each client's figures.
SUFFIX = {
    SDK: "",
    SDK_AIOHTTP: "_aiohttp",
    RAW_TUNED: "_raw_httpx_tuned",
    RAW_DEFAULT: "_raw_httpx_default",
    RAW_AIOHTTP: "_raw_aiohttp",
}


def _timed(
    server: ServedSandbox, name: str, items: int, call: Callable[[clients.Span], int]
) -> dict[str, Any]:
    span = clients.Span()
    cpu_server = server.cpu_seconds()
    done = call(span)
    server_cpu = server.cpu_seconds() - cpu_server
    seconds, client_cpu = span.seconds, span.cpu_seconds
    if done != items:
        raise RuntimeError(f"{name}: {done} of {items} registrations went through")
    return {
        "client": name,
        "items": items,
        "seconds": seconds,
        "per_second": items / seconds,
        "server_cpu_s": server_cpu,
        "server_busy_share": server_cpu / seconds,
        "client_cpu_s": client_cpu,
        "client_busy_share": client_cpu / seconds,
        "client_cpu_ms_per_request": client_cpu / items * 1e3,
    }


def _run_rounds(
    server: ServedSandbox, names: list[str], items: int, repeats: int, concurrency: int
) -> list[dict[str, Any]]:
    """Every client ``repeats`` times, the order rotating every repeat."""
    base, key = server.base_url, server.api_key
    runs = []
    for repeat in range(repeats):
        shift = repeat % len(names)
        for name in names[shift:] + names[:shift]:
            prefix = f"R{repeat}{names.index(name)}"
            client = CLIENTS[name]
            runs.append(
                _timed(
                    server,
                    name,
                    items,
                    lambda span, client=client, prefix=prefix: asyncio.run(
                        client(base, key, items, prefix, concurrency, span)
                    ),
                )
            )
    return runs


def measure(
    *,
    items: int = 1000,
    repeats: int = 3,
    latency: float = LATENCY,
    concurrency: int = CONCURRENCY,
    warmup: int = 100,
    sequential_items: int | None = None,
) -> dict[str, Any]:
    """Run every client against one served sandbox; returns the raw numbers."""
    names = list(CLIENTS)
    sequential_items = items if sequential_items is None else min(items, sequential_items)
    with ServedSandbox(latency) as server:
        base, key = server.base_url, server.api_key
        for number, name in enumerate(names):  # warm every path (and the server) first
            asyncio.run(CLIENTS[name](base, key, warmup, f"W{number}", concurrency, clients.Span()))
        runs = _run_rounds(server, names, items, repeats, concurrency)
        sequential = _timed(
            server,
            SEQUENTIAL,
            sequential_items,
            lambda span: clients.sequential(base, key, sequential_items, "SEQ", span),
        )
    return _summary(runs, sequential, names, items, latency, concurrency, repeats)


def _summary(
    runs: list[dict[str, Any]],
    sequential: dict[str, Any],
    names: list[str],
    items: int,
    latency: float,
    concurrency: int,
    repeats: int,
) -> dict[str, Any]:
    def typical(name: str, field: str) -> float:
        return median([run[field] for run in runs if run["client"] == name])

    sequential_s = sequential["seconds"] / sequential["items"] * items
    wall = {name: typical(name, "seconds") for name in names}
    floor = items / concurrency * latency
    busiest = max(run["server_busy_share"] for run in runs)
    client_busiest = max(run["client_busy_share"] for run in runs)
    return {
        "items": items,
        "concurrency": concurrency,
        "latency_ms": latency * 1e3,
        "repeats": repeats,
        "tuned_pools": clients.TUNED_POOLS,
        "sequential_items_timed": sequential["items"],
        "sequential_s": sequential_s,
        "sdk_s": min(wall[SDK], wall[SDK_AIOHTTP]),
        "best_sdk_backend": SDK if wall[SDK] <= wall[SDK_AIOHTTP] else SDK_AIOHTTP,
        "wall_s": wall,
        "floor_s": floor,
        "bulk_speedup_vs_sequential": sequential_s / min(wall[SDK], wall[SDK_AIOHTTP]),
        "speedup_vs_sequential": {name: sequential_s / wall[name] for name in names},
        "max_speedup_possible": sequential_s / floor,
        "client_cpu_ms_per_request": {
            name: typical(name, "client_cpu_ms_per_request") for name in names
        },
        "server_busiest_share": busiest,
        "server_bound": busiest >= BOTTLENECK_SHARE,
        "client_busiest_share": client_busiest,
        "client_bound": client_busiest >= BOTTLENECK_SHARE,
        "runs": [sequential, *runs],
    }


def _bound(details: dict[str, Any]) -> str:
    if details["server_bound"]:
        bound = "the sandbox server is the bottleneck"
    elif details["client_bound"]:
        bound = "the client process is CPU-bound, not the server"
    else:
        bound = "neither process is CPU-bound"
    return (
        f"server CPU busy ≤{details['server_busiest_share']:.0%}, "
        f"client ≤{details['client_busiest_share']:.0%}: {bound}"
    )


def _peers(
    details: dict[str, Any], table: str, key: str, unit: str, mine: tuple[str, ...] = (SDK,)
) -> list[Peer]:
    return [
        Peer(key=key + SUFFIX[name], label=name, value=value, unit=unit)
        for name, value in details[table].items()
        if name not in mine
    ]


def figures(details: dict[str, Any]) -> list[Figure]:
    """The bulk figures from :func:`measure`'s numbers: CPU first, then wall time."""
    items, cpu, wall = details["items"], details["client_cpu_ms_per_request"], details["wall_s"]
    cpu_target = Target("<=", CPU_RATIO_LIMIT, " ms", of=(RAW_TUNED, cpu[RAW_TUNED]))
    return [
        Figure(
            key="cpu_ms_per_registration",
            label="Bulk: client CPU per registration, create_many",
            value=cpu[SDK],
            unit=" ms",
            target=cpu_target,
            note=(
                f"{cpu[SDK] / cpu[RAW_TUNED]:.2f}x {RAW_TUNED}, {cpu[SDK] / cpu[RAW_AIOHTTP]:.2f}x "
                f"{RAW_AIOHTTP}; {_bound(details)}"
            ),
            peers=_peers(
                details,
                "client_cpu_ms_per_request",
                "cpu_ms_per_registration",
                " ms",
                mine=(SDK, SDK_AIOHTTP),
            ),
        ),
        Figure(
            key="cpu_ms_per_registration_aiohttp",
            label="Bulk: client CPU per registration, create_many on aiohttp",
            value=cpu[SDK_AIOHTTP],
            unit=" ms",
            target=Target("<=", AIOHTTP_CPU_RATIO_LIMIT, " ms", of=(RAW_AIOHTTP, cpu[RAW_AIOHTTP])),
            note=(
                f"{cpu[SDK_AIOHTTP] / cpu[RAW_AIOHTTP]:.2f}x {RAW_AIOHTTP}; "
                f"{cpu[SDK_AIOHTTP] / cpu[SDK]:.2f}x the default backend"
            ),
        ),
        Figure(
            key="bulk_wall_s",
            label=f"Bulk: wall time for {items:,} registrations, create_many",
            value=wall[SDK],
            unit=" s",
            note=f"latency floor {details['floor_s']:.2f} s; wall time swings on a shared machine",
            peers=_peers(details, "wall_s", "bulk_wall_s", " s"),
        ),
        Figure(
            key="bulk_speedup_vs_sequential",
            label=f"Bulk: {items:,} registrations, create_many vs sequential requests",
            value=details["bulk_speedup_vs_sequential"],
            unit="x",
            target=SPEEDUP_TARGET,
            note=(
                f"{details['best_sdk_backend']}: "
                f"{details['sdk_s']:.2f} s vs {details['sequential_s']:.1f} s "
                f"({details['sequential_items_timed']} sequential timed, scaled; "
                f"floor {details['floor_s']:.2f} s = {items}/{details['concurrency']} x "
                f"{details['latency_ms']:.0f} ms: at most {details['max_speedup_possible']:.0f}x)"
            ),
        ),
    ]


#: Parameters of :func:`measure` for each size.
SIZES: dict[str, dict[str, Any]] = {
    "full": {"items": 1000, "repeats": 3},
    "quick": {"items": 200, "repeats": 2, "warmup": 30, "sequential_items": 50},
    "smoke": {"items": 20, "repeats": 1, "warmup": 5},
}


def run(size: str = "full") -> BenchResult:
    """The bulk figures at ``size``: 1,000 registrations, 200 for ``quick``."""
    started = time.perf_counter()
    details = measure(**SIZES[size])
    return BenchResult(
        name="bulk",
        title="Bulk registration",
        figures=figures(details),
        details=details,
        seconds=time.perf_counter() - started,
    )


def sweep(
    *, items: int = 500, repeats: int = 3, concurrency: int = CONCURRENCY
) -> dict[str, float]:
    """Client CPU ms per registration of raw httpx in several pool shapes (median of ``repeats``).

    How :data:`_bulk_clients.TUNED_POOLS` was chosen; rerun it on the machine at hand.
    """
    shapes: dict[str, Client] = {
        f"{pools}x{concurrency // pools}": partial(_raw_httpx_pools, pools=pools)
        for pools in (1, 2, 5, 10, 25, 50)
    }
    shapes["default limits"] = partial(_raw_httpx_pools, pools=None)
    shapes["gather + semaphore, 1x50"] = clients.raw_httpx_gather_one_pool
    CLIENTS.update(shapes)
    try:
        with ServedSandbox(LATENCY) as server:
            runs = _run_rounds(server, list(shapes), items, repeats, concurrency)
    finally:
        for name in shapes:
            CLIENTS.pop(name)
    return {
        name: median([run["client_cpu_ms_per_request"] for run in runs if run["client"] == name])
        for name in shapes
    }


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.bench_bulk --sweep``: the pool-shape sweep for raw httpx."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep", action="store_true", help="measure raw httpx pool shapes")
    parser.add_argument("--items", type=int, default=500)
    args = parser.parse_args(argv)
    if not args.sweep:
        parser.error("nothing to do: the bulk figures come from benchmarks/run.py; try --sweep")
    for name, cpu in sweep(items=args.items).items():
        print(f"{name:26} {cpu:.3f} ms client CPU per registration")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
