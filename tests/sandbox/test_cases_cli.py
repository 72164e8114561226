"""``amili-async cases list`` on the embedded sandbox: JSON lines, a table, bad input."""

from __future__ import annotations

import json

import pytest

from amili_async.cli import main


def test_json_lines_filter_sort_and_max(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["cases", "list", "--sandbox", "--where", '{"status": "debt_collection"}']
    assert main([*argv, "--sort=-customer_name", "--max", "2", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["customer_name"] for row in rows] == ["Bo Berg", "Anna Andersson"]
    assert {row["status"] for row in rows} == {"debt_collection"}
    assert rows[0]["customer_id_number"] == "750315****"  # never the last four digits
    assert rows[1]["remaining"] == "1250.50"  # two decimals, as a string


def test_a_filter_nothing_matches_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cases", "list", "--sandbox", "--where", '{"status": "closed"}', "--json"]) == 0
    assert capsys.readouterr().out == ""


def test_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cases", "list", "--sandbox", "--plain"]) == 0
    out = capsys.readouterr().out
    assert "Cases (3)" in out
    assert "DEMO-001" in out
    assert "5560269986" not in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--where", "{"], "not JSON"),
        (["--where", "[1]"], "must be a JSON object"),
        (["--max", "0"], "at least 1"),
    ],
)
def test_bad_arguments_are_usage_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["cases", "list", "--sandbox", *argv])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_a_query_the_api_refuses_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    where = '{"status": {"$bogus": 1}}'
    assert main(["cases", "list", "--sandbox", "--where", where]) == 1
    assert "$bogus" in capsys.readouterr().err


def test_cases_without_an_action_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cases"]) == 2
    assert "name an action" in capsys.readouterr().err
