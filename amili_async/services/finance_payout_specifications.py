"""``/finance--payout-specifications``: the lines behind each payout."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .._pagination import AsyncPager, Projection
from ..errors import RequestValidationError
from ..models._input import Where
from ..models.finance_payout_specification import FinancePayoutSpecification
from ._base import ReadableResource, TimeoutArg

__all__ = ["FinancePayoutSpecifications"]


class FinancePayoutSpecifications(ReadableResource[FinancePayoutSpecification]):
    """Read finance lines: one per settled part of a payment (capital, interest, commission...)."""

    path = "/finance--payout-specifications"
    model = FinancePayoutSpecification

    def list(
        self,
        *,
        payout: str | None = None,
        where: Where | Mapping[str, Any] | str | None = None,
        sort: str | None = None,
        max_results: int | None = None,
        projection: Projection | None = None,
        timeout: TimeoutArg = None,
        deadline: float | None = None,
    ) -> AsyncPager[FinancePayoutSpecification]:
        """Iterate over finance lines; ``payout=`` keeps one payout's lines.

        ``payout`` is added to ``where`` (``{"payout": payout_id}``), so the
        two combine; the other arguments are those of every ``list``. The
        amounts of a payout's lines add up to the payout's own.
        """
        if payout is not None:
            where = _with_payout(where, payout)
        return super().list(
            where=where,
            sort=sort,
            max_results=max_results,
            projection=projection,
            timeout=timeout,
            deadline=deadline,
        )


def _with_payout(where: Mapping[str, Any] | str | None, payout: str) -> dict[str, Any]:
    if not isinstance(payout, str) or not payout.strip():
        raise RequestValidationError({"payout": f"not a payout id: {payout!r}"})
    if isinstance(where, str):
        try:
            where = json.loads(where)
        except (ValueError, RecursionError) as error:
            raise RequestValidationError({"where": f"not valid JSON: {error}"}) from None
    if where is not None and not isinstance(where, Mapping):
        raise RequestValidationError({"where": "must be a JSON object to combine with payout="})
    if where is not None and where.get("payout", payout) != payout:
        raise RequestValidationError({"payout": "where= names another payout"})
    return {**(where or {}), "payout": payout}
