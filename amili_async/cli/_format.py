"""How the commands write amounts and moments: one way, everywhere.

In tables and lines an amount reads ``2,000.00 SEK`` (thousands grouped, at
least two decimals, the currency after it); in JSON it is a string with at
least two decimals and no grouping (``"2000.00"``), so that no float ever
rounds it. Moments in JSON are ISO 8601 in UTC (``2025-09-03T08:00:00+00:00``);
in tables a day is ``2025-09-03`` and a moment ``2025-09-03 08:00``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Context, Decimal

__all__ = ["amount_json", "day", "iso", "minute", "money"]

_CENT = Decimal("0.01")


def _two_decimals(amount: Decimal) -> Decimal:
    """``amount`` with at least two decimals; more only when it has them (never rounded)."""
    if not amount.is_finite():
        return amount
    # Precision enough for every digit of the amount and two decimals, however large.
    precision = max(amount.adjusted(), 0) + len(amount.as_tuple().digits) + 3
    cents = amount.quantize(_CENT, context=Context(prec=precision))
    return cents if cents == amount else amount


def money(amount: Decimal | int | None, currency: str | None = None) -> str:
    """``2,000.00 SEK``; an unknown amount is ``""``, an unknown currency left out."""
    if amount is None:
        return ""
    value = _two_decimals(Decimal(amount))
    text = f"{value:,f}" if value.is_finite() else str(value)
    return f"{text} {currency or ''}".strip()


def amount_json(amount: Decimal | int | None) -> str | None:
    """``"2000.00"`` for JSON output (``None`` stays ``None``)."""
    if amount is None:
        return None
    value = _two_decimals(Decimal(amount))
    return f"{value:f}" if value.is_finite() else str(value)


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 for JSON output (``None`` stays ``None``)."""
    return None if moment is None else moment.isoformat()


def day(moment: datetime | None) -> str:
    """``2025-09-03`` for a table (``""`` when unknown)."""
    return "" if moment is None else f"{moment:%Y-%m-%d}"


def minute(moment: datetime) -> str:
    """``2025-09-03 08:00`` for a line of output."""
    return f"{moment:%Y-%m-%d %H:%M}"
