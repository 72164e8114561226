"""``register`` and ``sandbox serve`` under bad input: odd files, odd options, no tracebacks."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import amili_async.sandbox
from amili_async.cli import main
from amili_async.cli._common import UsageError
from amili_async.cli._rows import MAX_FIELD_CHARS, Row, RowError, read_rows

HEADER = (
    "customer_id_number,customer_name,address_line_1,zip_code,city,"
    "invoice_number,debt_description,invoice_date,capital_to_claim"
)
CUSTOMERS = [
    ("5560269986", "ACME Inc."),
    ("8112189876", "Anna Andersson"),
    ("7503150000", "Bo Berg"),
    ("5534567895", "Åsa Öberg AB"),
    ("9001011239", "Cecilia Carlsson"),
]


def csv_row(number: int, *, separator: str = ",", extra: str = "") -> str:
    id_number, name = CUSTOMERS[number]
    fields = [id_number, name, "Storgatan 1", "12345", "Stockholm", f"INV-{number}"]
    fields += ["Services", "2025-07-07", "1250,50" if separator == ";" else "1250.50"]
    if extra:
        fields.append(extra)
    return separator.join(fields)


def results(path: Path) -> dict[int, dict[str, Any]]:
    records = [json.loads(line) for line in path.read_text().splitlines()]
    return {record["lines"][0]: record for record in records}


def register(source: Path, *options: str) -> tuple[int, Path]:
    out = source.with_name("results.jsonl")
    args = ["register", str(source), "--sandbox", "--plain", "--results", str(out), *options]
    return main(args), out


def test_a_field_over_the_limit_fails_its_row_only_and_later_rows_are_read(
    tmp_path: Path,
) -> None:
    """Python's csv stops at 131,072 characters: the limit is raised; a row past it fails alone."""
    source = tmp_path / "rows.csv"
    rows = [
        csv_row(0, extra="x" * 200_000),  # over Python's default limit, under ours: read
        csv_row(1),
        csv_row(2, extra="y" * (MAX_FIELD_CHARS + 1)),  # over ours: this row fails
        csv_row(3),
        csv_row(4),
    ]
    source.write_text("\n".join([HEADER + ",notes", *rows]) + "\n", encoding="utf-8")

    status, out = register(source)

    assert status == 1
    by_line = results(out)
    assert sorted(by_line) == [2, 3, 4, 5, 6]
    assert by_line[4]["outcome"] == "failed"
    assert by_line[4]["error"]["type"] == "RowError"
    assert "longer than 1,048,576 characters" in by_line[4]["error"]["message"]
    assert all(by_line[line]["outcome"] == "created" for line in (2, 3, 5, 6))


def test_a_utf8_file_with_a_byte_order_mark_and_a_semicolon_separator_is_read(
    tmp_path: Path,
) -> None:
    """What Swedish Excel saves as 'CSV UTF-8': a BOM, ';' between fields, decimal commas."""
    source = tmp_path / "rows.csv"
    lines = [HEADER.replace(",", ";"), *(csv_row(number, separator=";") for number in range(5))]
    source.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode() + b"\r\n")

    status, out = register(source)

    assert status == 0
    by_line = results(out)
    assert sorted(by_line) == [2, 3, 4, 5, 6]
    assert {record["outcome"] for record in by_line.values()} == {"created"}
    assert by_line[5]["invoice_numbers"] == ["INV-3"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(
            "\n".join([HEADER, *(csv_row(n) for n in range(5))]).encode("latin-1"),
            "not UTF-8 (line 5 has the byte 0xC5",
            id="latin-1",
        ),
        pytest.param("\n".join([HEADER, csv_row(0)]).encode("utf-16"), "is UTF-16", id="utf-16"),
        pytest.param(
            "\n".join([HEADER, csv_row(0)]).encode("utf-16-le"), "has NUL bytes", id="utf-16-no-bom"
        ),
        pytest.param(b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)), "zip", id="xlsx"),
        pytest.param(bytes(range(1, 256)) * 4, "not UTF-8", id="binary"),
    ],
)
def test_a_file_that_is_not_utf8_is_refused_whole_before_anything_is_sent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, expected: str
) -> None:
    source = tmp_path / "rows.csv"
    source.write_bytes(content)

    status, out = register(source)

    assert status == 2
    err = capsys.readouterr().err
    assert expected in err
    assert "save it as UTF-8" in err
    assert "Traceback" not in err
    assert not out.exists()  # the results file is opened only once sending starts


