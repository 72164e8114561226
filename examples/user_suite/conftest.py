"""Shared fixtures of the example suite: the async backends and the sandbox's options.

The ``amili_sandbox`` fixture itself needs no set-up: it comes with the
package (a pytest plugin). Async tests here run through anyio's pytest plugin
(``@pytest.mark.anyio``), on asyncio and on trio.
"""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Run every ``@pytest.mark.anyio`` test on asyncio and on trio."""
    backend: str = request.param
    return backend


@pytest.fixture
def amili_sandbox_options() -> dict[str, Any]:
    """Keyword arguments for each test's ``Sandbox`` (here: a fixed seed, so ids repeat)."""
    return {"seed": 42}
