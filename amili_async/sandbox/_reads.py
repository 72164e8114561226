"""Eve's reads, one path for every collection: a filtered, sorted, paged list, and one item.

A list answers ``_items`` (projected), ``_links`` (``self``, ``parent`` and,
when there are other pages, ``next``/``last``/``prev``) and ``_meta``; its
ETag is a hash of that body. An item answers its document (projected) with
the document's own ETag. Callers hold the state's lock and have caught up.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import attrs

from ._collections import Collection
from ._errors import to_json_ready
from ._lifecycle import digest
from ._query import DEFAULT_MAX_RESULTS, ListQuery, apply_projection, sort_documents

__all__ = ["Reading", "read_item", "read_list", "snapshot"]


@attrs.frozen
class Reading:
    """A JSON-ready body and its ETag (unquoted)."""

    body: dict[str, Any]
    etag: str


def read_list(collection: Collection, account_id: str, query: ListQuery) -> Reading:
    """One page of an account's documents that match ``query``."""
    docs = [
        doc for doc in collection.documents(account_id) if query.where is None or query.where(doc)
    ]
    if query.sort:
        docs = sort_documents(docs, query.sort)
    start = (query.page - 1) * query.max_results
    page = docs[start : start + query.max_results]
    body = {
        "_items": [_rendered(collection.current(doc), query.projection) for doc in page],
        "_links": _links(collection.name, query, len(docs)),
        "_meta": {"page": query.page, "max_results": query.max_results, "total": len(docs)},
    }
    return Reading(body, digest(body, "sha1"))


def read_item(
    collection: Collection, account_id: str, item_id: str, projection: dict[str, int] | None
) -> Reading:
    """One of an account's documents, or a 404 / 403 ``ApiError``."""
    doc = collection.find(account_id, item_id)
    return Reading(_rendered(doc, projection), str(doc["_etag"]))


def snapshot(collection: Collection) -> list[dict[str, Any]]:
    """JSON-ready copies of every document of a collection, oldest first."""
    return [to_json_ready(collection.current(doc)) for doc in collection.documents()]


def _rendered(doc: dict[str, Any], projection: dict[str, int] | None) -> dict[str, Any]:
    rendered: dict[str, Any] = to_json_ready(
        apply_projection(doc, projection) if projection else doc
    )
    return rendered


def _links(collection: str, query: ListQuery, total: int) -> dict[str, Any]:
    links: dict[str, Any] = {
        "parent": {"title": "home", "href": "/"},
        "self": {"title": collection, "href": collection},
    }

    def href(page: int) -> str:
        params: dict[str, Any] = {}
        if query.max_results != DEFAULT_MAX_RESULTS:
            params["max_results"] = query.max_results
        params.update(query.raw)
        params["page"] = page
        return f"{collection}?{urlencode(params)}"

    if total and query.page * query.max_results < total:
        links["next"] = {"title": "next page", "href": href(query.page + 1)}
        last = (total - 1) // query.max_results + 1
        links["last"] = {"title": "last page", "href": href(last)}
    if query.page > 1:
        links["prev"] = {"title": "previous page", "href": href(query.page - 1)}
    return links
