"""Helpers shared by the sandbox tests: documented payloads and an httpx client on a sandbox."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from amili_async._serde import loads
from amili_async.sandbox import Sandbox

BASE_URL = "https://api-sandbox.amili.se"
EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "api-examples"
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def example(name: str) -> Any:
    """A documented payload from ``tests/data/api-examples`` (numbers as Python parses them)."""
    return json.loads((EXAMPLES / name).read_text())


def registration(**changes: Any) -> dict[str, Any]:
    """The documented registration request, with top-level ``changes``."""
    body: dict[str, Any] = copy.deepcopy(example("01-case-registration.request.json"))
    body.update(changes)
    return body


def debt(invoice_number: str, capital: Any = 2000.0, **changes: Any) -> dict[str, Any]:
    """A debt like the documented one."""
    base = dict(example("01-case-registration.request.json")["debts"][0])
    base.update(invoice_number=invoice_number, capital_to_claim=capital, **changes)
    return base


def payment(case_id: str, amount: Any = 2000.0, **changes: Any) -> dict[str, Any]:
    """The documented creditor payment for ``case_id``."""
    body: dict[str, Any] = dict(example("04-creditor-payment.request.json"))
    body.update(case=case_id, amount=amount, **changes)
    return body


def client(sandbox: Sandbox, key: str | None = None) -> httpx.AsyncClient:
    """A plain httpx client on the sandbox, in process, with the static key (or ``key``)."""
    return httpx.AsyncClient(
        transport=sandbox.transport(),
        base_url=BASE_URL,
        headers={"X-API-Key": key if key is not None else sandbox.api_key},
    )


def shape(value: Any) -> Any:
    """Value types, recursively: what 'same keys and value types' compares."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value]
    return type(value).__name__


def decimal_json(response: httpx.Response) -> Any:
    """The body with exact ``Decimal`` amounts."""
    return loads(response.content)


async def register(http: httpx.AsyncClient, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """Register (the documented body by default) and return the 201 answer."""
    response = await http.post("/case--registrations", json=body or registration())
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


class SleepRecorder:
    """Stands in for the sandbox's sleep: records injected latency, waits for nothing."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def start_serve(*arguments: str) -> subprocess.Popen[str]:
    """``amili-async sandbox serve ARGUMENTS`` in a child process with unbuffered text output."""
    command = [sys.executable, "-c", "from amili_async.cli import main; raise SystemExit(main())"]
    return subprocess.Popen(
        [*command, "sandbox", "serve", *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
