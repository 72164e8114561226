"""Fixtures for the sandbox tests: a sandbox that never really sleeps.

Both async backends come from ``anyio_backend`` in ``tests/conftest.py``.
"""

from __future__ import annotations

import pytest
from sandbox_support import SleepRecorder

from amili_async import ManualClock
from amili_async.sandbox import Sandbox


@pytest.fixture
def slept() -> SleepRecorder:
    """The sleeps the sandbox asked for."""
    return SleepRecorder()


@pytest.fixture
def sandbox(slept: SleepRecorder) -> Sandbox:
    """A fresh sandbox on a manual clock at Wed, 03 Sep 2025 07:56:11 GMT."""
    return Sandbox(clock=ManualClock(), seed=7, sleep=slept)