def test_a_jsonl_file_that_is_not_utf8_is_refused_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "rows.jsonl"
    source.write_bytes(json.dumps({"customer_name": "Åsa"}, ensure_ascii=False).encode("cp1252"))
    assert register(source)[0] == 2
    assert "not UTF-8 (line 1" in capsys.readouterr().err


def test_a_jsonl_line_nested_too_deeply_fails_that_line_only(tmp_path: Path) -> None:
    source = tmp_path / "rows.jsonl"
    source.write_text("[" * 100_000 + "]" * 100_000 + "\n")
    status, out = register(source)
    assert status == 1
    assert results(out)[1]["error"]["message"] == "not valid JSON: nested too deeply"


def test_a_header_that_names_no_column_gets_a_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "rows.csv"
    source.write_text("kundnummer|namn\n5560269986|ACME\n")
    assert register(source)[0] == 2
    err = capsys.readouterr().err
    assert "the first line must be the header" in err
    assert "'kundnummer|namn'" in err


@pytest.mark.parametrize("rate", ["nan", "inf", "-inf", "-1", "0", "fast"])
def test_a_rate_that_is_not_a_finite_positive_number_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rate: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["register", str(tmp_path / "rows.csv"), "--sandbox", "--rate", rate])
    assert exited.value.code == 2
    assert "argument --rate" in capsys.readouterr().err


@pytest.mark.parametrize("concurrency", ["0", "-3", "many"])
def test_a_concurrency_below_one_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], concurrency: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["register", "rows.csv", "--sandbox", "--concurrency", concurrency])
    assert exited.value.code == 2
    assert "argument --concurrency" in capsys.readouterr().err


def unwritable_places(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    return {
        "missing directory": (tmp_path / "nowhere" / "out", "does not exist"),
        "a directory": (tmp_path, "is a directory"),
        "under a file": (a_file / "out", "is not a directory"),
    }


@pytest.mark.parametrize("option", ["--results", "--journal"])
@pytest.mark.parametrize("place", ["missing directory", "a directory", "under a file"])
def test_an_unwritable_results_or_journal_is_a_usage_error_before_anything_is_sent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str, place: str
) -> None:
    source = tmp_path / "rows.csv"
    source.write_text("\n".join([HEADER, csv_row(0)]) + "\n")
    path, reason = unwritable_places(tmp_path)[place]

    assert main(["register", str(source), "--sandbox", "--plain", option, str(path)]) == 2

    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"{option} {path}: " in err
    assert reason in err


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write anywhere")
@pytest.mark.parametrize("option", ["--results", "--journal"])
def test_a_results_or_journal_without_write_permission_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str
) -> None:
    source = tmp_path / "rows.csv"
    source.write_text("\n".join([HEADER, csv_row(0)]) + "\n")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        args = ["register", str(source), "--sandbox", option, str(locked / "out")]
        assert main(args) == 2
    finally:
        locked.chmod(0o700)
    assert "no permission to write there" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--port", "99999"),
        ("--port", "-1"),
        ("--port", "http"),
        ("--reference-rate", "nan"),
        ("--reference-rate", "Infinity"),
        ("--reference-rate", "1e9"),
        ("--rate-limit", "10/999999999"),
    ],
)
def test_sandbox_serve_refuses_impossible_options(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], option: str, value: str
) -> None:
    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("served despite a bad option")

    monkeypatch.setattr(amili_async.sandbox, "SandboxServer", never)
    with pytest.raises(SystemExit) as exited:
        main(["sandbox", "serve", option, value])
    assert exited.value.code == 2
    assert f"argument {option}" in capsys.readouterr().err


FILE_START = st.sampled_from([b"", b"\xef\xbb\xbf", HEADER.encode() + b"\n", b"a;b\r\n"])


@settings(max_examples=150, deadline=None)
@given(start=FILE_START, body=st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_any_bytes_give_rows_row_errors_or_one_usage_error(start: bytes, body: bytes) -> None:
    """Whatever a file holds, reading it never raises anything but a :class:`UsageError`."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "rows"
        path.write_bytes(start + body)
        for file_format in ("csv", "jsonl"):
            read = read_or_refusal(path, file_format)
            if isinstance(read, UsageError):
                assert "\n" not in str(read)  # one line
                continue
            for line, row in read:
                assert line >= 1
                assert isinstance(row, dict | RowError)


def read_or_refusal(path: Path, file_format: str) -> list[Row] | UsageError:
    try:
        return list(read_rows(path, file_format))
    except UsageError as error:
        return error
