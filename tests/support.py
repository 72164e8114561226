"""Helpers the tests share: the documented API examples, and places in a JSON document."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parent / "data" / "api-examples"
BASE_URL = "https://api-sandbox.amili.se"


def example(name: str) -> Any:
    """A documented request or response from ``tests/data/api-examples``."""
    return json.loads((EXAMPLES / name).read_text())


def example_bytes(name: str) -> bytes:
    """The raw bytes of a documented example (amounts exactly as written)."""
    return (EXAMPLES / name).read_bytes()


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON value: each key of each object, each index of each list."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


def replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    """A deep copy of ``document`` with the value at ``path`` replaced."""
    changed = copy.deepcopy(document)
    target = changed
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return changed
