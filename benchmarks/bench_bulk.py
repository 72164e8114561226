"""2. Bulk registration: 1,000 registrations against the sandbox served on loopback.

The sandbox runs under uvicorn in a separate process (its own event loop and
GIL) on 127.0.0.1, with a latency fault adding ``latency`` (20 ms) to every
request. Three clients register the same number of (distinct) registrations:

* sequential: a plain ``requests.post`` per registration, one after the
  other, as in Amili's getting-started loop (no session, no concurrency);
* raw httpx: one ``httpx.AsyncClient``, ``asyncio.gather`` over all items
  under a semaphore of ``concurrency`` (50), ``raise_for_status`` and
  ``.json()`` for each;
* the SDK: ``client.case_registrations.create_many(items, concurrency=50)``,
  which also validates every item, parses each answer into a typed model,
  guards against duplicates and reconciles lost answers.

Raw httpx and the SDK are run alternately ``repeats`` times each (raw, SDK,
SDK, raw, ...) and the median of each is used; the sequential loop runs once
(it takes over 20 s at full size). The CPU time of the server process is
sampled around every run: a server that is busy for most of the wall time is
the bottleneck, and the figures then measure the sandbox, not the clients.
The client's CPU time is sampled the same way.

The sandbox app is served by plain uvicorn in that child process (see
``_sandbox_server``); ``--sandbox-server`` there serves it through
:class:`~amili_async.sandbox.SandboxServer` instead, which now gives the same
figures (it sets ``TCP_NODELAY`` on accepted connections, as uvicorn does).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from types import TracebackType
from typing import IO, Any

import httpx

from amili_async import AmiliClient
from benchmarks._common import (
    REPO_ROOT,
    BenchResult,
    Figure,
    Target,
    median,
    registrations,
)

__all__ = ["SIZES", "ServedSandbox", "measure", "run"]

SPEEDUP_TARGET = Target(">=", 40.0, "x")
RAW_RATIO_TARGET = Target("<=", 1.15, "x")
LATENCY = 0.020
CONCURRENCY = 50
_PATH = "/case--registrations"
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


def _sequential(base_url: str, api_key: str, items: int, prefix: str) -> int:
    import requests

    url = base_url + _PATH
    headers = {"X-API-Key": api_key}
    done = 0
    for payload in registrations(items, prefix=prefix):
        response = requests.post(url, json=payload, headers=headers, timeout=30)
        response.raise_for_status()
        response.json()
        done += 1
    return done


async def _raw_httpx(base_url: str, api_key: str, items: int, prefix: str, concurrency: int) -> int:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=base_url, headers={"X-API-Key": api_key}, limits=limits, timeout=30.0
    ) as http:
        semaphore = asyncio.Semaphore(concurrency)

        async def register(payload: dict[str, Any]) -> Any:
            async with semaphore:
                response = await http.post(_PATH, json=payload)
                response.raise_for_status()
                return response.json()

        answers = await asyncio.gather(
            *(register(payload) for payload in registrations(items, prefix=prefix))
        )
    return len(answers)


async def _sdk(base_url: str, api_key: str, items: int, prefix: str, concurrency: int) -> int:
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


def _timed(server: ServedSandbox, name: str, items: int, call: Any) -> dict[str, Any]:
    cpu_server = server.cpu_seconds()
    cpu_client = time.process_time()
    started = time.perf_counter()
    done = call()
    seconds = time.perf_counter() - started
    server_cpu = server.cpu_seconds() - cpu_server
    client_cpu = time.process_time() - cpu_client
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
    }


def measure(
    *,
    items: int = 1000,
    repeats: int = 3,
    latency: float = LATENCY,
    concurrency: int = CONCURRENCY,
    warmup: int = 100,
) -> dict[str, Any]:
    """Run the three clients against one served sandbox; returns the raw numbers."""
    runs: list[dict[str, Any]] = []
    with ServedSandbox(latency) as server:
        base, key = server.base_url, server.api_key

        def raw(count: int, prefix: str) -> int:
            return asyncio.run(_raw_httpx(base, key, count, prefix, concurrency))

        def sdk(count: int, prefix: str) -> int:
            return asyncio.run(_sdk(base, key, count, prefix, concurrency))

        # Warm both paths (and the server's) before anything is timed.
        raw(warmup, "WRAW")
        sdk(warmup, "WSDK")
        for repeat in range(repeats):
            order = ("raw", "sdk") if repeat % 2 == 0 else ("sdk", "raw")
            for name in order:
                prefix = f"{name.upper()}{repeat}"
                function = raw if name == "raw" else sdk
                runs.append(
                    _timed(
                        server,
                        "raw httpx" if name == "raw" else "amili-async",
                        items,
                        lambda function=function, prefix=prefix: function(items, prefix),
                    )
                )
        sequential = _timed(
            server, "sequential requests", items, lambda: _sequential(base, key, items, "SEQ")
        )
    raw_runs = [run for run in runs if run["client"] == "raw httpx"]
    sdk_runs = [run for run in runs if run["client"] == "amili-async"]
    raw_seconds = median([run["seconds"] for run in raw_runs])
    sdk_seconds = median([run["seconds"] for run in sdk_runs])
    floor = items / concurrency * latency
    busiest = max(run["server_busy_share"] for run in raw_runs + sdk_runs)
    client_busiest = max(run["client_busy_share"] for run in raw_runs + sdk_runs)
    return {
        "items": items,
        "concurrency": concurrency,
        "latency_ms": latency * 1e3,
        "repeats": repeats,
        "sequential_s": sequential["seconds"],
        "raw_httpx_s": raw_seconds,
        "sdk_s": sdk_seconds,
        "floor_s": floor,
        "bulk_speedup_vs_sequential": sequential["seconds"] / sdk_seconds,
        "raw_speedup_vs_sequential": sequential["seconds"] / raw_seconds,
        "bulk_ratio_vs_raw_httpx": sdk_seconds / raw_seconds,
        "max_speedup_possible": sequential["seconds"] / floor,
        "server_busiest_share": busiest,
        "server_bound": busiest >= BOTTLENECK_SHARE,
        "client_busiest_share": client_busiest,
        "client_bound": client_busiest >= BOTTLENECK_SHARE,
        "client_cpu_ms_per_request": {
            "raw httpx": median([run["client_cpu_s"] for run in raw_runs]) / items * 1e3,
            "amili-async": median([run["client_cpu_s"] for run in sdk_runs]) / items * 1e3,
        },
        "runs": [sequential, *runs],
    }


def figures(details: dict[str, Any]) -> list[Figure]:
    """The bulk figures from :func:`measure`'s numbers."""
    items = details["items"]
    if details["server_bound"]:
        bound = "the sandbox server is the bottleneck"
    elif details["client_bound"]:
        bound = "the client process is CPU-bound, not the server"
    else:
        bound = "neither process is CPU-bound"
    cpu = details["client_cpu_ms_per_request"]
    server_note = (
        f"server CPU busy ≤{details['server_busiest_share']:.0%}, client "
        f"≤{details['client_busiest_share']:.0%}: {bound}; client CPU per request "
        f"{cpu['amili-async']:.2f} ms (SDK) vs {cpu['raw httpx']:.2f} ms (raw)"
    )
    return [
        Figure(
            key="bulk_speedup_vs_sequential",
            label=f"Bulk: {items:,} registrations, create_many vs sequential requests",
            value=details["bulk_speedup_vs_sequential"],
            unit="x",
            target=SPEEDUP_TARGET,
            note=(
                f"{details['sdk_s']:.2f} s vs {details['sequential_s']:.1f} s "
                f"(floor {details['floor_s']:.2f} s = {items}/{details['concurrency']} x "
                f"{details['latency_ms']:.0f} ms: at most "
                f"{details['max_speedup_possible']:.0f}x)"
            ),
        ),
        Figure(
            key="bulk_ratio_vs_raw_httpx",
            label=f"Bulk: create_many vs raw httpx + gather (semaphore {details['concurrency']})",
            value=details["bulk_ratio_vs_raw_httpx"],
            unit="x",
            target=RAW_RATIO_TARGET,
            note=f"{details['sdk_s']:.2f} s vs {details['raw_httpx_s']:.2f} s; {server_note}",
        ),
    ]


#: Parameters of :func:`measure` for each size.
SIZES: dict[str, dict[str, Any]] = {
    "full": {"items": 1000, "repeats": 3},
    "quick": {"items": 300, "repeats": 3},
    "smoke": {"items": 20, "repeats": 1, "warmup": 5},
}


def run(size: str = "full") -> BenchResult:
    """The bulk figures at ``size``: 1,000 registrations, 300 for ``quick``."""
    started = time.perf_counter()
    details = measure(**SIZES[size])
    return BenchResult(
        name="bulk",
        title="Bulk registration",
        figures=figures(details),
        details=details,
        seconds=time.perf_counter() - started,
    )
