"""Helpers the tests share: the documented API examples."""

from __future__ import annotations

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
