"""What the creditor actions and invoice registrations share: create, find, create_many.

Each is a write that can be found again by a key of its own (a crediting's
``creditor_reference``, a cancellation's case, an invoice's number): the key
reconciles a lost answer, de-duplicates a bulk job and names it in the journal.
"""

from __future__ import annotations

import abc
import json
from collections.abc import AsyncIterable, Iterable, Mapping
from os import PathLike
from typing import Any, Generic, TypeVar

from .._bulk import _actions
from .._bulk._jobs import BulkJob, ProgressCallback
from .._bulk._results import ActionOutcome
from .._journal import Journal
from ..models._base import parse_request
from ._base import ReadableResource, TimeoutArg, log_business_outcome

__all__ = ["ActionResource"]

N = TypeVar("N")
D = TypeVar("D")
M = TypeVar("M", bound=_actions.Stored)


class ActionResource(ReadableResource[M], Generic[N, D, M], abc.ABC):
    """A write resource whose items can be looked up by a key of their own.

    ``N`` is the request model, ``D`` its mapping form (a ``TypedDict``), ``M``
    the stored model.
    """

    #: The request model.
    request_model: type[N]
    #: What the log calls one item ("creditor crediting").
    noun: str
    #: What the log advises when an item is recorded with a warning or an error.
    advice: str = ""
    #: The field that holds the key, and why a bulk item without one is refused.
    missing_key: tuple[str, str]

    @abc.abstractmethod
    def _lookup(self, new: N) -> tuple[dict[str, Any], str] | None:
        """The ``where`` that finds ``new`` stored and the key it is known by; ``None``: none."""

    @abc.abstractmethod
    def _matches(self, new: N, stored: M) -> bool:
        """Whether ``stored`` is what sending ``new`` stored."""

    async def _create_action(self, item: N | D, timeout: TimeoutArg) -> tuple[M, bool]:
        new = parse_request(self.request_model, item)
        lookup = self._lookup(new)

        async def find_existing() -> M | None:
            return await self.find(new, timeout=timeout)

        created, existed = await self._create(
            new, find_existing if lookup is not None else None, timeout
        )
        if self.advice:
            log_business_outcome(self.noun, created, self.advice)  # type: ignore[arg-type]
        return created, existed

    async def create_or_find(self, item: N | D, *, timeout: TimeoutArg = None) -> tuple[M, bool]:
        """Like ``create``, also saying whether a lookup found it stored after a lost answer."""
        return await self._create_action(item, timeout)

    async def find(self, item: N | D, *, timeout: TimeoutArg = None) -> M | None:
        """The stored item that sending ``item`` stored, if any (``None`` when it has no key)."""
        new = parse_request(self.request_model, item)
        lookup = self._lookup(new)
        if lookup is None:
            return None
        where, _ = lookup
        return await self._find_first(where, lambda stored: self._matches(new, stored), timeout)

    def create_many(
        self,
        items: Iterable[N | D | Mapping[str, Any]] | AsyncIterable[N | D | Mapping[str, Any]],
        *,
        concurrency: int = 10,
        journal: Journal | str | PathLike[str] | None = None,
        retry_failed: bool = False,
        progress: ProgressCallback | None = None,
        total: int | None = None,
        timeout: TimeoutArg = None,
    ) -> BulkJob[ActionOutcome[M]]:
        """Send many at once, one :class:`~amili_async.ActionOutcome` per item::

            async with client.creditor_creditings.create_many(rows, journal="j.sqlite") as out:
                async for outcome in out:
                    ...

        Works like ``case_registrations.create_many``: ``items`` is pulled
        lazily, at most ``concurrency`` are in flight, outcomes arrive as
        they complete (``outcome.index`` is the position), invalid items are
        failed outcomes and never sent. Each item needs its key (see
        :attr:`missing_key`): an item without one, or whose key already
        appeared in the job, fails unsent. ``journal`` makes the job
        resumable (a rerun skips what was stored, looks up what was in
        flight, and retries failures only with ``retry_failed=True``);
        ``progress`` and ``total`` as for registrations.
        """

        def key(new: N) -> str | None:
            lookup = self._lookup(new)
            return None if lookup is None else lookup[1]

        calls = _actions.ActionCalls(
            path=self.path,
            request=self.request_model,
            key=key,
            missing_key=self.missing_key,
            find=lambda new: self.find(new, timeout=timeout),
            create_or_find=lambda new: self.create_or_find(new, timeout=timeout),
        )
        return _actions.create_many(
            calls,
            items,
            clock=self._client.clock,
            concurrency=concurrency,
            journal=journal,
            retry_failed=retry_failed,
            progress=progress,
            total=total,
        )


def action_key(path: str, *parts: str) -> str:
    """A stable journal key: the resource and the parts that identify the item."""
    return json.dumps([path.strip("/"), *parts], ensure_ascii=False, separators=(",", ":"))
