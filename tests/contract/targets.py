"""The servers the contract tests talk to (see ``conftest.py``), behind one ``Target`` shape."""

from __future__ import annotations

import ssl
import time
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from typing import Any

import anyio
import attrs
import httpx
from eve_amili import API_KEY, CREDITOR_ID, EveServer, EveServers, EveSettings
from support import loopback_client, loopback_http

from amili_async import AmiliClient, Clock
from amili_async.sandbox import Sandbox, SandboxServer

__all__ = [
    "SANDBOX_TARGETS",
    "SOCKET_TARGETS",
    "TARGETS",
    "Target",
    "eve_target",
    "in_process_target",
    "served_target",
]

TARGETS = ["sandbox", "sandbox-served", "eve"]
SANDBOX_TARGETS = frozenset({"sandbox", "sandbox-served"})
#: The targets reached over a real socket (marked ``network``).
SOCKET_TARGETS = frozenset({"sandbox-served", "eve"})
IN_PROCESS_BASE_URL = "https://api-sandbox.amili.se"
_DEFAULT = object()
#: One TLS context for every client: httpx loads the CA bundle anew for each client
#: otherwise (~50 ms apiece), and the served targets are plain http on loopback anyway.
_TLS = ssl.create_default_context()


@attrs.frozen
class Target:
    """One server the contract tests talk to, and how to talk to it.

    ``now``/``wait_until`` tell and move the target's time (real time for Eve,
    the sandbox's clock for the sandboxes), for tests about time windows.
    """

    name: str
    base_url: str
    api_key: str
    #: The documented creditor (``674dbeb208847b9501cc9138``), present on every target.
    creditor_id: str
    #: Collection names the target serves (``cases``, ``creditors``, ...).
    resources: frozenset[str]
    _transport: Callable[[], httpx.AsyncBaseTransport | None]
    _variant: Callable[..., Target]
    now: Callable[[], float]
    wait_until: Callable[[float], Awaitable[None]]
    #: The clock an SDK client on this target runs by (the sandbox's own; None: real time).
    clock: Clock | None = None

    def client(self, *, api_key: Any = _DEFAULT, **kwargs: Any) -> httpx.AsyncClient:
        """A plain httpx client on the target, sending its key (or ``api_key``; ``None``: none)."""
        key = self.api_key if api_key is _DEFAULT else api_key
        headers = dict(kwargs.pop("headers", {}))
        if key is not None:
            headers["X-API-Key"] = key
        options: dict[str, Any] = {
            "base_url": self.base_url,
            "headers": headers,
            "timeout": 5,
            "verify": _TLS,
            **kwargs,
        }
        transport = self._transport()
        if transport is None:  # a real socket: the backend under test carries it
            return loopback_http(**options)
        return httpx.AsyncClient(transport=transport, **options)

    def sdk(self, **options: Any) -> AmiliClient:
        """An SDK client on the target, with its key and on its clock."""
        options.setdefault("clock", self.clock)
        transport = self._transport()
        if transport is None:
            return loopback_client(self.base_url, self.api_key, **options)
        return AmiliClient(
            api_key=self.api_key, base_url=self.base_url, transport=transport, **options
        )

    def variant(self, **settings: Any) -> Target:
        """This target with other settings (``EveSettings`` keywords, also given to ``Sandbox``)."""
        return self._variant(**settings)


# --- sandbox targets -------------------------------------------------------------------------


def _sandbox_resources(sandbox: Sandbox) -> frozenset[str]:
    paths = (getattr(route, "path", "") for route in sandbox.app.routes)
    return frozenset(path.strip("/") for path in paths if path.count("/") == 1 and len(path) > 1)


def _sandbox_clock(
    sandbox: Sandbox,
) -> tuple[Callable[[], float], Callable[[float], Awaitable[None]]]:
    def now() -> float:
        return sandbox.now.timestamp()

    async def wait_until(moment: float) -> None:
        if moment > now():
            sandbox.advance(seconds=moment - now())

    return now, wait_until


def in_process_target(**settings: Any) -> Target:
    """A fresh sandbox with ``settings``, reached in process."""
    sandbox = Sandbox(**settings)
    now, wait_until = _sandbox_clock(sandbox)
    return Target(
        name="sandbox",
        base_url=IN_PROCESS_BASE_URL,
        api_key=sandbox.api_key,
        creditor_id=sandbox.creditor_id,
        resources=_sandbox_resources(sandbox),
        transport=sandbox.transport,
        variant=in_process_target,
        now=now,
        wait_until=wait_until,
        clock=sandbox.clock,
    )


def served_target(stack: ExitStack, server: SandboxServer | None = None, **settings: Any) -> Target:
    """``server``, or a new sandbox with ``settings`` served until ``stack`` closes."""
    if server is None:
        server = stack.enter_context(SandboxServer(Sandbox(**settings), port=0))
    sandbox = server.sandbox
    now, wait_until = _sandbox_clock(sandbox)
    return Target(
        name="sandbox-served",
        base_url=server.base_url,
        api_key=sandbox.api_key,
        creditor_id=sandbox.creditor_id,
        resources=_sandbox_resources(sandbox),
        transport=lambda: None,
        variant=lambda **more: served_target(stack, **more),
        now=now,
        wait_until=wait_until,
        clock=sandbox.clock,
    )


# --- the Eve target --------------------------------------------------------------------------


async def _sleep_until(moment: float) -> None:
    await anyio.sleep(max(0.0, moment - time.time()))


def eve_target(servers: EveServers, **settings: Any) -> Target:
    """The reference Eve server with ``settings`` (see ``EveSettings``)."""
    server: EveServer = servers.get(EveSettings(**settings))
    return Target(
        name="eve",
        base_url=server.base_url,
        api_key=API_KEY,
        creditor_id=CREDITOR_ID,
        resources=frozenset(server.app.config["DOMAIN"]),
        transport=lambda: None,
        variant=lambda **more: eve_target(servers, **more),
        now=time.time,
        wait_until=_sleep_until,
    )
