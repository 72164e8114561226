"""What the benchmarks share: figures and targets, payloads, an in-memory transport, stats."""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx

from amili_async._validation import luhn_check_digit

__all__ = [
    "BASE_URL",
    "CASE_ID",
    "CASE_JSON",
    "REPO_ROOT",
    "BenchResult",
    "Figure",
    "Peer",
    "StaticJSONTransport",
    "Target",
    "machine_info",
    "percentile",
    "registration",
    "registrations",
]

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO_ROOT / "benchmarks"
BASE_URL = "https://api-sandbox.amili.se"

#: The documented case (``api-examples/03-case.debt_collection.response.json``).
CASE_JSON: bytes = (
    REPO_ROOT / "tests" / "data" / "api-examples" / "03-case.debt_collection.response.json"
).read_bytes()
CASE_ID: str = json.loads(CASE_JSON)["_id"]

#: The ids the sandbox and Amili's examples use.
ACCOUNT_ID = "674dbeaf08847b9501cc9132"
CREDITOR_ID = "674dbeb208847b9501cc9138"


@dataclass(frozen=True)
class Target:
    """A figure's target: ``value <op> limit`` with ``op`` one of ``<=``, ``>=``, ``==``.

    With ``of`` (a peer's name and its value, measured in the same run) the
    limit is relative: ``Target("<=", 1.1, " ms", of=("raw httpx", 0.5))``
    means at most 1.1 times the peer's 0.5 ms, i.e. ``value <= 0.55``.
    """

    op: str
    limit: float
    unit: str = ""
    of: tuple[str, float] | None = None

    @property
    def bound(self) -> float:
        """The absolute limit ``value`` is compared with."""
        return self.limit if self.of is None else self.limit * self.of[1]

    def check(self, value: float) -> bool:
        """Whether ``value`` meets the target."""
        if self.op == "<=":
            return value <= self.bound
        if self.op == ">=":
            return value >= self.bound
        if self.op == "==":
            return value == self.bound
        raise ValueError(f"unknown comparison {self.op!r}")

    def __str__(self) -> str:
        symbol = {"<=": "≤", ">=": "≥", "==": "="}[self.op]
        if self.of is None:
            return f"{symbol} {self.limit:g}{self.unit}"
        return f"{symbol} {self.limit:g}x {self.of[0]} = {_rounded(self.bound)}{self.unit}"


@dataclass(frozen=True)
class Peer:
    """Another client's value for the same figure (its own ``results.json`` key)."""

    key: str
    label: str
    value: float
    unit: str = ""

    def formatted(self) -> str:
        """``label value``, rounded as the figures are."""
        return f"{self.label} {_rounded(self.value)}{self.unit}"


def _rounded(value: float) -> str:
    if (float(value).is_integer() and abs(value) >= 1) or abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


@dataclass
class Figure:
    """One reported number: its ``results.json`` key, how it reads, and its target (if any)."""

    key: str
    label: str
    value: float
    unit: str = ""
    target: Target | None = None
    note: str = ""
    #: The same figure for the peers (raw httpx, aiohttp, openai-python...), shown beside it.
    peers: list[Peer] = field(default_factory=list)

    @property
    def passed(self) -> bool | None:
        """``True``/``False`` against the target, ``None`` for an informational figure."""
        return None if self.target is None else self.target.check(self.value)

    def formatted(self) -> str:
        """The value with its unit, rounded for the table."""
        return f"{_rounded(self.value)}{self.unit}"


@dataclass
class BenchResult:
    """What one benchmark module returns: its figures and the raw numbers behind them."""

    name: str
    title: str
    figures: list[Figure]
    details: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


