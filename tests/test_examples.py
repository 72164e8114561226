"""Every script in ``examples/`` runs, offline against the sandbox, and says what it should.

The scripts run as a user runs them (``python examples/x.py``), all started at
once so that the suite waits for the slowest, not for the sum. The FastAPI
service is also driven in process through ``httpx.ASGITransport``, and the
user's own pytest suite runs under pytest. ``.ci/typecheck-callers`` checks
the same files under ``mypy --strict``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from types import ModuleType
from typing import Any, get_type_hints, is_typeddict

import anyio
import httpx
import pytest

from amili_async import AmiliClient, ConfigurationError
from amili_async.sandbox import (
    CaseDocument,
    ClosedDocument,
    PaymentDocument,
    RegistrationDocument,
    Sandbox,
    SandboxFixture,
    StatusChangeDocument,
    TransactionDocument,
)
from amili_async.sandbox import pytest_plugin as plugin

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
TIMEOUT = 120  # seconds; each run takes about one on an idle machine

JSONL_ROW: dict[str, Any] = {
    "customer": {
        "name": "ACME Inc.",
        "id_number": "5560269986",
        "is_company": True,
        "address": {"address_line_1": "Storgatan 42", "zip_code": "12345", "city": "Stockholm"},
    },
    "debts": [
        {
            "invoice_number": "JSONL-1",
            "debt_description": "Services",
            "invoice_date": "Mon, 07 Jul 2025 00:00:00 GMT",
            "capital_to_claim": 10,
            "invoice_due_days_after_invoice_date": 30,
        }
    ],
}

#: Each run: its command line (after ``python``) and lines its output must hold.
RUNS: dict[str, tuple[list[str], list[str]]] = {
    "sandbox_faults": (
        ["examples/sandbox_faults.py"],
        [
            "found after a lost answer: True",
            "waited 1.0 s of sandbox time, as Retry-After said",
            "registrations stored: 1 (no duplicate)",
            "status now: debt_collection",
        ],
    ),
    "watch_cases": (
        ["examples/watch_cases.py"],
        ["all 3 cases closed after", "reached debt_collection"],
    ),
    "bulk_register": (
        ["examples/bulk_register.py"],
        [
            "row 17 failed: invalid input in NewCaseRegistration: debts.0.capital_to_claim",
            "progress: 120/120 done, 0 in flight",
            "registrations stored: 119 for 119 registered rows (no duplicate)",
        ],
    ),
    "bulk_register_jsonl": (
        ["examples/bulk_register.py", "{jsonl}"],
        ["registrations stored: 1 for 1 registered rows (no duplicate)"],
    ),
    "fastapi_service": (
        ["examples/fastapi_service.py"],
        ["POST /cases -> 201", "POST the same invoice again -> 200", "registrations stored: 1"],
    ),
    "user_suite": (
        ["-m", "pytest", "examples/user_suite", "-q", "-p", "no:cacheprovider"],
        ["7 passed"],
    ),
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, subprocess.Popen[str]]]:
    """Every run of :data:`RUNS`, started at once in the project folder."""
    jsonl = tmp_path_factory.mktemp("rows") / "rows.jsonl"
    jsonl.write_text(json.dumps(JSONL_ROW) + "\n\n")
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    environment.pop("AMILI_SANDBOX", None)
    started = {
        name: subprocess.Popen(
            [sys.executable, *(part.format(jsonl=jsonl) for part in command)],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for name, (command, _) in RUNS.items()
    }
    yield started
    for process in started.values():
        if process.poll() is None:
            process.kill()
        process.communicate()


@pytest.mark.parametrize("name", list(RUNS))
def test_example_runs_and_says_so(name: str, runs: dict[str, subprocess.Popen[str]]) -> None:
    output, _ = runs[name].communicate(timeout=TIMEOUT)
    assert runs[name].returncode == 0, output
    for line in RUNS[name][1]:
        assert line in output, output
    assert "Traceback" not in output
    assert "Warning" not in output, output


def test_every_example_is_run() -> None:
    scripts = {path.relative_to(ROOT).as_posix() for path in EXAMPLES.glob("*.py")}
    run = {part for command, _ in RUNS.values() for part in command if part.endswith(".py")}
    assert scripts == run
    suites = {path.parent.relative_to(ROOT).as_posix() for path in EXAMPLES.glob("*/test_*.py")}
    assert suites <= {part for command, _ in RUNS.values() for part in command}


# --- the FastAPI service, in process ---------------------------------------------------------


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses and FastAPI look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def service(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.setenv("AMILI_SANDBOX", "1")
    return _load("fastapi_service")


@asynccontextmanager
async def _serving(service: ModuleType) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        service.lifespan(service.app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=service.app), base_url="http://service"
        ) as http,
    ):
        yield http


INVOICE: dict[str, Any] = {
    "customer_name": "Anna Andersson",
    "customer_id_number": "8112189876",
    "address_line_1": "Storgatan 1",
    "zip_code": "11122",
    "city": "Stockholm",
    "invoice_number": "INV-T-1",
    "description": "Goods",
    "invoice_date": "2025-07-07",
    "amount": "150.25",
}


@pytest.mark.anyio
async def test_fastapi_service_registers_once_and_reports_the_status(service: ModuleType) -> None:
    async with _serving(service) as http:
        created = await http.post("/cases", json=INVOICE)
        again = await http.post("/cases", json=INVOICE)
        sandbox: Sandbox = service.get_sandbox()
        sandbox.advance(hours=2)
        status = await http.get(f"/cases/{created.json()['case_id']}")

    assert created.status_code == 201
    assert (again.status_code, again.json()) == (200, created.json())
    assert len(sandbox.registrations()) == 1
    (stored,) = sandbox.cases()
    assert stored["debt"]["invoice_date"] == "Mon, 07 Jul 2025 00:00:00 GMT"
    assert status.json() == {
        "case_id": stored["_id"],
        "status": "debt_collection",
        "remaining": str(stored["total_remaining_transaction_amount"]),
        "currency": "SEK",
        "closed_reason": None,
    }


@pytest.mark.anyio
async def test_fastapi_service_turns_the_sdk_errors_into_answers(service: ModuleType) -> None:
    async with _serving(service) as http:
        refused = await http.post("/cases", json={**INVOICE, "customer_id_number": "8112189875"})
        missing = await http.get("/cases/000000000000000000000000")
        service.get_sandbox().faults.error(500, method="GET", path="/cases/*")
        down = await http.get("/cases/000000000000000000000000")
        sent = [entry.path for entry in service.get_sandbox().request_log]

    assert refused.status_code == 422
    assert list(refused.json()["issues"]) == ["customer.id_number"]
    assert (missing.status_code, missing.json()) == (404, {"detail": "no such case"})
    assert (down.status_code, down.json()) == (502, {"detail": "Amili: ServerError"})
    assert sent.count("/case--registrations") == 0  # the bad invoice was never sent
    assert service.get_sandbox.__doc__


def test_fastapi_service_closes_its_client_on_shutdown(service: ModuleType) -> None:
    async def start_and_stop() -> AmiliClient:
        async with service.lifespan(service.app):
            client: AmiliClient = service.app.state.amili.client
        assert not hasattr(service.app.state, "amili")
        return client

    client = anyio.run(start_and_stop)
    with pytest.raises(ConfigurationError, match="client is closed"):
        anyio.run(client.cases.get, "000000000000000000000000")


def test_fastapi_service_reads_the_real_api_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service = _load("fastapi_service")
    monkeypatch.delenv("AMILI_SANDBOX", raising=False)
    monkeypatch.setenv("AMILI_API_KEY", "key-from-the-environment")
    monkeypatch.setenv("AMILI_BASE_URL", "https://api.example.test")
    monkeypatch.setenv("AMILI_ACCOUNT", "account-1")
    monkeypatch.setenv("AMILI_CREDITOR", "creditor-1")

    amili = service.connect()

    assert amili.client.base_url.startswith("https://api.example.test")
    assert (amili.account, amili.creditor, amili.sandbox) == ("account-1", "creditor-1", None)
    assert "key-from-the-environment" not in repr(amili)
    anyio.run(amili.client.aclose)


# --- what a user imports and inspects ----------------------------------------------------------


def test_sandbox_fixture_is_importable_from_the_sandbox_without_pytest() -> None:
    assert SandboxFixture is plugin.SandboxFixture
    code = "import sys, amili_async.sandbox as s; s.SandboxFixture; print('pytest' in sys.modules)"
    checked = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert checked.stdout.strip() == "False"


def _assert_shape(document: Mapping[str, object], shape: type[Any]) -> None:
    """``document`` has every required key of the TypedDict ``shape`` and no key it lacks."""
    keys = set(document)
    assert shape.__required_keys__ <= keys, (shape.__name__, shape.__required_keys__ - keys)
    assert keys <= shape.__required_keys__ | shape.__optional_keys__, (
        shape.__name__,
        keys - shape.__required_keys__ - shape.__optional_keys__,
    )


@pytest.mark.anyio
async def test_sandbox_documents_have_the_declared_shape(
    amili_sandbox: plugin.SandboxFixture,
) -> None:
    sandbox, client = amili_sandbox.sandbox, amili_sandbox.client
    registration = JSONL_ROW | {"account": sandbox.account_id, "creditor": sandbox.creditor_id}
    closing = await client.case_registrations.create(registration)
    reminded = await client.case_registrations.create(
        registration
        | {
            "first_action": "reminder",
            "debts": [{**JSONL_ROW["debts"][0], "invoice_number": "R-1"}],
        }
    )
    await client.media.upload(closing.cases[0], b"%PDF-1.4\n", filename="invoice.pdf")
    amili_sandbox.advance(hours=2)
    await client.creditor_payments.create(
        {
            "account": sandbox.account_id,
            "creditor": sandbox.creditor_id,
            "case": closing.cases[0],
            "amount": 10,
            "bank_transaction_date": amili_sandbox.clock.now(),
            "creditor_payment_reference": "PAY-1",
        }
    )
    amili_sandbox.advance(days=1)

    cases = sandbox.cases()
    assert {case["_id"] for case in cases} == {closing.cases[0], reminded.cases[0]}
    assert {case["status"] for case in cases} == {"closed", "reminder"}
    for case in [*cases, sandbox.case(reminded.cases[0])]:
        _assert_shape(case, CaseDocument)
        for change in case["status_history"]:
            _assert_shape(change, StatusChangeDocument)
        for transaction in case["transactions"]:
            _assert_shape(transaction, TransactionDocument)
    assert "closed" in get_type_hints(CaseDocument)
    _assert_shape(sandbox.case(closing.cases[0])["closed"], ClosedDocument)
    for stored in sandbox.registrations():
        _assert_shape(stored, RegistrationDocument)
    (payment,) = sandbox.payments()
    _assert_shape(payment, PaymentDocument)


def test_the_documents_are_typed_dicts() -> None:
    for shape in (CaseDocument, RegistrationDocument, PaymentDocument, TransactionDocument):
        assert is_typeddict(shape)
    assert CaseDocument.__optional_keys__ >= {"closed", "limitation", "original_invoice"}
