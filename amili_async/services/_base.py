"""What every service shares: sending a spec through the client's pipeline and parsing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import httpx

from .._pagination import AsyncPager, Page, list_params, parse_page
from .._serde import converter
from .._transport import ApiResult, RequestSpec

if TYPE_CHECKING:
    from .._client import AmiliClient

__all__ = ["Resource"]

M = TypeVar("M")

TimeoutArg = float | httpx.Timeout | None


class Resource(Generic[M]):
    """A resource of the API: its path, its model, and the read methods all resources have."""

    path: str
    model: type[M]

    def __init__(self, client: AmiliClient) -> None:
        self._client = client

    async def _send(self, spec: RequestSpec, timeout: TimeoutArg = None) -> ApiResult:
        return await self._client._send(spec, timeout)

    def _parse(self, data: Any) -> M:
        return converter.structure(data, self.model)

    async def _get_one(
        self, resource_id: str, *, projection: Mapping[str, int] | None, timeout: TimeoutArg
    ) -> M:
        _check_id(resource_id)
        params = list_params(where=None, sort=None, max_results=None, projection=projection)
        spec = RequestSpec(
            "GET", f"{self.path}/{resource_id}", params=params or None, replay_safe=True
        )
        return self._parse((await self._send(spec, timeout)).data)

    def _list(
        self,
        *,
        where: Mapping[str, Any] | str | None,
        sort: str | None,
        max_results: int | None,
        projection: Mapping[str, int] | None = None,
        timeout: TimeoutArg = None,
    ) -> AsyncPager[M]:
        params = list_params(where=where, sort=sort, max_results=max_results, projection=projection)

        async def fetch(page_number: int) -> Page[M]:
            spec = RequestSpec(
                "GET", self.path, params={**params, "page": str(page_number)}, replay_safe=True
            )
            result = await self._send(spec, timeout)
            return parse_page(result.data, self._parse, page_number)

        return AsyncPager(fetch)


def _check_id(resource_id: str) -> None:
    from ..errors import RequestValidationError

    if not isinstance(resource_id, str) or not resource_id.strip() or "/" in resource_id:
        raise RequestValidationError({"id": f"not a resource id: {resource_id!r}"})
