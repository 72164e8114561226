"""Ctrl-C during ``register``: the summary so far, the command that resumes, nothing sent twice."""

from __future__ import annotations

import json
import os
import shlex
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from bulk_support import cases_per_invoice, person_number

from amili_async import ManualClock
from amili_async.cli import build_parser, main
from amili_async.sandbox import Sandbox, SandboxServer

pytestmark = pytest.mark.skipif(os.name != "posix", reason="sends SIGINT")

CUSTOMERS = 30
HEADER = (
    "customer_id_number,customer_name,address_line_1,zip_code,city,"
    "invoice_number,debt_description,invoice_date,capital_to_claim"
)


def write_rows(path: Path) -> None:
    rows = [
        f"{person_number(n)},Customer {n},Storgatan 1,12345,Stockholm,INV-{n},Services,"
        f"2025-07-07,{1000 + n}"
        for n in range(CUSTOMERS)
    ]
    path.write_text("\n".join([HEADER, *rows]) + "\n")


def result_lines(path: Path) -> list[dict[str, object]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.endswith("}")]


def wait_for_results(path: Path, count: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while len(result_lines(path)) < count:
        assert process.poll() is None, "register ended before it could be interrupted"
        assert time.monotonic() < deadline, "register made no progress"
        time.sleep(0.02)


def journal_created(journal: Path) -> set[str]:
    with sqlite3.connect(journal) as db:
        rows = db.execute("SELECT registration_id FROM items WHERE state = 'created'")
        return {row[0] for row in rows}


@pytest.mark.network(httpx_only="the command runs in a child process, on its default backend")
def test_ctrl_c_prints_the_summary_and_the_resume_command_and_the_rerun_sends_nothing_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    source, journal, out = tmp_path / "rows.csv", tmp_path / "job.sqlite", tmp_path / "out.jsonl"
    write_rows(source)
    sandbox = Sandbox(clock=ManualClock(), seed=5)
    sandbox.faults.latency(0.15, method="POST", path="/case--registrations")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMILI_")}
    with SandboxServer(sandbox, port=0) as server:
        env |= {"AMILI_API_KEY": sandbox.api_key, "AMILI_BASE_URL": server.base_url}
        args = ["register", str(source), "--journal", str(journal), "--results", str(out)]
        args += ["--account", sandbox.account_id, "--creditor", sandbox.creditor_id]
        args += ["--concurrency", "2", "--plain"]
        command = [sys.executable, "-c", "import sys; from amili_async.cli import main; "]
        command[-1] += "sys.exit(main())"
        process = subprocess.Popen(
            [*command, *args], env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        wait_for_results(out, 3, process)
        process.send_signal(signal.SIGINT)
        printed, warned = process.communicate(timeout=60)

        assert process.returncode == 130, warned
        assert "Registration summary" in printed
        assert "Traceback" not in warned
        resume = shlex.split(warned.split("To resume (nothing created is sent again), run:")[1])
        first_run = result_lines(out)
        assert 3 <= len(first_run) < CUSTOMERS
        created = {str(line["registration_id"]) for line in first_run}
        assert created <= journal_created(journal)  # every outcome received is in the journal

        sandbox.faults.clear()
        for name, value in env.items():
            if name.startswith("AMILI_"):
                monkeypatch.setenv(name, value)
        assert resume[0] == "amili-async"
        assert build_parser().parse_args(resume[1:]) == build_parser().parse_args(args)
        assert main(resume[1:]) == 0

    second_run = result_lines(out)
    assert len(second_run) == CUSTOMERS
    from_journal = {str(line["registration_id"]) for line in second_run if line["from_journal"]}
    assert created <= from_journal
    assert len(sandbox.registrations()) == CUSTOMERS
    assert set(cases_per_invoice(sandbox).values()) == {1}
    assert Counter(str(line["lines"]) for line in second_run).most_common(1)[0][1] == 1
    assert "Registration summary" in capsys.readouterr().out
