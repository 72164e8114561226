"""Every module imports on its own, no two modules import each other, and the layers hold."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "amili_async"

#: Imports every module of the package in turn, each in a fresh ``amili_async``.
IMPORT_EACH = """
import importlib, pkgutil, sys, traceback
import amili_async
names = [info.name for info in pkgutil.walk_packages(amili_async.__path__, "amili_async.")]
failed = []
for name in names:
    for loaded in [m for m in sys.modules if m == "amili_async" or m.startswith("amili_async.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception:
        failed.append(name + ":\\n" + traceback.format_exc())
print(len(names))
print("\\n".join(failed), file=sys.stderr)
sys.exit(1 if failed else 0)
"""


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in PACKAGE.rglob("*.py")}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_imports(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """The imports that run when the module is imported (not in functions or TYPE_CHECKING)."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If) and not _is_type_checking(node):
            yield from _runtime_imports(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            yield from _runtime_imports(node.body + node.orelse + node.finalbody)


def _all_imports(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import in the module, wherever it is."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node


def _targets(
    module: str, node: ast.Import | ast.ImportFrom, modules: dict[str, Path]
) -> Iterator[str]:
    """The package's modules an import statement loads."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names if alias.name in modules)
        return
    base = node.module or ""
    if node.level:
        is_package = modules[module].name == "__init__.py"
        anchor = module.split(".")[: len(module.split(".")) - node.level + is_package]
        base = ".".join([*anchor, *([base] if base else [])])
    for alias in node.names:
        if f"{base}.{alias.name}" in modules:
            yield f"{base}.{alias.name}"
        elif base in modules:
            yield base


def _graph(*, runtime_only: bool) -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        imports = _runtime_imports(tree.body) if runtime_only else _all_imports(tree)
        graph[module] = {
            target
            for node in imports
            for target in _targets(module, node, modules)
            if target != module
        }
    return graph


def _cycle_from(start: str, graph: dict[str, set[str]]) -> list[str] | None:
    """A path of imports from ``start`` back to itself, if there is one."""
    stack = [(start, [start])]
    seen: set[str] = set()
    while stack:
        module, path = stack.pop()
        for target in graph[module]:
            if target == start:
                return [*path, start]
            if target not in seen:
                seen.add(target)
                stack.append((target, [*path, target]))
    return None


def test_every_module_imports_on_its_own() -> None:
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_EACH], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == len(_modules()) - 1  # walk_packages leaves out amili_async itself


def test_no_module_imports_itself_through_others() -> None:
    graph = _graph(runtime_only=True)
    cycles = [cycle for module in sorted(graph) if (cycle := _cycle_from(module, graph))]
    assert cycles == [], "\n".join(" -> ".join(cycle) for cycle in cycles)


def test_the_bulk_engines_take_what_they_call_and_never_import_the_services() -> None:
    graph = _graph(runtime_only=False)
    bulk = [module for module in graph if module.startswith("amili_async._bulk")]
    assert bulk
    reaching = {
        module: sorted(target for target in graph[module] if ".services" in target)
        for module in bulk
    }
    assert {module: targets for module, targets in reaching.items() if targets} == {}
