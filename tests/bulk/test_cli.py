"""The command line: register a CSV on the embedded sandbox, resume it, status and watch."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from amili_async.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def results(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_register_the_example_file_reports_the_invalid_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "results.jsonl"
    journal = tmp_path / "job.sqlite"
    args = ["register", str(EXAMPLES / "cases.csv"), "--sandbox", "--plain"]
    args += ["--journal", str(journal), "--results", str(out), "--concurrency", "4"]

    assert main(args) == 1  # two rows are invalid on purpose

    records = results(out)
    assert len(records) == 14  # 14 customers in 50 rows
    assert sum(len(record["lines"]) for record in records) == 50
    failed = {record["lines"][0]: record for record in records if record["outcome"] == "failed"}
    assert sorted(failed) == [14, 35]
    assert "customer.id_number" in failed[14]["error"]["issues"]
    assert "debts.0.capital_to_claim" in failed[35]["error"]["issues"]
    created = [record for record in records if record["outcome"] == "created"]
    assert len(created) == 12
    for record in created:
        assert len(record["case_ids"]) == len(record["invoice_numbers"]) == len(record["lines"])
        assert len(record["ocr_numbers"]) == len(record["case_ids"])
        assert record["customer"].endswith("****")
    acme = next(record for record in created if "INV-2025-1003" in record["invoice_numbers"])
    assert len(acme["lines"]) == 6
    assert acme["lines"] != sorted(range(2, 8))
    printed = capsys.readouterr().out
    assert "line 14: customer.id_number" in printed
    assert "line 35: debts.0.capital_to_claim" in printed
    assert "8808083335" not in printed + out.read_text()


def test_register_jsonl_with_unreadable_lines(tmp_path: Path) -> None:
    source = tmp_path / "rows.jsonl"
    row = {
        "customer_id_number": "5560269986",
        "customer_name": "ACME Inc.",
        "address_line_1": "Storgatan 42",
        "zip_code": "12345",
        "city": "Stockholm",
        "invoice_number": "INV-1",
        "debt_description": "Services",
        "invoice_date": "Mon, 07 Jul 2025 00:00:00 GMT",
        "capital_to_claim": 2000.0,
    }
    lines = [json.dumps(row), "{not json", json.dumps({**row, "invoice_number": "INV-2"}), "[1]"]
    source.write_text("\n".join(lines) + "\n")
    out = tmp_path / "results.jsonl"

    assert main(["register", str(source), "--sandbox", "--plain", "--results", str(out)]) == 1

    records = results(out)
    [registered] = [record for record in records if record["outcome"] == "created"]
    assert registered["lines"] == [1, 3]
    assert registered["invoice_numbers"] == ["INV-1", "INV-2"]
    unreadable = sorted(record["lines"][0] for record in records if record["outcome"] == "failed")
    assert unreadable == [2, 4]


RESULT_KEYS = [
    "lines",
    "outcome",
    "from_journal",
    "customer",
    "invoice_numbers",
    "registration_id",
    "case_ids",
    "ocr_numbers",
    "error",
]


def test_one_number_spelt_two_ways_is_one_customer_and_every_result_line_has_one_shape(
    tmp_path: Path,
) -> None:
    source = tmp_path / "rows.csv"
    header = "customer_id_number,customer_name,address_line_1,zip_code,city,"
    header += "invoice_number,debt_description,invoice_date,capital_to_claim"
    rows = [
        "556026-9986,ACME Inc.,Storgatan 42,12345,Stockholm,INV-1,Services,2025-07-07,2000",
        '5560269986,ACME Inc.,Storgatan 42,12345,Stockholm,INV-2,Services,2025-07-07,"1250,50"',
        "8112189876,Anna,Storgatan 1,12345,Stockholm,INV-3,Services,2025-07-07,-5",
        "7503150000,Bo Berg,Storgatan 2,12345,Stockholm,INV-4,Services,2025-07-07,640,00",
    ]
    source.write_text("\n".join([header, *rows]) + "\n")
    out = tmp_path / "results.jsonl"

    assert main(["register", str(source), "--sandbox", "--plain", "--results", str(out)]) == 1

    records = results(out)
    assert all(list(record) == RESULT_KEYS for record in records)
    by_line = {record["lines"][0]: record for record in records}
    acme, anna, broken = by_line[2], by_line[4], by_line[5]
    assert acme["lines"] == [2, 3]
    assert acme["outcome"] == "created"
    assert acme["customer"] == "556026****"
    assert anna["error"]["issues"] == {"debts.0.capital_to_claim": "must be greater than 0, got -5"}
    assert broken["error"] == {
        "type": "RowError",
        "message": "more fields than the header has columns",
        "issues": None,
    }


def test_register_usage_errors_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AMILI_API_KEY", raising=False)
    assert main(["register", str(EXAMPLES / "cases.csv")]) == 2
    assert "AMILI_API_KEY" in capsys.readouterr().err
    assert main(["register", str(tmp_path / "missing.csv"), "--sandbox"]) == 2
    assert main(["register", str(tmp_path / "rows.txt"), "--sandbox"]) == 2
    with pytest.raises(SystemExit) as exited:
        main(["register", "--concurrency", "0", "x.csv"])
    assert exited.value.code == 2
    monkeypatch.setenv("AMILI_API_KEY", "sk_test_cli")
    assert main(["register", str(EXAMPLES / "cases.csv")]) == 2  # no account or creditor
    assert "--account" in capsys.readouterr().err


def test_status_and_watch_on_the_sandbox(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--sandbox", "--plain"]) == 0
    assert "initializing" in capsys.readouterr().out

    assert main(["watch", "--sandbox", "--plain", "--until", "closed"]) == 0
    printed = capsys.readouterr().out
    assert printed.count("paid") == 3
    assert printed.count("reached") == 3


def test_status_of_an_unknown_case_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--sandbox", "--plain", "000000000000000000000000"]) == 1
    assert "NotFoundError" in capsys.readouterr().out
    assert main(["watch", "--plain"]) == 2
