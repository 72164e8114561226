"""The README's commands are the ones CI runs, and the public surface is documented."""

from __future__ import annotations

import re
from pathlib import Path

import amili_async

ROOT = Path(__file__).resolve().parent.parent


def _bash_blocks(text: str) -> list[str]:
    return re.findall(r"```bash\n(.*?)```", text, flags=re.DOTALL)


def test_readme_opens_with_the_demo_and_test_commands_and_ci_runs_the_latter() -> None:
    readme = (ROOT / "README.md").read_text()
    demo_block, test_block = _bash_blocks(readme)[:2]
    assert "amili-async demo" in demo_block
    test_command = test_block.strip()
    assert "pytest" in test_command
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert test_command in ci_lines


def test_every_public_name_has_a_docstring() -> None:
    missing = [
        name
        for name in amili_async.__all__
        if not name.startswith("__")
        and name != "DEFAULT_BASE_URL"
        and not (getattr(amili_async, name).__doc__ or "").strip()
    ]
    assert missing == []


def test_changelog_has_an_unreleased_section() -> None:
    assert "## [Unreleased]" in (ROOT / "CHANGELOG.md").read_text()


def test_ci_runs_the_network_tests_again_on_aiohttp_as_the_readme_says() -> None:
    command = "AMILI_TEST_BACKEND=aiohttp pytest -q -m network"
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert command in ci_lines
    readme_blocks = _bash_blocks((ROOT / "README.md").read_text())
    assert any(command in block.splitlines() for block in readme_blocks)
