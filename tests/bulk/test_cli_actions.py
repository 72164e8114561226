"""The command line: credit and cancel cases from a file (resumably), invoices register FILE."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import results, scope, serve_three_cases

from amili_async.cli import main
from amili_async.sandbox import Sandbox


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Sandbox, list[str]]]:
    """A served sandbox with three 1,000 SEK cases; the CLI is pointed at it."""
    yield from serve_three_cases(monkeypatch)


@pytest.mark.network
def test_credit_a_file_then_rerun_from_the_journal(
    served: tuple[Sandbox, list[str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox, cases = served
    rows = tmp_path / "credit.csv"
    rows.write_text(
        "case,invoice_number,amount,creditor_reference\n"
        f"{cases[0]},,250,CR-1\n"
        f',INV-1,"1500,00",CR-2\n'
        f"{cases[2]},,10,\n"
    )
    journal, out = tmp_path / "credit.sqlite", tmp_path / "credit.jsonl"
    args = ["credit", "--file", str(rows), "--journal", str(journal), "--results", str(out)]
    args += scope(sandbox)
    assert main([*args, "--plain"]) == 1
    first = {tuple(record["lines"]): record for record in results(out)}
    assert first[(2,)]["outcome"] == "created"
    assert first[(2,)]["settled_amount"] == "250.00"
    assert first[(3,)]["status"] == "warning"
    assert first[(3,)]["settled_amount"] == "1000.00"
    assert "creditor_reference" in first[(4,)]["error"]["issues"]
    printed = capsys.readouterr().out
    assert "line 4: creditor_reference" in printed
    assert "1,250.00 SEK" in printed  # what was credited: 250 and the 1,000 still owed

    assert main([*args, "--plain"]) == 1
    again = {tuple(record["lines"]): record for record in results(out)}
    assert again[(2,)]["from_journal"]
    assert again[(3,)]["from_journal"]
    assert len(sandbox.creditings()) == 2
    assert sandbox.case(cases[1])["closed"]["reason"] == "credited"


@pytest.mark.network
def test_cancel_one_case_and_a_file(served: tuple[Sandbox, list[str]], tmp_path: Path) -> None:
    sandbox, cases = served
    assert main(["cancel", cases[0], "--plain", *scope(sandbox)]) == 0
    rows = tmp_path / "cancel.jsonl"
    rows.write_text(
        json.dumps({"case": cases[0]})
        + "\n"
        + json.dumps({"invoice_number": "INV-2"})
        + "\n{oops\n"
    )
    out = tmp_path / "cancel.jsonl.out"
    args = ["cancel", "--file", str(rows), "--results", str(out), "--plain", *scope(sandbox)]
    assert main(args) == 1
    records = {tuple(record["lines"]): record for record in results(out)}
    assert records[(1,)]["status"] == "warning"  # cancelled already: harmless
    assert records[(2,)]["status"] == "completed"
    assert records[(3,)]["error"]["type"] == "RowError"
    assert sandbox.case(cases[2])["closed"]["reason"] == "cancelled"
    assert len(sandbox.cancellations()) == 3


def test_credit_on_the_embedded_sandbox_acts_on_a_demo_case(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "one.jsonl"
    args = ["credit", "--sandbox", "--amount", "100", "--reference", "CR-9", "--plain"]
    assert main([*args, "--results", str(out)]) == 0
    [record] = results(out)
    assert record["outcome"] == "created"
    assert record["settled_amount"] == "100.00"
    assert "Crediting summary" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["credit", "68b7f49b62d82c07cdc20950"], "--amount and --reference"),
        (["cancel"], "CASE_ID or --file"),
        (["cancel", "68b7f49b62d82c07cdc20950", "--file", "x.csv"], "not both"),
        (["cancel", "--file", "missing.csv", "--sandbox"], "no such file"),
    ],
)
def test_usage_errors(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    assert message in capsys.readouterr().err


def test_invoices_register_a_csv(tmp_path: Path) -> None:
    rows = tmp_path / "invoices.csv"
    rows.write_text(
        "invoice_number,invoice_date,debt_description,customer_name,customer_id_number,"
        "address_line_1,zip_code,city,article_description,unit_price,number_of_units\n"
        "INV-1,2025-09-01,Consulting,Anna Andersson,8112189876,Gatan 1,12345,Sthlm,Hours,500,2\n"
        "INV-1,2025-09-01,Again,Anna Andersson,8112189876,Gatan 1,12345,Sthlm,Hours,500,2\n"
        'INV-2,2025-09-01,Goods,ACME AB,5560269986,Gatan 2,12345,Sthlm,Widget,"99,50",3\n'
    )
    out = tmp_path / "invoices.jsonl"
    assert (
        main(["invoices", "register", str(rows), "--sandbox", "--plain", "--results", str(out)])
        == 1
    )
    records = results(out)
    assert [record["outcome"] for record in records if record["lines"] != [3]] == [
        "created",
        "created",
    ]
    duplicate = next(record for record in records if record["lines"] == [3])
    assert "earlier item" in duplicate["error"]["issues"]["invoice_number"]
    assert all(record["case"] for record in records if record["outcome"] == "created")


def test_invoices_without_a_subcommand_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["invoices"]) == 2
