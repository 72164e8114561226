"""``register`` and its journal: one sentence and exit 2 for an unusable one; ``--lookup-first``."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import cli_on_backend

from amili_async._filelock import FileLock
from amili_async.cli import main
from amili_async.sandbox import Sandbox, SandboxServer

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CSV = str(EXAMPLES / "cases.csv")


def register(*extra: str) -> list[str]:
    return ["register", CSV, "--plain", *extra]


def outcomes(path: Path) -> Counter[str]:
    return Counter(json.loads(line)["outcome"] for line in path.read_text().splitlines())


@pytest.mark.parametrize(
    ("content", "sentence"),
    [
        (b"", "is empty (zero bytes)"),
        (b"hello, this is a spreadsheet\n" * 300, "cannot be read as a journal"),
    ],
)
def test_an_unusable_journal_is_one_sentence_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, sentence: str
) -> None:
    journal = tmp_path / "job.sqlite"
    journal.write_bytes(content)

    assert main(register("--sandbox", "--journal", str(journal))) == 2

    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    [line] = captured.err.strip().splitlines()
    assert line.startswith("amili-async register: ")
    assert str(journal) in line
    assert sentence in line


def test_lookup_first_accepts_an_emptied_journal(tmp_path: Path) -> None:
    journal = tmp_path / "job.sqlite"
    journal.touch()
    results = tmp_path / "out.jsonl"
    args = register("--sandbox", "--journal", str(journal), "--lookup-first")

    assert main([*args, "--results", str(results)]) == 1  # two rows are invalid on purpose
    assert outcomes(results) == {"created": 12, "failed": 2}


def test_a_journal_in_use_stops_the_run_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = tmp_path / "job.sqlite"
    lock = FileLock(tmp_path / "job.sqlite.lock")
    assert lock.acquire()
    try:
        assert main(register("--sandbox", "--journal", str(journal))) == 2
    finally:
        lock.release()
    assert "is in use by another job" in capsys.readouterr().err


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """A served sandbox, with the environment pointing the command line at it."""
    sandbox = Sandbox()
    with SandboxServer(sandbox, port=0) as server:
        monkeypatch.setenv("AMILI_API_KEY", sandbox.api_key)
        monkeypatch.setenv("AMILI_BASE_URL", server.base_url)
        cli_on_backend(monkeypatch)
        yield sandbox


@pytest.mark.network
def test_lookup_first_reruns_without_a_journal_and_sends_nothing_twice(
    served: Sandbox, tmp_path: Path
) -> None:
    scope = ["--account", served.account_id, "--creditor", served.creditor_id]
    assert main(register(*scope)) == 1
    posts = sum(entry.method == "POST" for entry in served.request_log)
    results = tmp_path / "out.jsonl"

    assert main(register(*scope, "--lookup-first", "--results", str(results))) == 1

    assert outcomes(results) == {"already_registered": 12, "failed": 2}
    assert sum(entry.method == "POST" for entry in served.request_log) == posts
    assert len(served.registrations()) == 12


@pytest.mark.network
def test_a_journal_of_the_embedded_sandbox_is_refused_on_a_served_one(
    served: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = tmp_path / "job.sqlite"
    assert main(register("--sandbox", "--journal", str(journal))) == 1
    capsys.readouterr()
    scope = ["--account", served.account_id, "--creditor", served.creditor_id]

    assert main(register(*scope, "--journal", str(journal))) == 2

    err = capsys.readouterr().err
    assert "records a job on https://api-sandbox.amili.se, not on http://127.0.0.1:" in err
    assert served.registrations() == []
