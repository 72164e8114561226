"""What every service shares: sending a spec through the client's pipeline and parsing."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import httpx

from .._pagination import AsyncPager, Page, Projection, list_params, parse_page
from .._pipeline import ApiResult, RequestSpec
from .._responses import structure_response
from .._serde import converter
from .._validation import check_resource_id
from ..errors import RequestValidationError, ResponseValidationError

if TYPE_CHECKING:
    from .._client import AmiliClient

__all__ = ["ReadableResource", "Resource", "check_id"]

logger = logging.getLogger("amili_async")

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

    def _parse(
        self, data: Any, *, status_code: int = 200, method: str = "GET", path: str = ""
    ) -> M:
        """``data`` as the model, or :class:`ResponseValidationError` naming the request."""
        return structure_response(
            data,
            self.model,
            hook=self._structure,
            status_code=status_code,
            method=method,
            path=path or self.path,
        )

    async def _parse_answer(self, spec: RequestSpec, result: ApiResult) -> tuple[M, bool]:
        """The model of ``spec``'s answer, and whether it was found by a lookup instead.

        When the answer to a write cannot be read, the write has landed: it is
        looked up with ``spec.reconcile`` (never sent again), and what the
        lookup finds is returned. With no lookup, or none that finds it, the
        :class:`ResponseValidationError` (``landed=True``) is raised.
        """
        try:
            parsed = self._parse(
                result.data, status_code=result.status_code, method=spec.method, path=spec.path
            )
        except ResponseValidationError as error:
            if not error.landed or spec.reconcile is None:
                raise
            try:
                existing: M | None = await spec.reconcile()
            except Exception:
                raise error from None
            if existing is None:
                raise
            logger.warning(
                "%s %s: the answer could not be read (%s), but the write landed; "
                "using what a lookup found",
                spec.method,
                spec.path,
                error.reason,
            )
            return existing, True
        return parsed, False


class ReadableResource(Resource[M]):
    """A resource that can be read one by id and listed page by page."""

    async def get(
        self,
        resource_id: str,
        *,
        projection: Projection | None = None,
        timeout: TimeoutArg = None,
    ) -> M:
        """Read one item by id.

        ``projection`` selects fields: ``{"status": 1, "debt.invoice_number": 1}``
        includes only those, ``{"transactions": 0}`` leaves those out (Eve always
        adds ``_id``, ``_created``, ``_updated`` and ``_etag``); the fields left
        out read as ``None``. Checked before anything is sent.
        """
        check_id(resource_id)
        params = list_params(where=None, sort=None, max_results=None, projection=projection)
        spec = RequestSpec(
            "GET", f"{self.path}/{resource_id}", params=params or None, replay_safe=True
        )
        result = await self._send(spec, timeout)
        return self._parse(result.data, status_code=result.status_code, path=spec.path)

    def list(
        self,
        *,
        where: Mapping[str, Any] | str | None = None,
        sort: str | None = None,
        max_results: int | None = None,
        projection: Projection | None = None,
        timeout: TimeoutArg = None,
    ) -> AsyncPager[M]:
        """Iterate over the items, fetching a page at a time as you go.

        ``where`` is the API's JSON filter (a mapping, or its JSON text) with
        dot notation and Mongo operators, e.g. ``{"debt.invoice_number":
        {"$in": [...]}}``; ``sort`` e.g. ``"-_created"``; ``max_results`` the
        page size (1 to 100; the API's default, 25, when left out; a server
        configured lower uses its own limit); ``projection`` as for
        :meth:`get`. Checked before anything is sent.
        """
        params = list_params(where=where, sort=sort, max_results=max_results, projection=projection)

        async def fetch(page_number: int) -> Page[M]:
            spec = RequestSpec(
                "GET", self.path, params={**params, "page": str(page_number)}, replay_safe=True
            )
            result = await self._send(spec, timeout)
            return parse_page(
                result.data,
                self.model,
                page_number,
                hook=self._structure,
                requested_size=max_results,
                status_code=result.status_code,
                path=self.path,
            )

        return AsyncPager(fetch, path=self.path)


def check_id(resource_id: object, field: str = "id") -> None:
    """Refuse an id that would not name one resource in a URL path (``..``, ``a/b``, ``x?y``).

    The one check for every service method that puts an id in a path.
    """
    problem = check_resource_id(resource_id)
    if problem is not None:
        raise RequestValidationError({field: problem})
