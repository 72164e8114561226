"""Shared fixtures: both async backends, a manual clock, a client on respx; the
``network`` marker and the HTTP backend it runs on.

``anyio_backend`` here serves every test below ``tests/``; a test module that
means something else by it (``bulk/test_chaos.py``: asyncio only) overrides it.

A test whose traffic crosses a real socket (a served sandbox, the Eve server, a
loopback server of its own) is marked ``network`` and sends through
``support.loopback_client`` / ``support.loopback_http``, so that it runs on the
backend ``AMILI_TEST_BACKEND`` names (see ``support.py``). On aiohttp
(asyncio only) its trio run is skipped, and so is a test marked
``network(httpx_only="why")``. A test that connects to or binds an IP socket
without the marker fails at teardown.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import respx
from hypothesis import settings
from support import BACKEND, BASE_URL, ON_AIOHTTP

from amili_async import AmiliClient, ManualClock, RetryPolicy

# In CI the property tests draw the same examples every run (a red build is never luck);
# elsewhere they draw new ones each time, to hunt for the next bug.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


# --- the network marker -------------------------------------------------------------------------


def pytest_report_header() -> str:
    return f"AMILI_TEST_BACKEND: {BACKEND} (the HTTP backend of the network-marked tests)"


def pytest_runtest_setup(item: pytest.Item) -> None:
    """On aiohttp, skip the network tests it cannot carry (trio runs, ``httpx_only``)."""
    marker = item.get_closest_marker("network")
    if not ON_AIOHTTP or marker is None:
        return
    if marker.kwargs.get("httpx_only"):
        pytest.skip(f"httpx only: {marker.kwargs['httpx_only']}")
    callspec = getattr(item, "callspec", None)
    if callspec is not None and callspec.params.get("anyio_backend") == "trio":
        pytest.skip("aiohttp runs on asyncio only: the trio run is the httpx pass's")


_running: dict[str, Any] = {"item": None, "unmarked": []}


def _watch_sockets(event: str, args: tuple[Any, ...]) -> None:
    """Note an IP socket connected or bound by a test that lacks the ``network`` marker."""
    if event not in ("socket.connect", "socket.bind") or _running["item"] is None:
        return
    sock, address = args
    if getattr(sock, "family", None) in (socket.AF_INET, socket.AF_INET6):
        _running["unmarked"].append(f"{event.split('.')[1]} {address!r}")


sys.addaudithook(_watch_sockets)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    if item.get_closest_marker("network") is None:
        _running["item"] = item
    try:
        return (yield)
    finally:
        _running["item"] = None
        _running["unmarked"] = []


@pytest.fixture(autouse=True)
def _network_tests_are_marked() -> Iterator[None]:
    """Fail a test that crossed a real socket without saying so (``@pytest.mark.network``)."""
    yield
    if _running["unmarked"]:
        seen = ", ".join(sorted(set(_running["unmarked"])))
        pytest.fail(
            f"this test uses real sockets ({seen}) but is not marked network: mark it "
            "@pytest.mark.network and open its clients with support.loopback_client / "
            "loopback_http, so that it also runs on the aiohttp backend",
            pytrace=False,
        )


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Run every ``anyio`` test on asyncio and on trio."""
    return str(request.param)


#: The variables httpx reads a proxy from.
PROXY_VARIABLES = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
)


@pytest.fixture
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy in the environment: httpx would otherwise send loopback traffic through it."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


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
