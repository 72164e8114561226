"""Shared fixtures: both async backends, a manual clock, a client on respx.

``anyio_backend`` here serves every test below ``tests/``; a test module that
means something else by it (``bulk/test_chaos.py``: asyncio only) overrides it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import respx
from hypothesis import settings
from support import BASE_URL

from amili_async import AmiliClient, ManualClock, RetryPolicy

# In CI the property tests draw the same examples every run (a red build is never luck);
# elsewhere they draw new ones each time, to hunt for the next bug.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Run every ``anyio`` test on asyncio and on trio."""
    return str(request.param)


@pytest.fixture
def clock() -> ManualClock:
    """A clock that moves only when the code under test sleeps."""
    return ManualClock()


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    """respx routes on the sandbox host; every route must be called as declared."""
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        yield router


@pytest.fixture
def respx_client(clock: ManualClock) -> AmiliClient:
    """A client for the ``api`` respx routes: a fake key, the manual clock, quick retries."""
    return AmiliClient(
        api_key="sk_test_SECRET_KEY_123",
        clock=clock,
        retry=RetryPolicy(max_attempts=4, initial_backoff=0.5, max_backoff=8.0),
        seed=1,
    )
