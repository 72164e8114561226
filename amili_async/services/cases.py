"""``/cases``: follow each case's status, history, transactions and amounts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._pagination import AsyncPager
from ..models.case import Case
from ._base import Resource, TimeoutArg

__all__ = ["Cases"]


class Cases(Resource[Case]):
    """Read cases. Cases are created only through case registration."""

    path = "/cases"
    model = Case

    async def get(
        self,
        case_id: str,
        *,
        projection: Mapping[str, int] | None = None,
        timeout: TimeoutArg = None,
    ) -> Case:
        """Read one case (``projection`` selects fields, e.g. ``{"status": 1}``)."""
        return await self._get_one(case_id, projection=projection, timeout=timeout)

    def list(
        self,
        *,
        where: Mapping[str, Any] | str | None = None,
        sort: str | None = None,
        max_results: int | None = None,
        projection: Mapping[str, int] | None = None,
        timeout: TimeoutArg = None,
    ) -> AsyncPager[Case]:
        """Iterate over cases, page by page (``where`` is the API's JSON filter)."""
        return self._list(
            where=where,
            sort=sort,
            max_results=max_results,
            projection=projection,
            timeout=timeout,
        )
