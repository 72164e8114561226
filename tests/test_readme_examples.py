"""The README's five-step example runs as written, against the sandbox."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import anyio
import pytest

from amili_async import AmiliClient
from amili_async.sandbox import Sandbox

README = Path(__file__).resolve().parent.parent / "README.md"


def _five_step_example() -> str:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
    return next(block for block in blocks if "# 5. See it close." in block)


def test_the_five_step_flow_in_the_readme_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox = Sandbox()
    (tmp_path / "invoice.pdf").write_bytes(b"%PDF-1.4\n% a test invoice\n")
    monkeypatch.chdir(tmp_path)

    def sandbox_client(api_key: str, **options: Any) -> AmiliClient:
        assert api_key == "..."
        return AmiliClient(api_key=sandbox.api_key, transport=sandbox.transport(), **options)

    source, run_line = _five_step_example().rstrip().rsplit("\n", 1)
    assert run_line.startswith("anyio.run(main)")
    namespace: dict[str, Any] = {"__name__": "readme_example"}
    exec(compile(source, "README.md", "exec"), namespace)
    namespace["AmiliClient"] = sandbox_client  # the example's client, pointed at the sandbox
    anyio.run(namespace["main"])
    printed = capsys.readouterr().out
    assert "closed fully_paid_depreciation 0" in printed
    assert len(sandbox.registrations()) == 1
    assert sandbox.file(sandbox.cases()[0]["_id"]).startswith(b"%PDF")


def _sandbox_programs() -> list[str]:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
    return [block for block in blocks if "Sandbox()" in block and "anyio.run(main)" in block]


@pytest.mark.parametrize("program", _sandbox_programs(), ids=lambda block: block.split("\n")[0])
def test_every_sandbox_program_in_the_readme_runs(program: str) -> None:
    """The sections for creditor actions and read resources are whole programs: run them."""
    namespace: dict[str, Any] = {"__name__": "readme_program"}
    exec(compile(program, "README.md", "exec"), namespace)


def test_the_readme_has_sandbox_programs() -> None:
    assert len(_sandbox_programs()) >= 2
