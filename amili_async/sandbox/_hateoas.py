"""Eve's HATEOAS ``_links``, exactly as Eve 2.3 builds them (``Sandbox(hateoas=True)``).

Every ``href`` is relative to the API root, with no leading slash; query
values are copied as sent, not URL-encoded (Eve's ``querydef``). Titles are
Eve's defaults: a collection's title is its name, an item's is the name
without its trailing ``s``, capitalised (``case--registrations`` ->
``Case--registration``). Amili's examples show no ``_links``, so the
sandbox leaves them out unless asked.
"""

from __future__ import annotations

import math
from typing import Any

from ._query import DEFAULT_MAX_RESULTS, Paging

__all__ = ["collection_links", "document_link", "item_links", "item_title", "with_self_links"]

_HOME = {"title": "home", "href": "/"}


def item_title(collection: str) -> str:
    """Eve's default ``item_title``: ``cases`` -> ``Case``."""
    return collection.rstrip("s").capitalize()


def document_link(collection: str, item_id: str) -> dict[str, str]:
    """``{"title", "href"}`` of one document: ``cases/<id>``."""
    return {"title": item_title(collection), "href": f"{collection}/{item_id}"}


def collection_links(
    collection: str, paging: Paging, total: int | None, *, counted: bool
) -> dict[str, Any]:
    """A list's ``_links``: ``parent``, ``self`` and the page links.

    ``total`` is ``None`` when the count is skipped (``counted`` false, Eve's
    ``OPTIMIZE_PAGINATION_FOR_SPEED``); ``next`` is then always linked, and
    ``last`` never.
    """
    links: dict[str, Any] = {
        "parent": dict(_HOME),
        "self": {"title": collection, "href": collection},
    }
    if total:
        links["self"]["href"] = collection + _query_string(paging, paging.page)
    links.update(_page_links(collection, paging, total, counted=counted))
    return links


def item_links(collection: str, item_id: str, paging: Paging, *, counted: bool) -> dict[str, Any]:
    """An item's ``_links``: ``self``, ``parent``, ``collection`` (and Eve's page links).

    Eve builds them with its list-link code and no count, so an item read
    with ``?page=3`` links ``prev``, and without counting it links ``next``.
    """
    links: dict[str, Any] = {
        "self": document_link(collection, item_id),
        "parent": dict(_HOME),
        "collection": {
            "title": collection,
            "href": collection + _query_string(paging, paging.page),
        },
    }
    links.update(_page_links(collection, paging, None, counted=counted))
    return links


def _page_links(
    collection: str, paging: Paging, total: int | None, *, counted: bool
) -> dict[str, Any]:
    links: dict[str, Any] = {}

    def link(title: str, page: int) -> dict[str, str]:
        return {"title": title, "href": collection + _query_string(paging, page)}

    if paging.page * paging.max_results < (total or 0) or not counted:
        links["next"] = link("next page", paging.page + 1)
        if total:
            links["last"] = link("last page", math.ceil(total / paging.max_results))
    if paging.page > 1:
        links["prev"] = link("previous page", paging.page - 1)
    return links


def _query_string(paging: Paging, page: int) -> str:
    """Eve's ``querydef``: ``?max_results=..&where=..&sort=..&page=..&<others>``, or ``""``."""
    parts = []
    if paging.max_results != DEFAULT_MAX_RESULTS:
        parts.append(f"max_results={paging.max_results}")
    if paging.where:
        parts.append(f"where={paging.where}")
    if paging.sort:
        parts.append(f"sort={paging.sort}")
    if page > 1:
        parts.append(f"page={page}")
    parts.extend(f"{name}={value}" for name, value in paging.others)
    return "?" + "&".join(parts) if parts else ""


def with_self_links(answer: dict[str, Any], collection: str) -> dict[str, Any]:
    """A write's answer with ``_links.self`` on each stored document (bulk: on each item)."""
    for document in answer.get("_items", [answer]):
        if "_id" in document:
            document["_links"] = {"self": document_link(collection, str(document["_id"]))}
    return answer
