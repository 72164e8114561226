"""``status`` and ``watch`` as a person uses them: ids from files and pipes, JSON, --until."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import scope, serve_three_cases

from amili_async.cli import main
from amili_async.cli._ids import ids_in
from amili_async.cli._watch import UNTIL_VALUES, until_values
from amili_async.sandbox import Sandbox

UNKNOWN = "0123456789abcdef01234567"


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Sandbox, list[str]]]:
    """A served sandbox with three 1,000 SEK cases; the CLI is pointed at it."""
    yield from serve_three_cases(monkeypatch)


def json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines()]


@pytest.mark.network
def test_status_json_of_ids_from_a_file_one_object_per_case(
    served: tuple[Sandbox, list[str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox, cases = served
    assert main(["cancel", cases[1], *scope(sandbox), "--plain"]) == 0
    capsys.readouterr()
    ids = tmp_path / "ids.txt"
    ids.write_text(f"# cases to check\n{cases[0]}\n\n  {cases[1]}  # cancelled\n{cases[0]}\n")

    assert main(["status", "--ids-file", str(ids), "--json"]) == 0

    first, cancelled = json_lines(capsys.readouterr().out)  # the repeated id is read once
    assert first == {
        "id": cases[0],
        "status": "initializing",
        "state": "initializing",
        "customer_name": "ACME AB",
        "customer_id_number": "556026****",
        "invoice_number": "INV-0",
        "remaining": "1000.00",
        "currency": "SEK",
        "closed": None,
    }
    closed = cancelled["closed"]
    assert isinstance(closed, dict)
    assert closed["reason"] == "cancelled"
    assert closed["date"].endswith("+00:00")  # ISO 8601, UTC
    assert "T" in closed["date"]


@pytest.mark.network
def test_status_json_names_a_case_that_could_not_be_read(
    served: tuple[Sandbox, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    _, cases = served
    assert main(["status", cases[2], UNKNOWN, "--json"]) == 1
    found, missing = json_lines(capsys.readouterr().out)
    assert found["id"] == cases[2]
    assert missing["id"] == UNKNOWN
    assert isinstance(missing["error"], dict)
    assert missing["error"]["type"] == "NotFoundError"


@pytest.mark.network
def test_status_reads_ids_from_standard_input_given_as_a_dash(
    served: tuple[Sandbox, list[str]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, cases = served
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{cases[0]}\n# comment\n{cases[2]}\n"))
    assert main(["status", "-", "--json"]) == 0
    assert [row["id"] for row in json_lines(capsys.readouterr().out)] == [cases[0], cases[2]]


@pytest.mark.network
def test_status_reads_piped_ids_when_none_is_named(
    served: tuple[Sandbox, list[str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, cases = served
    piped = tmp_path / "piped.txt"
    piped.write_text("\n".join(cases) + "\n")
    with piped.open() as stdin:  # a redirected file, as `status < piped.txt` gives
        monkeypatch.setattr(sys, "stdin", stdin)
        assert main(["status", "--json"]) == 0
    assert [row["id"] for row in json_lines(capsys.readouterr().out)] == cases


def test_no_ids_anywhere_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # not a pipe: never read unasked
    assert main(["status"]) == 2
    assert "--ids-file" in capsys.readouterr().err
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing here\n\n")
    assert main(["watch", "--ids-file", str(empty)]) == 2
    assert main(["status", "--ids-file", str(tmp_path / "missing.txt")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_ids_are_one_per_line_with_comments_and_blanks_skipped() -> None:
    assert ids_in(["a1", "", "  # note", "b2  # trailing", "\tc3\r"], "x") == ["a1", "b2", "c3"]
    with pytest.raises(Exception, match=r"ids\.txt, line 2: 'a1 b2' is not one id"):
        ids_in(["ok", "a1 b2"], "ids.txt")


def test_watch_ids_from_a_file_on_the_embedded_sandbox(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text(f"{UNKNOWN}\n")
    assert main(["watch", "--sandbox", "--plain", "--ids-file", str(ids)]) == 1
    printed = capsys.readouterr().out
    assert UNKNOWN in printed
    assert "NotFoundError" in printed


@pytest.mark.parametrize("typo", ["closd", "closed,bogus", ",", "Closed"])
def test_watch_until_a_value_no_case_can_have_is_a_usage_error(
    typo: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["watch", "--sandbox", "--until", typo])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "argument --until" in err
    assert "debt_collection_active" in err  # the valid values are listed
    assert "closed" in err


def test_until_takes_every_status_and_state() -> None:
    assert "closed" in UNTIL_VALUES
    assert {"invoice", "initializing", "reminder", "debt_collection"} <= set(UNTIL_VALUES)
    assert until_values(" reminder , debt_collection ") == {"reminder", "debt_collection"}


def test_watch_until_a_status_stops_there_before_the_case_closes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["watch", "--sandbox", "--plain", "--until", "debt_collection"]) == 0
    printed = capsys.readouterr().out
    assert printed.count("reached") == 3
    assert "paid" not in printed  # the customer pays only once collection has started
    assert "2,000.00 SEK" in printed
    assert "1,250.50 SEK" in printed


def test_watch_prints_amounts_one_way(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["watch", "--sandbox", "--plain"]) == 0
    printed = capsys.readouterr().out
    assert "paid 2,000.00 SEK" in printed
    assert "0.00 SEK" in printed
    assert " 2000 " not in printed
    assert "1250.5 " not in printed
