"""The SDK against the sandbox through the ``amili_sandbox`` pytest fixture, and the CLI."""

from __future__ import annotations

import signal
import sys
from decimal import Decimal

import httpx
import pytest
from sandbox_support import payment, registration, start_serve

from amili_async.cli import main
from amili_async.sandbox import Sandbox
from amili_async.sandbox.pytest_plugin import SandboxFixture


@pytest.mark.anyio
async def test_the_five_steps_through_the_sdk(amili_sandbox: SandboxFixture) -> None:
    client = amili_sandbox.client
    async with client:
        registration_ = await client.case_registrations.create(registration())
        case_id = registration_.cases[0]
        assert registration_.ocr_numbers_ocr[0].isdigit()
        upload = await client.media.upload(case_id, b"%PDF-1.4 x", filename="invoice.pdf")
        assert "/_sandbox/files/" in upload.url

        amili_sandbox.advance(hours=2)
        case = await client.cases.get(case_id)
        assert case.status == "debt_collection"
        assert case.total_remaining_capital_amount == Decimal(2000)
        assert case.total_remaining_interest_amount == Decimal(14)
        assert case.original_invoice is not None
        assert case.original_invoice.filename == "invoice.pdf"

        paid = await client.creditor_payments.create(payment(case_id))
        assert paid.payment_status == "completed"
        case = await client.cases.get(case_id)
        assert case.status == "closed"
        assert case.closed is not None
        assert case.closed.reason == "fully_paid_depreciation"
        assert case.total_remaining_transaction_amount == 0

        listed = [c.id async for c in client.cases.list(where={"status": "closed"})]
        assert listed == [case_id]


@pytest.mark.anyio
async def test_sdk_recovers_from_injected_faults(amili_sandbox: SandboxFixture) -> None:
    sandbox = amili_sandbox.sandbox
    async with amili_sandbox.client as client:
        amili_sandbox.faults.error(503, retry_after=1, path="/case--registrations", times=2)
        created = await client.case_registrations.create(registration())
        assert len(sandbox.registrations()) == 1

        amili_sandbox.faults.drop_after_commit(method="POST", path="/creditor--payments", times=1)
        body = payment(created.cases[0], 500, creditor_payment_reference="PAY-42")
        paid = await client.creditor_payments.create(body)
        assert paid.creditor_payment_reference == "PAY-42"
        assert len(sandbox.payments()) == 1
    assert sandbox.faults.injected["error"] == 2
    assert sandbox.faults.injected["drop_after_commit"] == 1


def test_fixture_exposes_sandbox_clock_and_faults(amili_sandbox: SandboxFixture) -> None:
    assert isinstance(amili_sandbox.sandbox, Sandbox)
    assert amili_sandbox.clock is amili_sandbox.sandbox.clock
    assert amili_sandbox.faults is amili_sandbox.sandbox.faults
    assert amili_sandbox.sandbox.api_key not in repr(amili_sandbox)


class TestFixtureOptions:
    """Overriding ``amili_sandbox_options`` customises the fixture's sandbox."""

    @pytest.fixture
    def amili_sandbox_options(self) -> dict[str, object]:
        """Options for the fixture in this class."""
        return {"seed": 99, "reference_rate": Decimal("4.0")}

    def test_options_reach_the_sandbox(self, amili_sandbox: SandboxFixture) -> None:
        assert amili_sandbox.sandbox.seed == 99
        assert amili_sandbox.sandbox.reference_rate == Decimal("4.0")


def test_demo_runs_offline(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--plain"]) == 0
    output = capsys.readouterr().out
    assert "fully_paid_depreciation" in output
    assert "debt_collection" in output


def test_cli_without_a_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "sandbox" in capsys.readouterr().out
    assert main(["sandbox"]) == 2


def test_cli_refuses_a_public_host(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sandbox", "serve", "--host", "0.0.0.0", "--port", "0"]) == 1
    assert "loopback" in capsys.readouterr().err


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT")
@pytest.mark.network(httpx_only="the command runs in a child process, on its default backend")
def test_cli_serves_until_interrupted() -> None:
    process = start_serve("--port", "0", "--seed", "4", "--log-level", "warning")
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip().removeprefix("Base URL: ")
        api_key = process.stdout.readline().strip().removeprefix("API key: ")
        assert base_url.startswith("http://127.0.0.1:")
        assert api_key == Sandbox(seed=4).api_key
        for _ in range(200):
            try:
                ready = httpx.get(base_url + "/", timeout=1)
                break
            except httpx.TransportError:
                import time

                time.sleep(0.01)
        assert ready.status_code == 200
        cases = httpx.get(base_url + "/cases", headers={"X-API-Key": api_key})
        assert cases.json()["_meta"]["total"] == 0
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=10)  # also closes the pipes
    assert process.returncode in (0, 130, -signal.SIGINT)
