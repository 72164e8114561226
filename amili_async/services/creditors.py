"""``/creditors``: read creditors; with the Partner API, create, change and delete them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._pipeline import RequestSpec
from .._serde import converter
from ..errors import RequestValidationError
from ..models._base import parse_request
from ..models._input import CreditorChangesDict, NewCreditorDict
from ..models.creditor import Creditor, NewCreditor, creditor_changes
from ._base import ReadableResource, TimeoutArg, check_id

__all__ = ["Creditors"]

#: A creditor, or its id.
CreditorArg = Creditor | str
#: What ``If-Match`` is taken from: the creditor as read, or its ``_etag``.
EtagArg = Creditor | str | None


class Creditors(ReadableResource[Creditor]):
    """Read creditors; create, update and delete them (Partner API).

    Updates and deletes are guarded by the creditor's ETag, as Eve requires:
    read the creditor, then pass it (or its ``etag``) along. If someone
    changed it in between, the API refuses with 412, raised as
    :class:`~amili_async.errors.ConflictError`: read it again and retry on
    the fresh copy. Leaving the ETag out is a 428, also a ``ConflictError``.
    """

    path = "/creditors"
    model = Creditor

    async def create(
        self, creditor: NewCreditor | NewCreditorDict, *, timeout: TimeoutArg = None
    ) -> Creditor:
        """Create a creditor (Partner API); validated before anything is sent.

        Returns the answer, which holds the meta fields (``id``, ``etag``...):
        read it with :meth:`get` for the rest. When the answer is lost on the
        way back, the SDK looks for a creditor of the same account, name and
        organisation number before sending it again; with neither
        organisation number it cannot tell, and raises
        :class:`~amili_async.errors.OutcomeUnknownError` instead.
        """
        new = parse_request(NewCreditor, creditor)
        number_field = (
            "organization_no" if new.organization_no is not None else "non_swedish_organization_no"
        )
        number = getattr(new, number_field)

        async def find_existing() -> Creditor | None:
            where = {"account": new.account, "name": new.name, number_field: number}
            async for stored in self.list(where=where, max_results=10, timeout=timeout):
                return stored
            return None

        spec = RequestSpec(
            "POST",
            self.path,
            json=converter.unstructure(new),
            reconcile=find_existing if number is not None else None,
        )
        return await self._write(spec, timeout)

    async def update(
        self,
        creditor: CreditorArg,
        changes: CreditorChangesDict,
        *,
        etag: EtagArg = None,
        timeout: TimeoutArg = None,
    ) -> Creditor:
        """Change some fields of a creditor (``PATCH`` with ``If-Match``); return the answer.

        ``creditor`` is the creditor as read (its ``etag`` is then used) or
        its id with ``etag=`` (the creditor as read, or its ``_etag``).
        ``changes`` are checked first (see
        :func:`~amili_async.models.creditor.creditor_changes`: read-only and
        creation-only fields are refused); nested objects are merged by the API.
        They are typed as :class:`~amili_async.CreditorChangesDict`; a field the
        SDK does not know yet is sent as it is (``typing.cast`` such a mapping).

        The answer holds the meta fields only (Eve's bandwidth saver): its
        ``etag`` is the new one, to pass to the next update; :meth:`get`
        reads the rest. A 412 (:class:`~amili_async.errors.ConflictError`)
        means the creditor changed since it was read: read it again, decide,
        retry. With no ETag at all the API answers 428, also a ``ConflictError``.

        Safe to retry: when the answer is lost, the SDK reads the creditor
        back. Its ETag unchanged means the change did not land, and it is sent
        again (still guarded by the ETag); changed, with the changes in it,
        means it landed, and that creditor is returned; changed otherwise
        means someone else wrote it, and re-sending gives the 412.
        """
        creditor_id = _creditor_id(creditor)
        body = creditor_changes(changes)
        sent_etag = _etag_of(creditor, etag)
        path = f"{self.path}/{creditor_id}"

        async def find_landed() -> Creditor | None:
            stored = await self._send(RequestSpec("GET", path, replay_safe=True), timeout)
            data = stored.data if isinstance(stored.data, Mapping) else {}
            if _bare(data.get("_etag")) == sent_etag or not _contains(data, body):
                return None
            return self._parse(data, path=path)

        spec = RequestSpec(
            "PATCH",
            path,
            json=body,
            headers=_if_match(sent_etag),
            expected_status=(200,),
            reconcile=find_landed if sent_etag is not None else None,
        )
        return await self._write(spec, timeout)

    async def delete(
        self, creditor: CreditorArg, *, etag: EtagArg = None, timeout: TimeoutArg = None
    ) -> None:
        """Delete a creditor (``DELETE`` with ``If-Match``), as :meth:`update` takes it.

        Deleting a creditor that is already gone succeeds (the API answers
        204 for an unknown id), so a delete whose answer was lost is simply
        sent again. A 412 or 428 is a :class:`~amili_async.errors.ConflictError`.
        """
        path = f"{self.path}/{_creditor_id(creditor)}"
        spec = RequestSpec(
            "DELETE",
            path,
            headers=_if_match(_etag_of(creditor, etag)),
            expected_status=(204,),
            replay_safe=True,
        )
        await self._send(spec, timeout)


def _creditor_id(creditor: CreditorArg) -> str:
    creditor_id = creditor.id if isinstance(creditor, Creditor) else creditor
    check_id(creditor_id)
    return creditor_id


def _etag_of(creditor: CreditorArg, etag: EtagArg) -> str | None:
    """The bare ETag to send: ``etag`` (a creditor or its ``_etag``), else ``creditor``'s."""
    source = etag if etag is not None else creditor
    value = source.etag if isinstance(source, Creditor) else etag
    if value is None:
        return None
    if not isinstance(value, str) or not _bare(value):
        raise RequestValidationError({"etag": f"not an ETag: {value!r}"})
    return _bare(value)


def _bare(etag: object) -> str | None:
    """An ETag without ``W/`` and quotes, as Eve compares it."""
    if not isinstance(etag, str):
        return None
    return etag.strip().removeprefix("W/").strip('"') or None


def _if_match(etag: str | None) -> dict[str, str] | None:
    return {"If-Match": f'"{etag}"'} if etag is not None else None


def _contains(stored: Mapping[str, Any], changes: Mapping[str, Any]) -> bool:
    """Whether ``stored`` already holds every value of ``changes`` (nested objects merged)."""
    for name, value in changes.items():
        current = stored.get(name)
        if isinstance(value, Mapping):
            if not isinstance(current, Mapping) or not _contains(current, value):
                return False
        elif current != value:
            return False
    return True
