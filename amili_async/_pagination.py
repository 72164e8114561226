"""Async iteration over the API's paginated lists (Eve's ``_items`` / ``_meta`` / ``_links``)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, Generic, TypeVar

from attrs import frozen

from ._serde import converter, dumps
from .errors import RequestValidationError

__all__ = ["AsyncPager", "Page", "list_params"]

T = TypeVar("T")

#: Eve's usual ceiling for ``max_results``.
MAX_PAGE_SIZE = 50


@frozen
class Page(Generic[T]):
    """One page of a list: its items and Eve's ``_meta`` (``total``, ``page``, ``max_results``)."""

    items: tuple[T, ...]
    page: int
    max_results: int
    total: int | None
    has_next: bool


def list_params(
    *,
    where: Mapping[str, Any] | str | None,
    sort: str | None,
    max_results: int | None,
    projection: Mapping[str, int] | None = None,
) -> dict[str, str]:
    """The query parameters of a list call, checked before anything is sent."""
    params: dict[str, str] = {}
    if where is not None:
        if isinstance(where, str):
            try:
                json.loads(where)
            except ValueError as error:
                raise RequestValidationError({"where": f"not valid JSON: {error}"}) from None
            params["where"] = where
        else:
            params["where"] = dumps(converter.unstructure(where)).decode()
    if sort is not None:
        params["sort"] = sort
    if max_results is not None:
        if isinstance(max_results, bool) or not 1 <= max_results <= MAX_PAGE_SIZE:
            raise RequestValidationError({"max_results": f"must be between 1 and {MAX_PAGE_SIZE}"})
        params["max_results"] = str(max_results)
    if projection is not None:
        params["projection"] = dumps(dict(projection)).decode()
    return params


class AsyncPager(Generic[T]):
    """Items of a list endpoint, fetched a page at a time as you iterate.

    ``async for case in client.cases.list(where=...)`` walks every page;
    :meth:`pages` yields whole pages; :meth:`collect` gathers items into a list.
    """

    def __init__(self, fetch_page: Callable[[int], Awaitable[Page[T]]], *, start_page: int = 1):
        self._fetch_page = fetch_page
        self._start_page = start_page

    async def pages(self) -> AsyncIterator[Page[T]]:
        """Yield each page in turn, following the API until the last one."""
        number = self._start_page
        while True:
            page = await self._fetch_page(number)
            yield page
            if not page.has_next or not page.items:
                return
            number += 1

    async def _items(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page.items:
                yield item

    def __aiter__(self) -> AsyncIterator[T]:
        return self._items()

    async def collect(self, limit: int | None = None) -> list[T]:
        """All items (or the first ``limit``) as a list."""
        items: list[T] = []
        async for item in self:
            items.append(item)
            if limit is not None and len(items) >= limit:
                break
        return items


def parse_page(data: Any, structure: Callable[[Any], T], page_number: int) -> Page[T]:
    """Build a :class:`Page` from a list answer."""
    if not isinstance(data, Mapping):
        raise ValueError("a list answer must be a JSON object")
    raw_items = data.get("_items") or []
    meta = data.get("_meta") or {}
    links = data.get("_links") or {}
    total = meta.get("total")
    max_results = int(meta.get("max_results") or len(raw_items) or 1)
    page = int(meta.get("page") or page_number)
    if isinstance(links, Mapping) and "next" in links:
        has_next = True
    elif isinstance(total, int):
        has_next = page * max_results < total
    else:
        has_next = False
    return Page(
        items=tuple(structure(item) for item in raw_items),
        page=page,
        max_results=max_results,
        total=total if isinstance(total, int) else None,
        has_next=has_next,
    )
