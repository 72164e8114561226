"""What the commands print: whole ids and statuses at 80 columns, one way to write amounts,
and every reason the API gives for refusing a row."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from cli_support import results
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from amili_async import OutcomeStatus, RegistrationOutcome, UnprocessableEntityError
from amili_async.cli import main
from amili_async.cli._format import amount_json, money
from amili_async.cli._report import Summary
from amili_async.cli._tables import CaseCells, case_table

IDS = ["68b7f49b62d82c07cdc20950", "68b7f49b62d82c07cdc20951", "68b7f49b62d82c07cdc20952"]
ROWS = [
    CaseCells(
        case=IDS[0],
        status="debt_collection_active",
        state="debt_collection",
        customer="Anna-Karin Andersson Lindqvist",
        id_number="811218****",
        invoice="INV-2025-000123",
        remaining="12,501,250.50 SEK",
    ),
    CaseCells(
        case=IDS[1],
        status="closed",
        state="debt_collection",
        customer="ACME Inc. [bold]x[/]",
        id_number="556026****",
        invoice="INV-2025-000124",
        remaining="0.00 SEK",
        closed="2025-09-03 fully_paid_depreciation",
    ),
    CaseCells(case=IDS[2], error="NotFoundError", message="The requested URL was not found"),
]


def render(width: int) -> str:
    out = io.StringIO()
    Console(file=out, width=width, color_system=None).print(
        case_table(ROWS, title="Cases", width=width)
    )
    return out.getvalue()


@pytest.mark.parametrize("width", [80, 100, 200])
def test_no_id_status_or_amount_is_cut_off(width: int) -> None:
    printed = render(width)
    assert "…" not in printed
    assert all(len(line) <= width for line in printed.splitlines())
    for case_id in IDS:
        assert re.search(rf"\b{case_id}\b", printed)
    for whole in ("debt_collection_active", "fully_paid_depreciation", "12,501,250.50 SEK"):
        assert whole in printed
    assert "NotFoundError" in printed
    assert "[bold]x[/]" in printed  # a customer's name is never read as markup


def test_a_wide_console_gets_one_line_per_case() -> None:
    lines = render(220).splitlines()
    assert len([line for line in lines if any(case_id in line for case_id in IDS)]) == 3
    assert next(line for line in lines if IDS[1] in line).count("fully_paid_depreciation") == 1


def test_status_at_80_columns_shows_whole_ids(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["status", "--sandbox"]) == 0
    printed = capsys.readouterr().out
    assert len(re.findall(r"\b[0-9a-f]{24}\b", printed)) == 3
    assert "…" not in printed
    assert "2,000.00 SEK" in printed


@pytest.mark.parametrize(
    ("amount", "currency", "shown", "as_json"),
    [
        (Decimal("2000"), "SEK", "2,000.00 SEK", "2000.00"),
        (Decimal("14.0"), "SEK", "14.00 SEK", "14.00"),
        (Decimal("1250.5"), None, "1,250.50", "1250.50"),
        (Decimal("-500"), "EUR", "-500.00 EUR", "-500.00"),
        (Decimal("0.005"), "SEK", "0.005 SEK", "0.005"),  # never rounded away
        (None, "SEK", "", None),
    ],
)
def test_amounts_are_written_one_way(
    amount: Decimal | None, currency: str | None, shown: str, as_json: str | None
) -> None:
    assert money(amount, currency) == shown
    assert amount_json(amount) == as_json


@given(
    st.integers(0, 6).flatmap(
        lambda places: st.decimals(allow_nan=False, allow_infinity=False, places=places)
    )
)
def test_a_written_amount_reads_back_as_the_same_amount(amount: Decimal) -> None:
    shown = money(amount, "SEK")
    number = shown.removesuffix(" SEK")
    assert Decimal(number.replace(",", "")) == amount
    assert Decimal(amount_json(amount) or "") == amount
    assert len(number.rpartition(".")[2]) >= 2


def test_the_demo_writes_amounts_the_same_way(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--plain"]) == 0
    printed = capsys.readouterr().out
    assert "2,000.00 SEK" in printed
    assert "14.00 SEK" in printed
    assert "2000.0 " not in printed
    assert "14.0 " not in printed


def refused(issues: dict[str, object]) -> UnprocessableEntityError:
    return UnprocessableEntityError(
        "Insertion failure: 1 document(s) contain(s) error(s)",
        status_code=422,
        method="POST",
        path="/case--registrations",
        issues=issues,
    )


def test_each_field_and_message_of_a_422_is_a_problem_on_its_line() -> None:
    error = refused(
        {
            "creditor": "value 'x' must exist in resource 'creditors'",
            "debts": {"1": {"invoice_number": ["max length is 20", "value 'A' is not unique"]}},
        }
    )
    summary = Summary()
    summary.add(
        RegistrationOutcome(index=0, item={}, status=OutcomeStatus.FAILED, error=error), [7, 9]
    )
    assert summary.failures == [
        "line 7, 9: creditor: value 'x' must exist in resource 'creditors'",
        "line 9: debts.1.invoice_number: max length is 20; value 'A' is not unique",
    ]


def test_a_row_the_api_refuses_shows_why_in_the_problems_and_the_results(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    source = tmp_path / "rows.csv"
    source.write_text(
        "customer_id_number,customer_name,address_line_1,zip_code,city,invoice_number,"
        "debt_description,invoice_date,capital_to_claim\n"
        "5560269986,ACME Inc.,Storgatan 42,12345,Stockholm,INV-1,Services,2025-07-07,2000\n"
    )
    out = tmp_path / "results.jsonl"
    nowhere = "000000000000000000000000"
    argv = ["register", str(source), "--sandbox", "--plain", "--creditor", nowhere]
    assert main([*argv, "--results", str(out)]) == 1

    printed = capsys.readouterr().out
    reason = f"creditor: value '{nowhere}' must exist in resource 'creditors'"
    assert f"line 2: {reason}" in printed
    [record] = results(out)
    assert record["error"]["type"] == "UnprocessableEntityError"
    assert record["error"]["issues"]["creditor"].startswith(f"value '{nowhere}' must exist")
    assert reason in record["error"]["message"]  # the API's words, and why


def test_the_register_summary_adds_up_the_capital_registered(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    source = tmp_path / "rows.csv"
    source.write_text(
        "customer_id_number;customer_name;address_line_1;zip_code;city;invoice_number;"
        "debt_description;invoice_date;capital_to_claim\n"
        "5560269986;ACME Inc.;Storgatan 42;12345;Stockholm;INV-1;Services;2025-07-07;2000\n"
        "5560269986;ACME Inc.;Storgatan 42;12345;Stockholm;INV-2;Services;2025-07-07;1250,5\n"
        "8112189876;Anna;Storgatan 1;12345;Stockholm;INV-3;Services;2025-07-07;-1\n"
    )
    assert main(["register", str(source), "--sandbox", "--plain"]) == 1
    summary = capsys.readouterr().out
    assert re.search(r"capital registered\s+│\s+3,250\.50 SEK", summary)  # the refused -1 is not
