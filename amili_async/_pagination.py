"""Async iteration over the API's paginated lists (Eve's ``_items`` / ``_meta`` / ``_links``)."""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import aclosing
from typing import Any, Generic, Literal, TypeVar

from attrs import frozen

from ._responses import structure_response, unreadable
from ._serde import converter, dumps
from ._validation import (
    MAX_QUERY_DEPTH,
    MAX_QUERY_LENGTH,
    check_query_value,
    check_text,
    shown,
)
from .errors import RequestValidationError

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "AsyncPager",
    "Page",
    "Projection",
    "list_params",
    "parse_page",
]

T = TypeVar("T")

_CONTROL = re.compile("[\\x00-\\x1f\\x7f]")

#: The largest ``max_results`` Amili documents. A server configured lower
#: clamps silently; the page's ``_meta.max_results`` then says what it used.
MAX_PAGE_SIZE = 100

#: The page size the API uses when ``max_results`` is not sent.
DEFAULT_PAGE_SIZE = 25

#: Fields to include (``1``) or leave out (``0``), e.g. ``{"status": 1, "debt.invoice_number": 1}``.
#: Eve always returns ``_id``, ``_created``, ``_updated`` and ``_etag``.
Projection = Mapping[str, Literal[0, 1]]


@frozen
class Page(Generic[T]):
    """One page of a list: its items and Eve's ``_meta`` (``total``, ``page``, ``max_results``).

    ``max_results`` is the page size the server used (Eve clamps a larger
    request silently); ``total`` is ``None`` when the server does not count.
    """

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
    projection: Projection | None = None,
) -> dict[str, str]:
    """The query parameters of a list or get call, checked before anything is sent.

    ``max_results`` left out is not sent: the API then uses
    :data:`DEFAULT_PAGE_SIZE`.
    """
    params: dict[str, str] = {}
    if where is not None:
        params["where"] = _where_param(where)
    if sort is not None:
        if not isinstance(sort, str) or not sort.strip() or _CONTROL.search(sort):
            raise RequestValidationError({"sort": "must be field names, e.g. '-_created'"})
        _check_query_text("sort", sort)
        params["sort"] = sort
    if max_results is not None:
        if (
            isinstance(max_results, bool)
            or not isinstance(max_results, int)
            or not 1 <= max_results <= MAX_PAGE_SIZE
        ):
            raise RequestValidationError(
                {"max_results": f"must be a whole number from 1 to {MAX_PAGE_SIZE}"}
            )
        params["max_results"] = str(max_results)
    if projection is not None:
        params["projection"] = _projection_param(projection)
    return params


def _where_param(where: Mapping[str, Any] | str) -> str:
    """``where`` as the JSON text to send, checked as the value it stands for.

    Nested at most :data:`~amili_async._validation.MAX_QUERY_DEPTH` deep, at most
    :data:`~amili_async._validation.MAX_QUERY_LENGTH` characters, strings that can
    be sent and numbers of sane size; JSON text is parsed and held to the same.
    """
    if isinstance(where, str):
        _check_query_text("where", where)
        try:
            value = json.loads(where)
        except RecursionError:
            raise RequestValidationError(
                {"where": f"nests deeper than {MAX_QUERY_DEPTH} levels"}
            ) from None
        except ValueError as error:
            raise RequestValidationError({"where": f"not valid JSON: {error}"}) from None
        text = where
    elif isinstance(where, Mapping):
        value = where
    else:
        raise RequestValidationError({"where": "must be a mapping or its JSON text"})
    if not isinstance(value, Mapping):
        raise RequestValidationError({"where": "must be a JSON object"})
    problem = check_query_value(value)
    if problem is not None:
        raise RequestValidationError({"where": problem})
    if not isinstance(where, str):
        try:
            text = dumps(converter.unstructure(where)).decode()
        except (ValueError, TypeError, RecursionError) as error:
            raise RequestValidationError({"where": f"cannot be sent as JSON: {error}"}) from None
        _check_query_text("where", text)
    return text


