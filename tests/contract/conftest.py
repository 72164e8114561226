"""The contract suite: the same wire tests against our sandbox and against a real Eve server.

Amili runs on Python Eve. Each test here states one thing a client sees on the
wire and runs against three targets (the ``target`` fixture):

* ``sandbox``: a fresh :class:`~amili_async.sandbox.Sandbox` in process,
  reached through its httpx transport (no socket);
* ``sandbox-served``: a sandbox served by :class:`~amili_async.sandbox.SandboxServer`
  on ``127.0.0.1`` (one server for the session, reset before each test);
* ``eve``: a real Eve 2.3 app configured like Amili (``eve_amili.py``: X-API-Key
  auth, page limit 100, HATEOAS off, the documented resources) on mongomock and
  fakeredis, served by werkzeug on ``127.0.0.1`` (one per settings variant, for
  the session, reset before each test).

A test that fails against ``eve`` is a wrong test: fix the test, not the
server. Where our sandbox answers differently today, mark the test
``@pytest.mark.sandbox_differs("<what the sandbox does instead>")``: it then
runs as ``xfail(strict=True)`` on the two sandbox targets, so the list of
those markers is the sandbox's to-do list, and a fixed sandbox turns the xfail
into a failure until the marker is removed. Where Amili is known to differ
from plain Eve, ``eve_amili.py`` is configured like Amili and the test says so.

To add a behaviour: write an async test in ``test_wire.py`` (the module is
``pytest.mark.anyio``) that takes ``target`` (``targets.Target``); open clients
with ``target.client()`` (``api_key=None`` sends no key). For settings a test
needs, ``target.variant(rate_limit=(3, 60))`` (or ``hateoas=True``,
``optimize_pagination_for_speed=True``) starts or reuses an Eve server with
those settings and passes the same keywords to ``Sandbox(...)``; while the
sandbox lacks one, that is a ``TypeError`` and the test says
``sandbox_differs``. A resource only some targets serve (``/creditors``) is
skipped with a reason where missing (``target.resources``). Every test in
this directory gets the ``contract`` marker (``pytest -m contract``), and its
runs on ``sandbox-served`` and ``eve`` the ``network`` marker: their clients
(``target.client()``, ``target.sdk()``) send through the backend under test
(``AMILI_TEST_BACKEND``), httpx or aiohttp.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from eve_amili import EveServers
from targets import (
    SANDBOX_TARGETS,
    SOCKET_TARGETS,
    TARGETS,
    Target,
    eve_target,
    in_process_target,
    served_target,
)

from amili_async.sandbox import Sandbox, SandboxServer

# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def eve_servers() -> Iterator[EveServers]:
    """Real Eve servers configured like Amili, one per settings variant, for the whole session."""
    with EveServers.running() as servers:
        yield servers


@pytest.fixture(scope="session")
def served_sandbox() -> Iterator[SandboxServer]:
    """One sandbox served on a loopback port for the whole session."""
    with SandboxServer(Sandbox(), port=0) as server:
        yield server


@pytest.fixture(params=TARGETS)
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    """Each target in a clean state (see the module docstring)."""
    with ExitStack() as stack:
        if request.param == "sandbox":
            yield in_process_target()
        elif request.param == "sandbox-served":
            server: SandboxServer = request.getfixturevalue("served_sandbox")
            server.sandbox.reset()
            yield served_target(stack, server)
        else:
            servers: EveServers = request.getfixturevalue("eve_servers")
            servers.reset()
            yield eve_target(servers)


# --- markers -------------------------------------------------------------------------------------


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every contract test; turn ``sandbox_differs`` into a strict xfail on the sandboxes.

    ``sandbox_differs(reason, targets=("sandbox",))`` limits it to one sandbox target;
    it never applies to ``eve`` (a test that fails there is wrong).
    """
    here = str(config.rootpath / "tests" / "contract")
    for item in items:
        if not str(item.path).startswith(here):
            continue
        item.add_marker(pytest.mark.contract)
        callspec = getattr(item, "callspec", None)
        target_name = callspec.params.get("target") if callspec else None
        if target_name in SOCKET_TARGETS:
            item.add_marker(pytest.mark.network)
        for marker in item.iter_markers("sandbox_differs"):
            targets = frozenset(marker.kwargs.get("targets", SANDBOX_TARGETS))
            if not targets <= SANDBOX_TARGETS:
                raise pytest.UsageError(f"{item.nodeid}: sandbox_differs is for sandbox targets")
            if target_name in targets:
                reason = f"sandbox differs: {marker.args[0]}"
                item.add_marker(pytest.mark.xfail(strict=True, reason=reason))
