"""``--help`` as a person reads it: every command listed, plain text, the file formats explained."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import results, scope, serve_three_cases

from amili_async.cli import build_parser, main
from amili_async.cli._filehelp import (
    CANCEL_FILE,
    CREDIT_FILE,
    INVOICE_FILE,
    REGISTER_FILE,
    FileFormat,
)
from amili_async.sandbox import Sandbox

#: Markup of reStructuredText and Sphinx that means nothing in a terminal.
REST = ("``", ":meth:", ":class:", ":func:", ":data:", ":attr:", "pydoc", "**")


def parsers(parser: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """Every parser under ``parser`` (itself first), with its command line."""
    yield parser.prog, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                yield from parsers(child)


def commands(parser: argparse.ArgumentParser) -> dict[str, str | None]:
    """The subcommands of ``parser`` and their one-line help."""
    [action] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return {choice.dest: choice.help for choice in action._choices_actions}


def test_the_top_level_help_lists_every_command_with_a_line_of_its_own(
    capsys: pytest.CaptureFixture[str],
) -> None:
    parser = build_parser()
    listed = commands(parser)
    assert set(listed) == {
        "sandbox",
        "demo",
        "register",
        "credit",
        "cancel",
        "invoices",
        "status",
        "watch",
        "cases",
    }
    with pytest.raises(SystemExit):
        main(["--help"])
    printed = " ".join(capsys.readouterr().out.split())
    for name, summary in listed.items():
        assert summary
        assert f"{name} {' '.join(summary.split())}" in printed
    assert "AMILI_API_KEY" in printed
    assert "COMMAND --help" in printed


@pytest.mark.parametrize("prog", [prog for prog, _ in parsers(build_parser())])
def test_no_help_has_rest_markup(prog: str) -> None:
    parser = dict(parsers(build_parser()))[prog]
    text = parser.format_help()
    assert not [mark for mark in REST if mark in text], text


@pytest.mark.parametrize(
    ("argv", "file"),
    [
        (["register"], REGISTER_FILE),
        (["credit"], CREDIT_FILE),
        (["cancel"], CANCEL_FILE),
        (["invoices", "register"], INVOICE_FILE),
    ],
)
def test_help_of_a_file_command_explains_the_file(
    argv: list[str], file: FileFormat, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main([*argv, "--help"])
    printed = capsys.readouterr().out
    flat = " ".join(printed.split())
    for column in file.columns:
        assert all(name in printed for name in column.names)
        if len(column.names) == 1:
            assert f"{column.name} {column.required}" in flat
    for fact in ("UTF-8", "header", "','", "';'", "JSONL", "required", "Exit status"):
        assert fact in flat


def test_register_help_shows_an_example_row_and_the_grouping(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["register", "--help"])
    printed = capsys.readouterr().out
    assert "5560269986;ACME Inc.;Storgatan 42" in printed  # an example, as written
    assert "become one registration" in " ".join(printed.split())


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Sandbox, list[str]]]:
    """A served sandbox with three 1,000 SEK cases; the CLI is pointed at it."""
    yield from serve_three_cases(monkeypatch)


@pytest.mark.network
def test_a_credit_file_of_only_its_own_columns_is_read(
    served: tuple[Sandbox, list[str]], tmp_path: Path
) -> None:
    """The header is checked against the command's own columns, not register's."""
    sandbox, cases = served
    rows = tmp_path / "credit.csv"
    rows.write_text(f"case;amount;creditor_reference\n{cases[0]};100,50;CR-77\n")
    out = tmp_path / "out.jsonl"
    argv = ["credit", "--file", str(rows), *scope(sandbox), "--plain", "--results", str(out)]
    assert main(argv) == 0
    [record] = results(out)
    assert record["outcome"] == "created"
    assert record["settled_amount"] == "100.50"
