"""pytest plugin: the ``amili_sandbox`` fixture (registered as the ``amili_sandbox`` plugin).

::

    @pytest.mark.anyio
    async def test_registration_closes_when_paid(amili_sandbox):
        client = amili_sandbox.client
        registration = await client.case_registrations.create({...})
        amili_sandbox.advance(hours=2)
        case = await client.cases.get(registration.cases[0])
        assert case.status == "debt_collection"

The fixture is synchronous, so it works with pytest-anyio, pytest-asyncio,
pytest-trio or plain sync tests. Every test gets a fresh sandbox on a
:class:`~amili_async.ManualClock`; the client shares that clock, so its retry
back-offs and the sandbox's injected latency move simulated time instead of
waiting. Override the ``amili_sandbox_options`` fixture to pass
:class:`~amili_async.sandbox.Sandbox` keyword arguments (``seed``,
``reference_rate``, ...).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import pytest

from .._clock import ManualClock
from ._faults import FaultInjector
from ._sandbox import Sandbox

if TYPE_CHECKING:
    from amili_async import AmiliClient

__all__ = ["SANDBOX_BASE_URL", "SandboxFixture", "amili_sandbox", "amili_sandbox_options"]

#: The base URL the fixture's client uses (requests never leave the process).
SANDBOX_BASE_URL = "https://api-sandbox.amili.se"


class SandboxFixture:
    """What the ``amili_sandbox`` fixture yields: a sandbox and a client wired to it."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self._client: AmiliClient | None = None

    @property
    def clock(self) -> ManualClock:
        """The sandbox clock (shared with :attr:`client`)."""
        return self.sandbox.clock

    @property
    def faults(self) -> FaultInjector:
        """The sandbox's fault rules."""
        return self.sandbox.faults

    @property
    def client(self) -> AmiliClient:
        """An ``AmiliClient`` on the sandbox (in process), created on first use."""
        if self._client is None:
            self._client = self.make_client()
        return self._client

    def make_client(self, **options: Any) -> AmiliClient:
        """A further ``AmiliClient`` on this sandbox; ``options`` go to its constructor.

        By default it uses the sandbox's static API key, base URL
        ``https://api-sandbox.amili.se``, the in-process transport and the
        sandbox clock. Pass ``token_provider=...`` (and ``api_key=None``) to
        exercise token refresh against :meth:`Sandbox.issue_token`.
        """
        from amili_async import AmiliClient

        settings: dict[str, Any] = {
            "api_key": self.sandbox.api_key,
            "base_url": SANDBOX_BASE_URL,
            "transport": self.sandbox.transport(),
            "clock": self.sandbox.clock,
        }
        settings.update(options)
        return AmiliClient(**settings)

    def advance(self, days: float = 0, hours: float = 0, seconds: float = 0) -> datetime:
        """Move the sandbox clock and run the case life cycle; see :meth:`Sandbox.advance`."""
        return self.sandbox.advance(days=days, hours=hours, seconds=seconds)

    def __repr__(self) -> str:
        return f"SandboxFixture({self.sandbox!r})"


@pytest.fixture
def amili_sandbox_options() -> dict[str, Any]:
    """Keyword arguments for the test's :class:`Sandbox`; override to customise."""
    return {}


@pytest.fixture
def amili_sandbox(amili_sandbox_options: dict[str, Any]) -> SandboxFixture:
    """A fresh in-memory Amili sandbox and an ``AmiliClient`` on it (``.client``).

    Attributes: ``.sandbox``, ``.client``, ``.clock``, ``.faults``,
    ``.advance()`` and ``.make_client()``. Injected latency advances the
    sandbox clock instead of sleeping, unless the options give ``sleep``.
    """
    options = dict(amili_sandbox_options)
    clock = options.pop("clock", None) or ManualClock()
    options.setdefault("sleep", clock.sleep)
    return SandboxFixture(Sandbox(clock=clock, **options))
