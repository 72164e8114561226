"""Serve a sandbox on a loopback port in a process of its own (for ``bench_bulk``).

``python -m benchmarks._sandbox_server --latency 0.02`` serves the sandbox's
ASGI app with uvicorn on a free port of 127.0.0.1, adds a latency fault to
every API request, prints one JSON line (``base_url``, ``api_key``, ``pid``)
once it accepts connections, and serves until terminated. A separate process
keeps the server off the benchmark's event loop and GIL.

uvicorn binds the port itself here rather than through
:class:`~amili_async.sandbox.SandboxServer`: that helper binds its socket with
``proto=0``, so asyncio does not set ``TCP_NODELAY`` on the connections it
accepts, and every request on a kept-alive connection then waits ~40 ms for a
delayed ACK (Nagle). ``--sandbox-server`` uses the helper anyway, to show it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from collections.abc import Coroutine
from typing import Any

import uvicorn

from amili_async.sandbox import Sandbox, SandboxServer


async def _serve_with_uvicorn(sandbox: Sandbox) -> None:
    config = uvicorn.Config(
        sandbox.app,
        host="127.0.0.1",
        port=0,
        lifespan="off",
        log_level="warning",
        access_log=False,
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            await serving  # raises what stopped it
            return
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    _announce(f"http://127.0.0.1:{port}", sandbox)
    await serving


def _run_fast(main: Coroutine[Any, Any, None]) -> None:
    """Run the server on uvloop when it is installed (the ``bench`` extra has it): the
    server is then less often the bottleneck of a benchmark that measures clients."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
    else:
        uvloop.run(main)


def _announce(base_url: str, sandbox: Sandbox) -> None:
    line = {"base_url": base_url, "api_key": sandbox.api_key, "pid": os.getpid()}
    print(json.dumps(line), flush=True)


def main(argv: list[str] | None = None) -> int:
    """Start serving; returns only when the process is told to stop."""
    parser = argparse.ArgumentParser(description="serve the sandbox for the bulk benchmark")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per request")
    parser.add_argument("--discard", action="store_true", help="store nothing (keep_state=False)")
    parser.add_argument(
        "--sandbox-server",
        action="store_true",
        help="serve through amili_async.sandbox.SandboxServer instead of plain uvicorn",
    )
    args = parser.parse_args(argv)
    sandbox = Sandbox(keep_state=not args.discard, request_log_limit=1000)
    if args.latency > 0:
        sandbox.faults.latency(args.latency)
    if args.sandbox_server:
        server = SandboxServer(sandbox, "127.0.0.1", 0, log_level="warning")
        server.bind()
        _announce(server.base_url, sandbox)
        server.run()
    else:
        _run_fast(_serve_with_uvicorn(sandbox))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
