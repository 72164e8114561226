"""What every service shares: sending a spec through the client's pipeline and parsing."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import httpx

from .._pagination import AsyncPager, Page, Projection, list_params, parse_page
from .._pipeline import ApiResult, RequestSpec, look_up_landed
from .._raw import RawResponses, ReadableRawResponses, note_reconciled
from .._responses import structure_response
from .._serde import converter
from .._validation import check_resource_id
from ..errors import RequestValidationError, ResponseValidationError
from ..models._input import Where

if TYPE_CHECKING:
    from .._client import AmiliClient

logger = logging.getLogger("amili_async")

__all__ = ["ReadableResource", "Resource", "check_id", "log_business_outcome"]


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

    @property
    def with_raw_response(self) -> RawResponses[M]:
        """This service's one-request methods, returning a :class:`~amili_async.RawResponse`:
        ``raw = await client.media.with_raw_response.upload(case_id, "invoice.pdf")``."""
        return RawResponses(self)

    async def _send(
        self, spec: RequestSpec, timeout: TimeoutArg = None, deadline: float | None = None
    ) -> ApiResult:
        return await self._client._send(spec, timeout, deadline)

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

    async def _write(
        self, spec: RequestSpec, timeout: TimeoutArg = None, deadline: float | None = None
    ) -> M:
        """Send a write; the model of its answer, or of what reconciliation found instead."""
        written, _ = await self._write_or_find(spec, timeout, deadline)
        return written

    async def _write_or_find(
        self, spec: RequestSpec, timeout: TimeoutArg, deadline: float | None = None
    ) -> tuple[M, bool]:
        """Send a write: the model of its answer, and whether a lookup found it instead."""
        result = await self._send(spec, timeout, deadline)
        if result.existing is not None:
            return result.existing, True
        return await self._parse_answer(spec, result)

    async def _create(
        self,
        new: object,
        reconcile: Callable[[], Awaitable[M | None]] | None,
        timeout: TimeoutArg,
        deadline: float | None = None,
    ) -> tuple[M, bool]:
        """``POST`` the request model ``new``: the stored model, and whether a lookup found it.

        ``reconcile`` finds the stored write when its outcome is unknown
        (``None``: it cannot be looked up, and an unknown outcome is
        :class:`~amili_async.errors.OutcomeUnknownError`).
        """
        spec = RequestSpec("POST", self.path, json=converter.unstructure(new), reconcile=reconcile)
        return await self._write_or_find(spec, timeout, deadline)

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
            existing: M = await look_up_landed(spec, error)
            note_reconciled()
            return existing, True
        return parsed, False


class ReadableResource(Resource[M]):
    """A resource that can be read one by id and listed page by page."""

    @property
    def with_raw_response(self) -> ReadableRawResponses[M]:
        """This service's one-request methods, returning a :class:`~amili_async.RawResponse`:
        ``raw = await client.cases.with_raw_response.get(case_id)``; ``raw.headers``,
        ``raw.status_code``, ``raw.parse()`` (the :class:`~amili_async.Case`).
        ``with_raw_response.list(page=2, where=...)`` gives one page's answer."""
        return ReadableRawResponses(self)

    async def _find_first(
        self, where: Mapping[str, Any], match: Callable[[M], bool], timeout: TimeoutArg
    ) -> M | None:
        """The first stored item that ``where`` selects and ``match`` accepts, or ``None``."""
        async for stored in self.list(where=where, max_results=50, timeout=timeout):
            if match(stored):
                return stored
        return None

    async def get(
        self,
        resource_id: str,
        *,
        projection: Projection | None = None,
        timeout: TimeoutArg = None,
        deadline: float | None = None,
    ) -> M:
        """Read one item by id.

        ``projection`` selects fields: ``{"status": 1, "debt.invoice_number": 1}``
        includes only those, ``{"transactions": 0}`` leaves those out (Eve always
        adds ``_id``, ``_created``, ``_updated`` and ``_etag``); the fields left
        out read as ``None``. Checked before anything is sent. ``timeout`` and
        ``deadline`` override the client's for this call (as in every method).
        """
        check_id(resource_id)
        params = list_params(where=None, sort=None, max_results=None, projection=projection)
        spec = RequestSpec(
            "GET", f"{self.path}/{resource_id}", params=params or None, replay_safe=True
        )
        result = await self._send(spec, timeout, deadline)
        return self._parse(result.data, status_code=result.status_code, path=spec.path)

    def list(
        self,
        *,
        where: Where | Mapping[str, Any] | str | None = None,
        sort: str | None = None,
        max_results: int | None = None,
        projection: Projection | None = None,
        timeout: TimeoutArg = None,
        deadline: float | None = None,
    ) -> AsyncPager[M]:
        """Iterate over the items, fetching a page at a time as you go.

        ``where`` is the API's JSON filter (a mapping, or its JSON text) with
        dot notation and Mongo operators, e.g. ``{"debt.invoice_number":
        {"$in": [...]}}``; ``sort`` e.g. ``"-_created"``; ``max_results`` the
        page size (1 to 100; the API's default, 25, when left out; a server
        configured lower uses its own limit); ``projection`` as for
        :meth:`get`. Checked before anything is sent. ``deadline`` bounds each page.
        Annotate a filter as :class:`~amili_async.Where` to have its common
        keys checked by a type checker (a misspelt key matches nothing).
        """
        params = list_params(where=where, sort=sort, max_results=max_results, projection=projection)

        async def fetch(page_number: int) -> Page[M]:
            spec = RequestSpec(
                "GET", self.path, params={**params, "page": str(page_number)}, replay_safe=True
            )
            result = await self._send(spec, timeout, deadline)
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


class _BusinessOutcome(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def status(self) -> Any: ...

    @property
    def status_reason_locale(self) -> str | None: ...

    @property
    def needs_attention(self) -> bool: ...


def log_business_outcome(what: str, created: _BusinessOutcome, advice: str) -> None:
    """Log a warning when a creditor action was recorded with a ``warning``/``error`` status."""
    if created.needs_attention:
        logger.warning(
            "%s %s was recorded with status %r (%s); %s",
            what,
            created.id,
            str(created.status),
            created.status_reason_locale or "no reason given",
            advice,
        )
