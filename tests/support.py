"""Helpers the tests share: the documented API examples, places in a JSON document, and
the HTTP backend of the tests that cross a real socket (``AMILI_TEST_BACKEND``)."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import httpx

from amili_async import AmiliClient, DefaultAioHttpClient

EXAMPLES = Path(__file__).resolve().parent / "data" / "api-examples"
BASE_URL = "https://api-sandbox.amili.se"

# --- the backend of the network tests ----------------------------------------------------------

#: What carries the traffic of the tests marked ``network`` (those that cross a real
#: socket): ``httpx`` (the default, httpx's own stack) or ``aiohttp``
#: (``DefaultAioHttpClient``). Read here only. CI runs the whole suite on httpx, then
#: ``AMILI_TEST_BACKEND=aiohttp pytest -q -m network``.
BACKEND = os.environ.get("AMILI_TEST_BACKEND") or "httpx"
if BACKEND not in ("httpx", "aiohttp"):
    raise RuntimeError(f"AMILI_TEST_BACKEND must be httpx or aiohttp, not {BACKEND!r}")
ON_AIOHTTP = BACKEND == "aiohttp"


def loopback_client(base_url: str, api_key: str | None = None, **options: Any) -> AmiliClient:
    """An ``AmiliClient`` for a server on a real socket, on the backend under test.

    On aiohttp it sends through ``DefaultAioHttpClient`` (made with the
    ``limits``/``proxy`` given, which an ``http_client=`` cannot take).
    """
    if not ON_AIOHTTP:
        return AmiliClient(api_key, base_url=base_url, **options)
    made = {name: options.pop(name) for name in ("limits", "proxy") if name in options}
    # The AmiliClient closes a DefaultAioHttpClient it is given.
    return AmiliClient(
        api_key, base_url=base_url, http_client=DefaultAioHttpClient(**made), **options
    )


def cli_on_backend(monkeypatch: Any) -> None:
    """Make the command line (run in process) open its client on the backend under test.

    Only its served-API client: ``--sandbox`` (an in-process transport) stays as it is.
    """
    if not ON_AIOHTTP:
        return

    def made(*args: Any, **options: Any) -> AmiliClient:
        if "transport" in options:
            return AmiliClient(*args, **options)
        return AmiliClient(*args, http_client=DefaultAioHttpClient(), **options)

    monkeypatch.setattr("amili_async.cli._connect.AmiliClient", made)


def loopback_http(**options: Any) -> httpx.AsyncClient:
    """A plain ``httpx.AsyncClient`` (``base_url=``, ``headers=``...) on the backend under test."""
    if ON_AIOHTTP:
        return DefaultAioHttpClient(**options)
    return httpx.AsyncClient(**options)


def example(name: str) -> Any:
    """A documented request or response from ``tests/data/api-examples``."""
    return json.loads((EXAMPLES / name).read_text())


def example_bytes(name: str) -> bytes:
    """The raw bytes of a documented example (amounts exactly as written)."""
    return (EXAMPLES / name).read_bytes()


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON value: each key of each object, each index of each list."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


def replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    """A deep copy of ``document`` with the value at ``path`` replaced."""
    changed = copy.deepcopy(document)
    target = changed
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return changed