def machine_info() -> dict[str, Any]:
    """CPU count, Python and library versions: every figure is reported with these."""
    from importlib.metadata import PackageNotFoundError, version

    versions: dict[str, str] = {}
    for package in ("amili-async", "httpx", "anyio", "attrs", "cattrs", "tenacity", "starlette"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:  # pragma: no cover - optional
            versions[package] = "-"
    return {
        "cpu_count": os.cpu_count() or 1,
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "platform": platform.platform(terse=True),
        "machine": platform.machine(),
        "versions": versions,
    }


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of ``values``, linearly interpolated."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * q / 100.0
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def median(values: Sequence[float]) -> float:
    """The median of ``values``."""
    return statistics.median(values)


def _person_number(n: int) -> str:
    # A valid ten-digit Swedish personal number (born 1950-1999), varying with n.
    year = 50 + (n // 28_000) % 50
    day = 1 + (n // 1000) % 28
    nine = f"{year:02d}01{day:02d}{n % 1000:03d}"
    return nine + str(luhn_check_digit(nine))


def registration(n: int, *, prefix: str = "B") -> dict[str, Any]:
    """A valid one-debt registration for the sandbox's default account and creditor.

    The invoice number is ``{prefix}-{n:07d}``: unique per prefix, so runs that
    share a sandbox never collide.
    """
    return {
        "account": ACCOUNT_ID,
        "creditor": CREDITOR_ID,
        "first_action": "debt_collection",
        "currency": "SEK",
        "customer": {
            "name": f"Customer {n}",
            "id_number": _person_number(n),
            "is_company": False,
            "address": {
                "address_line_1": f"Storgatan {n % 90 + 1}",
                "zip_code": "12345",
                "city": "Stockholm",
                "country": "SE",
            },
        },
        "debts": [
            {
                "invoice_number": f"{prefix}-{n:07d}",
                "debt_description": "Services",
                "invoice_date": "Mon, 07 Jul 2025 00:00:00 GMT",
                "capital_to_claim": 1000 + n % 500,
                "invoice_due_days_after_invoice_date": 30,
            }
        ],
    }


def registrations(count: int, *, prefix: str = "B") -> Iterator[dict[str, Any]]:
    """``count`` registrations, generated lazily (nothing is held in memory)."""
    for n in range(count):
        yield registration(n, prefix=prefix)


class StaticJSONTransport(httpx.AsyncBaseTransport):
    """An in-memory transport that answers every request with the same JSON body.

    The cheapest possible server, so that what is timed is the client. It
    optionally waits ``latency`` seconds per request (a network round trip),
    records when each request arrived (``record=True``) and checks the
    ``X-API-Key`` header with ``accept_token`` (401 when it says no).
    """

    def __init__(
        self,
        body: bytes = CASE_JSON,
        *,
        status_code: int = 200,
        record: bool = False,
        accept_token: Callable[[str | None], bool] | None = None,
        clock: Callable[[], float] = time.monotonic,
        latency: float = 0.0,
    ) -> None:
        self._body = body
        self._latency = latency
        self._status_code = status_code
        self._headers = [(b"content-type", b"application/json")]
        self._record = record
        self._accept_token = accept_token
        self._clock = clock
        self.arrivals: list[float] = []
        self.requests = 0
        self.rejected = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Answer at once, with the fixed body (or 401 for a refused token)."""
        self.requests += 1
        if self._latency:
            await anyio.sleep(self._latency)
        if self._record:
            self.arrivals.append(self._clock())
        if self._accept_token is not None and not self._accept_token(
            request.headers.get("x-api-key")
        ):
            self.rejected += 1
            return httpx.Response(
                401,
                headers=self._headers,
                content=b'{"_status": "ERR", "_error": {"code": 401, '
                b'"message": "Please provide proper credentials"}}',
            )
        return httpx.Response(self._status_code, headers=self._headers, content=self._body)


def python_tag() -> str:
    """``3.11.7 (CPython)``."""
    return f"{platform.python_version()} ({platform.python_implementation()})"


def python_executable() -> str:
    """The interpreter to start subprocesses with (this one)."""
    return sys.executable
