"""Checks of the values the sandbox's controls take, in Python and over HTTP alike.

A clock step, a token lifetime or a fault's delay must be a finite number of
seconds in a range that keeps the sandbox working: NaN, an infinity, a
negative step, or one that would take the clock past :data:`LATEST` raises
``ValueError`` (a 400 over HTTP) and changes nothing.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal

from .._serde import format_http_date

__all__ = [
    "LATEST",
    "MAX_FAULT_SECONDS",
    "MAX_TOKEN_LIFETIME",
    "check_advance",
    "check_seconds",
]

#: The sandbox clock never passes this time: what a case schedules from it (due
#: dates, reminders, interest) must still fit in a ``datetime`` (year 9999 at most).
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
#: The longest lifetime of a token (ten years, in seconds).
MAX_TOKEN_LIFETIME = 10 * 365.25 * 86400
#: The longest delay a fault injects (latency, ``Retry-After``): an hour.
MAX_FAULT_SECONDS = 3600.0

_UNITS = (("days", 86400.0), ("hours", 3600.0), ("seconds", 1.0))


def check_seconds(
    name: str, value: object, *, maximum: float = math.inf, positive: bool = False
) -> float:
    """``value`` as float seconds, or ``ValueError`` naming ``name``.

    It must be a real number (not a bool), finite, at least 0 (more than 0 when
    ``positive``) and at most ``maximum``.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError(f"{name} must be a number of seconds, got {_show(value)}")
    try:
        seconds = float(value)
    except OverflowError:
        seconds = math.inf
    except ValueError:  # Decimal("sNaN")
        seconds = math.nan
    if not math.isfinite(seconds):
        raise ValueError(f"{name} must be a finite number, got {_show(value)}")
    if seconds < 0 or (positive and seconds == 0):
        bound = "positive (more than 0)" if positive else "at least 0"
        raise ValueError(f"{name} must be {bound}, got {_show(value)}")
    if seconds > maximum:
        raise ValueError(f"{name} must be at most {maximum:.0f} seconds, got {_show(value)}")
    return seconds


def check_advance(now: datetime, *, days: object, hours: object, seconds: object) -> float:
    """The seconds a clock step of ``days``, ``hours`` and ``seconds`` adds (``ValueError``)."""
    given = {"days": days, "hours": hours, "seconds": seconds}
    total = sum(check_seconds(name, given[name]) * unit for name, unit in _UNITS)
    room = (LATEST - now).total_seconds()
    if not total <= room:  # also catches a sum that overflowed to infinity
        raise ValueError(
            f"the sandbox clock cannot pass {format_http_date(LATEST)}: "
            f"it is {format_http_date(now)}, and the step is {total:.6g} seconds"
        )
    return total


def _show(value: object) -> str:
    """``repr(value)``, shortened (an int of thousands of digits has none)."""
    try:
        text = repr(value)
    except ValueError:
        return "a number too large to show"
    return text if len(text) <= 40 else text[:37] + "..."
