"""Helpers for the command-line tests: a served sandbox the CLI is pointed at, results files."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support import cli_on_backend

from amili_async import ManualClock
from amili_async.sandbox import Sandbox, SandboxServer


def results(path: Path) -> list[dict[str, Any]]:
    """The JSON lines of a ``--results`` file."""
    return [json.loads(line) for line in path.read_text().splitlines()]


def scope(sandbox: Sandbox) -> list[str]:
    """``--account`` and ``--creditor`` of the sandbox's creditor."""
    return ["--account", sandbox.account_id, "--creditor", sandbox.creditor_id]


def serve_three_cases(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Sandbox, list[str]]]:
    """Serve a sandbox with three 1,000 SEK cases and point the CLI's environment at it."""
    sandbox = Sandbox(clock=ManualClock(), seed=3)
    with SandboxServer(sandbox, port=0) as server:
        monkeypatch.setenv("AMILI_API_KEY", sandbox.api_key)
        monkeypatch.setenv("AMILI_BASE_URL", server.base_url)
        cli_on_backend(monkeypatch)
        for name in ("AMILI_API_CODE", "AMILI_PRIVATE_KEY"):
            monkeypatch.delenv(name, raising=False)
        cases = [_register(sandbox, server.base_url, f"INV-{n}") for n in range(3)]
        yield sandbox, cases


def _register(sandbox: Sandbox, base_url: str, invoice_number: str) -> str:
    body = {
        "account": sandbox.account_id,
        "creditor": sandbox.creditor_id,
        "first_action": "debt_collection",
        "currency": "SEK",
        "customer": {
            "name": "ACME AB",
            "id_number": "5560269986",
            "is_company": True,
            "address": {"address_line_1": "Gatan 1", "zip_code": "12345", "city": "Sthlm"},
        },
        "debts": [
            {
                "invoice_number": invoice_number,
                "debt_description": "Goods",
                "invoice_date": "Mon, 07 Jul 2025 00:00:00 GMT",
                "capital_to_claim": 1000,
                "invoice_due_days_after_invoice_date": 30,
            }
        ],
    }
    answer = httpx.post(
        base_url + "/case--registrations", json=body, headers={"X-API-Key": sandbox.api_key}
    )
    return str(answer.json()["_cases"][0])