def _check_query_text(name: str, text: str) -> None:
    """A query parameter's text: sendable and not longer than a server takes."""
    problem = check_text(text)
    if problem is None and len(text) > MAX_QUERY_LENGTH:
        problem = f"is {len(text):,} characters of JSON; at most {MAX_QUERY_LENGTH:,} are sent"
    if problem is not None:
        raise RequestValidationError({name: problem})


def _projection_param(projection: Projection) -> str:
    """Eve's ``projection`` JSON: non-empty field names to 0 or 1, not mixing the two."""
    if not isinstance(projection, Mapping) or not projection:
        raise RequestValidationError(
            {"projection": "must be a non-empty mapping of field names to 0 or 1"}
        )
    issues: dict[str, str] = {}
    for name, value in projection.items():
        if not isinstance(name, str) or not name.strip() or check_text(name):
            issues["projection"] = f"field names must be non-empty strings, got {shown(name)}"
        elif isinstance(value, bool) or not isinstance(value, int) or value not in (0, 1):
            issues[f"projection.{name}"] = (
                f"must be 1 (include) or 0 (leave out), got {shown(value)}"
            )
    if not issues and {value for name, value in projection.items() if name != "_id"} == {0, 1}:
        # MongoDB refuses such a projection, and Eve answers it with a 500.
        issues["projection"] = "cannot mix 1 (include) and 0 (leave out), except for _id"
    if issues:
        raise RequestValidationError(issues)
    text = dumps(dict(projection)).decode()
    _check_query_text("projection", text)
    return text


class AsyncPager(Generic[T]):
    """Items of a list endpoint, fetched a page at a time as you iterate.

    ``async for case in client.cases.list(where=...)`` walks every page;
    :meth:`pages` yields whole pages; :meth:`collect` gathers items into a list.

    It goes on while the server says there is more (``_links.next``, or
    ``_meta.total`` not reached) or, when the server does not count, while
    pages come back full; it stops at the first empty page. A server that
    keeps saying there is more but sends a page of nothing new raises
    :class:`~amili_async.errors.ResponseValidationError` instead of looping
    forever.
    """

    def __init__(
        self,
        fetch_page: Callable[[int], Awaitable[Page[T]]],
        *,
        start_page: int = 1,
        path: str = "",
    ) -> None:
        self._fetch_page = fetch_page
        self._start_page = start_page
        self._path = path

    async def fetch_page(self, number: int) -> Page[T]:
        """Fetch one page, ``number`` counting from 1 (one request)."""
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            raise RequestValidationError({"page": f"must be a whole number from 1, got {number!r}"})
        return await self._fetch_page(number)

    def pages(self) -> AsyncIterator[Page[T]]:
        """Yield each page in turn, following the API until the last one.

        The iterator holds no open resource between pages, so leaving an
        ``async for`` early needs no clean-up; it has ``aclose()`` all the same.
        """
        return _PageStream(self._fetch_page, self._start_page, self._path)

    def __aiter__(self) -> AsyncIterator[T]:
        return _ItemStream(self.pages())

    async def collect(self, limit: int | None = None) -> list[T]:
        """All items (or the first ``limit``) as a list."""
        items: list[T] = []
        async with aclosing(_ItemStream(self.pages())) as stream:
            async for item in stream:
                items.append(item)
                if limit is not None and len(items) >= limit:
                    break
        return items


