"""What every service shares: sending a spec through the client's pipeline and parsing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import httpx

from .._pagination import AsyncPager, Page, list_params, parse_page
from .._pipeline import ApiResult, RequestSpec
from .._serde import converter
from ..errors import RequestValidationError

if TYPE_CHECKING:
    from .._client import AmiliClient

__all__ = ["ReadableResource", "Resource"]

M = TypeVar("M")

TimeoutArg = float | httpx.Timeout | None


class Resource(Generic[M]):
    """A resource of the API: its path, its model, and how its answers are sent and parsed."""

    path: str
    model: type[M]

    def __init__(self, client: AmiliClient) -> None:
        self._client = client
        # The model's structure function, looked up once rather than on every parse.
        self._structure = converter.get_structure_hook(self.model)

    async def _send(self, spec: RequestSpec, timeout: TimeoutArg = None) -> ApiResult:
        return await self._client._send(spec, timeout)

    def _parse(self, data: Any) -> M:
        return self._structure(data, self.model)  # type: ignore[no-any-return]


class ReadableResource(Resource[M]):
    """A resource that can be read one by id and listed page by page."""

    async def get(
        self,
        resource_id: str,
        *,
        projection: Mapping[str, int] | None = None,
        timeout: TimeoutArg = None,
    ) -> M:
        """Read one item by id (``projection`` selects fields, e.g. ``{"status": 1}``)."""
        _check_id(resource_id)
        params = list_params(where=None, sort=None, max_results=None, projection=projection)
        spec = RequestSpec(
            "GET", f"{self.path}/{resource_id}", params=params or None, replay_safe=True
        )
        return self._parse((await self._send(spec, timeout)).data)

    def list(
        self,
        *,
        where: Mapping[str, Any] | str | None = None,
        sort: str | None = None,
        max_results: int | None = None,
        projection: Mapping[str, int] | None = None,
        timeout: TimeoutArg = None,
    ) -> AsyncPager[M]:
        """Iterate over the items, fetching a page at a time as you go.

        ``where`` is the API's JSON filter (a mapping, or its JSON text) with
        dot notation and Mongo operators, e.g. ``{"debt.invoice_number":
        {"$in": [...]}}``; ``sort`` e.g. ``"-_created"``; ``max_results`` the
        page size (at most 50). Checked before anything is sent.
        """
        params = list_params(where=where, sort=sort, max_results=max_results, projection=projection)

        async def fetch(page_number: int) -> Page[M]:
            spec = RequestSpec(
                "GET", self.path, params={**params, "page": str(page_number)}, replay_safe=True
            )
            result = await self._send(spec, timeout)
            return parse_page(result.data, self._parse, page_number)

        return AsyncPager(fetch)


def _check_id(resource_id: str) -> None:
    if not isinstance(resource_id, str) or not resource_id.strip() or "/" in resource_id:
        raise RequestValidationError({"id": f"not a resource id: {resource_id!r}"})
