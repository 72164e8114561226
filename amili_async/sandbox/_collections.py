"""The stored documents of each resource, as the one generic read path sees them.

A :class:`Collection` lists its documents oldest first, finds one by id, and
knows which account owns it (the ``account`` field). Plain resources keep their
documents as they are (:class:`Documents`); cases keep a :class:`CaseRecord`
each, whose ETag is computed when the case is read (:class:`Cases`).
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator
from typing import Any

from ._errors import ApiError
from ._ids import is_object_id
from ._lifecycle import CaseRecord

__all__ = ["Cases", "Collection", "Documents"]


class Collection(abc.ABC):
    """One resource's stored documents; the caller holds the state's lock."""

    def __init__(self, name: str) -> None:
        self.name = name

    @abc.abstractmethod
    def stored(self) -> Iterable[dict[str, Any]]:
        """Every document as stored, oldest first (an ETag may lag: see :meth:`current`)."""

    @abc.abstractmethod
    def stored_by_id(self, item_id: str) -> dict[str, Any] | None:
        """The stored document with this id, or ``None``."""

    @abc.abstractmethod
    def clear(self) -> None:
        """Forget every document."""

    @abc.abstractmethod
    def __len__(self) -> int:
        """How many documents are stored."""

    def current(self, doc: dict[str, Any]) -> dict[str, Any]:
        """``doc`` with an up-to-date ``_etag``."""
        return doc

    def documents(self, account_id: str | None = None) -> Iterator[dict[str, Any]]:
        """Stored documents (of one account, when named), oldest first."""
        for doc in self.stored():
            if account_id is None or doc.get("account") == account_id:
                yield doc

    def owned(self, account_id: str, item_id: str) -> dict[str, Any]:
        """The stored document, or a 404 (unknown) / 403 (another account's) ``ApiError``."""
        doc = self.stored_by_id(item_id) if is_object_id(item_id) else None
        if doc is None:
            raise ApiError(404)
        if doc.get("account") != account_id:
            raise ApiError(403)
        return doc

    def find(self, account_id: str, item_id: str) -> dict[str, Any]:
        """The up-to-date document, or a 404 / 403 ``ApiError``."""
        return self.current(self.owned(account_id, item_id))


class Documents(Collection):
    """A resource whose documents are stored as they are answered."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self._docs: dict[str, dict[str, Any]] = {}

    def add(self, doc: dict[str, Any]) -> None:
        """Store ``doc`` under its ``_id``."""
        self._docs[doc["_id"]] = doc

    def stored(self) -> Iterable[dict[str, Any]]:
        """Every document, oldest first."""
        return self._docs.values()

    def remove(self, item_id: str) -> None:
        """Forget the document with this id (if stored)."""
        self._docs.pop(item_id, None)

    def stored_by_id(self, item_id: str) -> dict[str, Any] | None:
        """The document with this id, or ``None``."""
        return self._docs.get(item_id)

    def clear(self) -> None:
        """Forget every document."""
        self._docs.clear()

    def __len__(self) -> int:
        return len(self._docs)


class Cases(Collection):
    """The cases: one :class:`CaseRecord` each, which the life cycle moves on."""

    def __init__(self) -> None:
        super().__init__("cases")
        #: Every case by id (what the life cycle and the payment rules work on).
        self.records: dict[str, CaseRecord] = {}

    def add(self, record: CaseRecord) -> None:
        """Store a newly registered case."""
        self.records[record.id] = record

    def record(self, account_id: str, case_id: str) -> CaseRecord:
        """The case record, or a 404 / 403 ``ApiError``."""
        return self.records[self.owned(account_id, case_id)["_id"]]

    def stored(self) -> Iterable[dict[str, Any]]:
        """Every case document, oldest first."""
        return (record.doc for record in self.records.values())

    def stored_by_id(self, item_id: str) -> dict[str, Any] | None:
        """The case document with this id, or ``None``."""
        record = self.records.get(item_id)
        return record.doc if record is not None else None

    def current(self, doc: dict[str, Any]) -> dict[str, Any]:
        """The case document with its ETag brought up to date."""
        return self.records[doc["_id"]].current()

    def clear(self) -> None:
        """Forget every case."""
        self.records.clear()

    def __len__(self) -> int:
        return len(self.records)