class _PageStream(Generic[T]):
    """The pages of a list, one request each, as a plain async iterator.

    A class rather than an async generator: one left unfinished (``break``,
    ``return`` in the loop, an error) has nothing to finalise, so neither
    asyncio nor trio warns about it when it is garbage collected.
    """

    def __init__(
        self, fetch_page: Callable[[int], Awaitable[Page[T]]], start_page: int, path: str
    ) -> None:
        self._fetch_page = fetch_page
        self._number = start_page
        self._path = path
        self._previous: frozenset[Any] = frozenset()
        #: The fingerprint of every page's ids so far, and its number: a server that
        #: cycles through the same pages (A, B, A, B, ...) is caught, at 8 bytes a page.
        self._seen: dict[int, int] = {}
        self._done = False

    def __aiter__(self) -> _PageStream[T]:
        return self

    async def __anext__(self) -> Page[T]:
        if self._done:
            raise StopAsyncIteration
        page = await self._fetch_page(self._number)
        ids = frozenset(getattr(item, "id", None) for item in page.items)
        previous, self._previous = self._previous, ids
        repeated: int | None = None
        if ids and None not in ids:
            if previous and ids <= previous:
                repeated = self._number - 1
            else:
                repeated = self._seen.setdefault(hash(ids), self._number)
                repeated = None if repeated == self._number else repeated
        if repeated is not None:
            self._done = True
            raise unreadable(
                f"page {self._number} repeats page {repeated} although the server "
                "said there was more; stopped rather than loop forever",
                sorted(ids, key=str),
                status_code=200,
                method="GET",
                path=self._path,
            )
        if not page.has_next or not page.items:
            self._done = True
        self._number += 1
        return page

    async def aclose(self) -> None:
        """Stop: no further page is fetched."""
        self._done = True


class _ItemStream(Generic[T]):
    """The items of a stream of pages, one at a time; closing it closes the pages."""

    def __init__(self, pages: AsyncIterator[Page[T]]) -> None:
        self._pages = pages
        self._items: deque[T] = deque()

    def __aiter__(self) -> _ItemStream[T]:
        return self

    async def __anext__(self) -> T:
        while not self._items:
            page = await anext(self._pages)
            self._items.extend(page.items)
        return self._items.popleft()

    async def aclose(self) -> None:
        """Stop, and close the pages (a subclass's ``pages()`` may be a generator)."""
        self._items.clear()
        close = getattr(self._pages, "aclose", None)
        if close is not None:
            await close()


def parse_page(
    data: Any,
    model: type[T],
    page_number: int,
    *,
    hook: Callable[[Any, Any], T] | None = None,
    requested_size: int | None = None,
    status_code: int = 200,
    path: str = "",
) -> Page[T]:
    """Build a :class:`Page` of ``model`` items from a list answer to ``GET path``.

    Tolerant: ``_meta`` and ``_links`` may be missing or partial. The page
    size is ``_meta.max_results`` (what the server used), else
    ``requested_size``, else :data:`DEFAULT_PAGE_SIZE`. There is a next page
    when ``_links.next`` is present, or ``_meta.total`` is not reached, or,
    with no total, when this page is full; never after an empty page. An
    answer that is not a JSON object with an ``_items`` list, or an item that
    does not fit ``model``, raises
    :class:`~amili_async.errors.ResponseValidationError`.
    """
    raw_items = data.get("_items") if isinstance(data, Mapping) else None
    if not isinstance(raw_items, list):
        raise unreadable(
            "a list answer must be a JSON object with an '_items' list",
            data,
            status_code=status_code,
            method="GET",
            path=path,
        )
    items = tuple(
        structure_response(
            raw, model, hook=hook, at=f"_items.{index}", status_code=status_code, path=path
        )
        for index, raw in enumerate(raw_items)
    )
    meta = _mapping(data.get("_meta"))
    links = _mapping(data.get("_links"))
    total = _count(meta.get("total"), minimum=0)
    size = _count(meta.get("max_results"), minimum=1) or requested_size or DEFAULT_PAGE_SIZE
    page = _count(meta.get("page"), minimum=1) or page_number
    if not items:
        has_next = False
    elif "next" in links:
        has_next = True
    elif total is not None:
        has_next = page * size < total
    else:
        has_next = len(items) >= size
    return Page(items=items, page=page, max_results=size, total=total, has_next=has_next)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _count(value: Any, *, minimum: int) -> int | None:
    """A whole number of at least ``minimum`` from ``_meta``, or ``None`` for anything else."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        return None
    return value
