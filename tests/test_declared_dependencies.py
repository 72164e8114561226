"""Every library the SDK imports is one it declares, for the part that imports it.

The test environment installs every extra (and more: trio, pytest...), so a
module imported without being declared would pass every other test and fail
at a user's first call after ``pip install amili-async``: this happened with
``sniffio``, which neither httpx nor anyio pulls in any more. Here each
import in ``amili_async`` (every ``import`` statement, lazy ones inside
functions included) is traced to the distribution that provides it, and that
distribution must be among the requirements of the part the module belongs
to: the core, or the extra that brings its part.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "amili_async"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())

#: Modules whose imports may come from an extra, and which extras that is.
EXTRA_PARTS: dict[str, tuple[str, ...]] = {
    "amili_async/_aiohttp_transport.py": ("aiohttp",),
    "amili_async/sandbox/": ("sandbox",),
    "amili_async/cli/": ("cli", "sandbox"),
}


#: Imports a module may make without declaring them, and why.
EXEMPT: dict[str, set[str]] = {
    # A pytest plugin (entry point pytest11): loaded only by a running pytest.
    "amili_async/sandbox/pytest_plugin.py": {"pytest"},
}

#: Which distribution provides each importable top-level module, in this environment.
PROVIDERS = packages_distributions()


def _name(requirement: str) -> str:
    """The normalised distribution name of a requirement such as ``pyjwt[crypto]>=2.8``."""
    bare = re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", bare).lower()


def _declared(extras: tuple[str, ...]) -> set[str]:
    project = PYPROJECT["project"]
    names = {_name(requirement) for requirement in project["dependencies"]}
    for extra in extras:
        for requirement in project["optional-dependencies"][extra]:
            if not requirement.startswith("amili-async"):
                names.add(_name(requirement))
    if "pyjwt" in names:
        names.add("cryptography")  # pyjwt[crypto]
    return names


def _imports(path: Path) -> set[str]:
    """The top-level names of every absolute import in ``path``."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found - {"amili_async", "__future__"}


def _extras_of(relative: str) -> tuple[str, ...]:
    for prefix, extras in EXTRA_PARTS.items():
        if relative.startswith(prefix):
            return extras
    return ()


SOURCES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_imported_library_is_declared_for_its_part(path: Path) -> None:
    relative = str(path.relative_to(ROOT))
    declared = _declared(_extras_of(relative))
    undeclared = {}
    for module in _imports(path) - EXEMPT.get(relative, set()):
        if module in sys.stdlib_module_names:
            continue
        distributions = {_name(name) for name in PROVIDERS.get(module, [module])}
        if not distributions & declared:
            undeclared[module] = sorted(distributions)
    assert not undeclared, f"{relative} imports what its part does not declare: {undeclared}"
