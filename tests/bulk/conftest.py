"""Fixtures of the bulk tests: a sandbox client whose transport counts requests in flight."""

from __future__ import annotations

import pytest
from bulk_support import CountingTransport

from amili_async import AmiliClient, RetryPolicy
from amili_async.sandbox.pytest_plugin import SandboxFixture

#: Quick retries on the sandbox's manual clock: backoffs move simulated time only.
QUICK_RETRY = RetryPolicy(max_attempts=4, initial_backoff=0.05, max_backoff=1.0)


@pytest.fixture
def counting(amili_sandbox: SandboxFixture) -> CountingTransport:
    """The sandbox's in-process transport, wrapped to count requests."""
    return CountingTransport(amili_sandbox.sandbox.transport())


@pytest.fixture
def client(amili_sandbox: SandboxFixture, counting: CountingTransport) -> AmiliClient:
    """A client on the sandbox through the counting transport, with quick retries."""
    return amili_sandbox.make_client(transport=counting, retry=QUICK_RETRY, seed=7)
