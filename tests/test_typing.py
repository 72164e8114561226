"""The SDK's types, as a user's type checker sees them.

``tests/typing/`` holds caller code: ``*_ok.py`` files must type-check under
``mypy --strict`` (and pyright in strict mode, where it runs), ``*_bad.py``
files must fail exactly on the lines marked ``# E: <mypy error codes>``, and
nowhere else. mypy runs in process, once for all the files (its cache makes
reruns fast); pyright runs when it is installed and finds a ``node`` of its
own on the PATH, as it never downloads one here.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CALLERS = Path(__file__).resolve().parent / "typing"
GOOD = sorted(CALLERS.glob("*_ok.py"))
BAD = sorted(CALLERS.glob("*_bad.py"))
MARK = re.compile(r"#\s*E:\s*(?P<codes>[a-z-]+(?:\s+[a-z-]+)*)\s*$")
MYPY_ERROR = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+): error: .*\[(?P<code>[a-z-]+)\]$")

#: An error's place: the caller file's name and the line number.
Place = tuple[str, int]


def marked_errors() -> dict[Place, set[str]]:
    """The ``# E:`` marks of the bad files: each marked line and the mypy codes it expects."""
    marks: dict[Place, set[str]] = {}
    for path in BAD:
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            found = MARK.search(line)
            if found:
                marks[(path.name, number)] = set(found["codes"].split())
    return marks


@pytest.fixture(scope="module")
def mypy_errors() -> dict[Place, set[str]]:
    """Run mypy --strict once over every caller file; its errors by place."""
    api = pytest.importorskip("mypy.api")
    stdout, stderr, _ = api.run(
        [
            "--strict",
            "--show-error-codes",
            "--no-error-summary",
            "--no-pretty",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(ROOT / ".mypy_cache"),
            *(str(path) for path in GOOD + BAD),
        ]
    )
    assert not stderr, stderr
    errors: dict[Place, set[str]] = defaultdict(set)
    for line in stdout.splitlines():
        found = MYPY_ERROR.match(line)
        if found:
            errors[(Path(found["path"]).name, int(found["line"]))].add(found["code"])
        else:
            assert ": note: " in line, f"unexpected mypy output: {line}"
    return dict(errors)


def test_there_are_callers_of_both_kinds_and_the_bad_ones_are_marked() -> None:
    assert len(GOOD) >= 2
    assert len(BAD) >= 2
    marks = marked_errors()
    for path in BAD:
        assert sum(1 for name, _ in marks if name == path.name) >= 5, path.name


def test_the_good_callers_type_check_under_mypy_strict(
    mypy_errors: dict[Place, set[str]],
) -> None:
    good = {path.name for path in GOOD}
    assert {place: codes for place, codes in mypy_errors.items() if place[0] in good} == {}


def test_the_bad_callers_fail_exactly_where_marked_under_mypy_strict(
    mypy_errors: dict[Place, set[str]],
) -> None:
    bad = {path.name for path in BAD}
    found = {place: codes for place, codes in mypy_errors.items() if place[0] in bad}
    expected = marked_errors()
    assert sorted(set(expected) - set(found)) == [], "marked lines that type-check"
    assert sorted(set(found) - set(expected)) == [], "errors on lines not marked"
    assert found == expected


def _pyright() -> list[str]:
    """The pyright command, or a skip when it would have to download anything."""
    if importlib.util.find_spec("pyright") is None:
        pytest.skip("pyright is not installed (pip install pyright)")
    if shutil.which("node") is None:
        pytest.skip("pyright needs node on the PATH (it is never downloaded here)")
    return [sys.executable, "-m", "pyright"]


@pytest.fixture(scope="module")
def pyright_errors() -> set[Place]:
    """Run pyright (strict, as the files ask) once over every caller file; its error places."""
    command = _pyright()
    environment = os.environ | {"PYRIGHT_PYTHON_IGNORE_WARNINGS": "1"}
    completed = subprocess.run(
        [*command, "--outputjson", "--pythonpath", sys.executable, *map(str, GOOD + BAD)],
        capture_output=True,
        text=True,
        env=environment,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    report = json.loads(completed.stdout)
    assert report["summary"]["filesAnalyzed"] == len(GOOD + BAD)
    return {
        (Path(diagnostic["file"]).name, diagnostic["range"]["start"]["line"] + 1)
        for diagnostic in report["generalDiagnostics"]
        if diagnostic["severity"] == "error"
    }


def test_the_good_callers_type_check_under_pyright(pyright_errors: set[Place]) -> None:
    good = {path.name for path in GOOD}
    assert sorted(place for place in pyright_errors if place[0] in good) == []


def test_the_bad_callers_fail_exactly_where_marked_under_pyright(
    pyright_errors: set[Place],
) -> None:
    bad = {path.name for path in BAD}
    found = {place for place in pyright_errors if place[0] in bad}
    assert sorted(found) == sorted(marked_errors())
