"""What the ``amili_sandbox`` pytest fixture yields; importable without pytest."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from .._clock import ManualClock
from ._faults import FaultInjector
from ._sandbox import Sandbox

if TYPE_CHECKING:
    from amili_async import AmiliClient

__all__ = ["SANDBOX_BASE_URL", "SandboxFixture"]


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
