"""``/cases``: follow each case's status, history, transactions and amounts."""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterable, Iterable

from .._bulk import _polling
from .._bulk._jobs import BulkJob, ProgressCallback
from .._bulk._polling import UntilArg
from .._bulk._results import CaseResult, CaseUpdate
from ..models.case import Case
from ._base import ReadableResource, TimeoutArg

__all__ = ["Cases"]


class Cases(ReadableResource[Case]):
    """Read cases. Cases are created only through case registration."""

    path = "/cases"
    model = Case

    def get_many(
        self,
        case_ids: Iterable[str] | AsyncIterable[str],
        *,
        concurrency: int = 10,
        progress: ProgressCallback | None = None,
        total: int | None = None,
        timeout: TimeoutArg = None,
        deadline: float | None = None,
    ) -> BulkJob[CaseResult]:
        """Read many cases at once, ``concurrency`` at a time, under the client's rate limit::

            async with client.cases.get_many(case_ids) as results:
                async for result in results:
                    print(result.case_id, result.case or result.error)

        Yields one :class:`~amili_async.CaseResult` per id as it completes (not
        in input order; ``result.index`` is the position). A case that cannot be
        read is a result with ``error`` set; it does not stop the others.
        """
        return _polling.get_many(
            self._reader(timeout, deadline),
            case_ids,
            clock=self._client.clock,
            concurrency=concurrency,
            progress=progress,
            total=total,
        )

    def watch(
        self,
        case_ids: Iterable[str],
        *,
        interval: float = 60.0,
        until: UntilArg = None,
        concurrency: int = 10,
        jitter: float = 0.1,
        progress: ProgressCallback | None = None,
        seed: int | None = None,
        timeout: TimeoutArg = None,
        deadline: float | None = None,
    ) -> BulkJob[CaseUpdate]:
        """Poll cases and yield each one when it changes, until each reaches ``until``::

            async with client.cases.watch(case_ids, interval=300) as updates:
                async for update in updates:
                    print(update.case_id, update.case.status, update.changed)

        A :class:`~amili_async.CaseUpdate` comes the first time a case is read
        and whenever its status, state, ``closed`` or remaining amounts change.
        ``until`` is a predicate on the case, a status, or several statuses
        (default: closed); once it holds the update has ``done=True`` and the
        case is no longer polled. The watch ends when no case is left.

        Polls are spread out, never sent in bursts: the first round is spaced
        evenly over one ``interval``, then each case is polled every
        ``interval`` seconds give or take ``jitter`` (a fraction), all timed on
        the client's clock, at most ``concurrency`` at once and under the
        client's rate limit. A poll that fails after the client's retries
        yields an update with ``error`` set; the case is still followed unless
        the error is final (a 4xx such as 404).
        """
        return _polling.watch(
            self._reader(timeout, deadline),
            case_ids,
            clock=self._client.clock,
            interval=interval,
            until=until,
            concurrency=concurrency,
            jitter=jitter,
            progress=progress,
            seed=seed,
        )

    async def wait_for(
        self,
        case_id: str,
        *,
        status: UntilArg = None,
        max_wait: float | None = None,
        interval: float = 60.0,
        request_timeout: TimeoutArg = None,
        request_deadline: float | None = None,
        timeout: float | None = None,
    ) -> Case:
        """Poll one case every ``interval`` seconds until it reaches ``status``; return it.

        ``status`` is a status, several, or a predicate on the case (default:
        closed). ``max_wait`` is the most seconds to wait in all, on the
        client's clock; past it :class:`~amili_async.errors.WaitTimeoutError`
        (also a builtin ``TimeoutError``) is raised carrying the case as last
        seen. ``request_timeout`` and ``request_deadline`` apply to each read,
        like ``timeout=`` and ``deadline=`` everywhere else in the SDK.

        ``timeout`` is the old name of ``max_wait``, deprecated: it warns and
        means the same.
        """
        if timeout is not None:
            max_wait = _renamed_timeout(timeout, max_wait)
        return await _polling.wait_for(
            self._reader(request_timeout, request_deadline),
            case_id,
            clock=self._client.clock,
            status=status,
            max_wait=max_wait,
            interval=interval,
        )

    def _reader(self, timeout: TimeoutArg, deadline: float | None) -> _polling.ReadCase:
        """``get``, with ``timeout`` and ``deadline`` applied to every read."""

        async def read(case_id: str) -> Case:
            return await self.get(case_id, timeout=timeout, deadline=deadline)

        return read


def _renamed_timeout(timeout: float, max_wait: float | None) -> float:
    """``max_wait`` from the deprecated ``wait_for(timeout=)``, with a warning."""
    if max_wait is not None:
        raise TypeError("wait_for() takes max_wait= or its old name timeout=, not both")
    warnings.warn(
        "cases.wait_for(timeout=) is deprecated: it is the total wait, so it is now called "
        "max_wait=; timeout= means the time per request everywhere else in the SDK",
        DeprecationWarning,
        stacklevel=3,
    )
    return timeout
