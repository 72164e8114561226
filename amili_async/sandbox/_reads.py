"""Eve's reads, one path for every collection: a filtered, sorted, paged list, and one item.

A list answers ``_items`` (projected) and ``_meta`` (``page``, ``max_results``
and, unless counting is off, ``total``), plus Eve's ``_links`` when HATEOAS is
on; it has no ETag, and its Last-Modified is the newest ``_updated`` on the
page. An item answers its document (projected) with the document's own ETag
and ``_updated``. Callers hold the state's lock and have caught up.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from ._collections import Collection
from ._errors import to_json_ready
from ._hateoas import collection_links, document_link, item_links
from ._query import ListQuery, Paging, apply_projection, sort_documents
from ._settings import ApiSettings

__all__ = ["Reading", "read_item", "read_list", "snapshot"]


@attrs.frozen
class Reading:
    """A JSON-ready body and what its headers say about it.

    ``etag`` (unquoted) is an item's only: Eve sends none on a list.
    ``last_modified`` is ``None`` for an empty page; ``total`` is a list's
    ``X-Total-Count``, ``None`` for an item or when counting is off.
    """

    body: dict[str, Any]
    etag: str | None = None
    last_modified: datetime | None = None
    total: int | None = None


def read_list(
    collection: Collection, account_id: str, query: ListQuery, settings: ApiSettings
) -> Reading:
    """One page of an account's documents that match ``query``."""
    docs = [
        doc for doc in collection.documents(account_id) if query.where is None or query.where(doc)
    ]
    if query.sort:
        docs = sort_documents(docs, query.sort)
    start = (query.page - 1) * query.max_results
    page = [collection.current(doc) for doc in docs[start : start + query.max_results]]
    total = len(docs) if settings.counts_total else None
    body: dict[str, Any] = {"_items": [_rendered(doc, query.projection) for doc in page]}
    if settings.hateoas:
        for item, doc in zip(body["_items"], page, strict=True):
            item["_links"] = {"self": document_link(collection.name, str(doc["_id"]))}
        body["_links"] = collection_links(
            collection.name, query.paging, total, counted=settings.counts_total
        )
    meta: dict[str, Any] = {"page": query.page, "max_results": query.max_results}
    if total is not None:
        meta["total"] = total
    body["_meta"] = meta
    last_modified = max((doc["_updated"] for doc in page), default=None)
    return Reading(body, last_modified=last_modified, total=total)


def read_item(
    collection: Collection,
    account_id: str,
    item_id: str,
    projection: dict[str, int] | None,
    paging: Paging,
    settings: ApiSettings,
) -> Reading:
    """One of an account's documents, or a 404 / 403 ``ApiError``.

    ``paging`` is the request's page parameters, which Eve copies into an
    item's ``_links`` when HATEOAS is on.
    """
    doc = collection.find(account_id, item_id)
    body = _rendered(doc, projection)
    if settings.hateoas:
        body["_links"] = item_links(
            collection.name, str(doc["_id"]), paging, counted=settings.counts_total
        )
    return Reading(body, etag=str(doc["_etag"]), last_modified=doc["_updated"])


def snapshot(collection: Collection) -> list[dict[str, Any]]:
    """JSON-ready copies of every document of a collection, oldest first."""
    return [to_json_ready(collection.current(doc)) for doc in collection.documents()]


def _rendered(doc: dict[str, Any], projection: dict[str, int] | None) -> dict[str, Any]:
    rendered: dict[str, Any] = to_json_ready(
        apply_projection(doc, projection) if projection else doc
    )
    return rendered
