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

Annotate the fixture with :class:`amili_async.sandbox.SandboxFixture` (also
importable from here) for a type checker::

    from amili_async.sandbox import SandboxFixture

    def test_something(amili_sandbox: SandboxFixture) -> None: ...
"""

from __future__ import annotations

from typing import Any

import pytest

from .._clock import ManualClock
from ._fixture import SANDBOX_BASE_URL, SandboxFixture
from ._sandbox import Sandbox

__all__ = ["SANDBOX_BASE_URL", "SandboxFixture", "amili_sandbox", "amili_sandbox_options"]


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
