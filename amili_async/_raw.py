"""Raw answers on request: ``client.<service>.with_raw_response.<method>(...)``.

The raw form of a method runs the method itself, unchanged (input checks,
retries, reconciliation, parsing), and returns a :class:`RawResponse`: the
HTTP answer to the method's own request next to the typed result. It covers
the methods that send one request: ``get``, ``create``, ``create_or_find``,
``update``, ``delete``, ``upload``, and ``list`` one page at a time. The bulk
methods (``create_many``, ``get_many``, ``watch``, ``wait_for``) and ``find``
send many requests each, so they have no raw form.

How the answer is caught: the raw call sets a context variable; the first
request the method sends (its own, never the lookups a reconciliation makes
inside it) keeps its httpx response, and the raw call collects it.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterable, Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs
import httpx

from ._pagination import AsyncPager, Page, Projection

if TYPE_CHECKING:
    from ._client import AmiliClient
    from ._pipeline import ApiResult, RequestSpec

__all__ = [
    "RAW_METHODS",
    "RawResponse",
    "RawResponses",
    "ReadableRawResponses",
    "note_reconciled",
    "send_captured",
]

T = TypeVar("T")
M = TypeVar("M")

#: The service methods that have a raw form: each sends one request of its own.
RAW_METHODS = frozenset({"get", "create", "create_or_find", "update", "delete", "upload"})


class _Capture:
    """What one raw call caught: its first request, and that request's result."""

    __slots__ = ("claimed", "reconciled", "result", "spec")

    def __init__(self) -> None:
        self.claimed = False
        self.reconciled = False
        self.result: ApiResult | None = None
        self.spec: RequestSpec | None = None


_capture: ContextVar[_Capture | None] = ContextVar("amili_async_raw_capture", default=None)


async def send_captured(
    spec: RequestSpec, send: Callable[[RequestSpec], Awaitable[ApiResult]]
) -> ApiResult:
    """``send(spec)``; when a raw call waits for its first request, keep this one's answer."""
    capture = _capture.get()
    if capture is None or capture.claimed:
        return await send(spec)
    capture.claimed = True
    capture.spec = spec
    result = await send(attrs.evolve(spec, keep_response=True))
    capture.result = result
    return result


def note_reconciled() -> None:
    """Record, for a raw call in progress, that its result came from a lookup."""
    capture = _capture.get()
    if capture is not None:
        capture.reconciled = True


class RawResponse(Generic[T]):
    """The HTTP answer to one call, next to its typed result.

    ``status_code``, ``headers`` (the answer's) and ``http_response`` (the
    httpx response, its body read: ``.content``, ``.json()``, ``.elapsed``,
    ``.http_version``...) describe the answer; :meth:`parse` returns what the
    method itself returns. ``http_response.request`` is the request as sent
    except its ``X-API-Key`` header, whose value reads ``***``: a raw response
    never holds the key, and its ``repr`` shows the status, method and path.

    When the call's result came from a lookup instead of this answer (a
    write's answer was lost, could not be read, or refused the write as a
    duplicate, and the SDK found the stored record: never sent twice),
    ``reconciled`` is ``True``; with no usable answer at all ``status_code``
    and ``http_response`` are ``None`` and ``headers`` is empty.
    """

    __slots__ = (
        "_value",
        "headers",
        "http_response",
        "method",
        "path",
        "reconciled",
        "status_code",
    )

    def __init__(self, value: T, capture: _Capture) -> None:
        result = capture.result
        response = result.http_response if result is not None else None
        self._value = value
        self.http_response: httpx.Response | None = response
        self.status_code: int | None = response.status_code if response is not None else None
        self.headers: httpx.Headers = httpx.Headers(response.headers if response else None)
        self.reconciled: bool = capture.reconciled or result is None or result.existing is not None
        self.method: str = capture.spec.method if capture.spec else ""
        self.path: str = capture.spec.path if capture.spec else ""

    def parse(self) -> T:
        """The typed result: what the method returns without ``with_raw_response``."""
        return self._value

    @property
    def content(self) -> bytes:
        """The answer's body (decompressed); empty without an answer."""
        return self.http_response.content if self.http_response is not None else b""

    def __repr__(self) -> str:
        status = "no answer" if self.status_code is None else str(self.status_code)
        found = ", reconciled" if self.reconciled else ""
        return f"<RawResponse [{status}{found}] {self.method} {self.path}>"

    __str__ = __repr__


async def capture_raw(call: Callable[[], Awaitable[T]]) -> RawResponse[T]:
    """Run ``call`` (a method's own call) and return its answer as a :class:`RawResponse`."""
    capture = _Capture()
    previous = _capture.set(capture)
    try:
        value = await call()
    finally:
        _capture.reset(previous)
    return RawResponse(value, capture)


class RawResponses(Generic[M]):
    """A service's methods in their raw form: ``client.media.with_raw_response.upload(...)``.

    Each takes the same arguments as the method and returns a
    :class:`RawResponse` whose :meth:`~RawResponse.parse` is the method's own
    result. Only the methods that send one request have a raw form (see
    :data:`RAW_METHODS`); the bulk methods and ``find`` raise ``AttributeError``.
    """

    def __init__(self, resource: Any) -> None:
        self._resource = resource

    def __getattr__(self, name: str) -> Callable[..., Awaitable[RawResponse[Any]]]:
        method = getattr(self._resource, name, None) if name in RAW_METHODS else None
        if method is None or not callable(method):
            raise AttributeError(_no_raw_form(type(self._resource).__name__, name))

        @functools.wraps(method)
        async def raw(*args: Any, **kwargs: Any) -> RawResponse[Any]:
            return await capture_raw(lambda: method(*args, **kwargs))

        return raw

    def __repr__(self) -> str:
        return f"<{type(self._resource).__name__}.with_raw_response>"


class ReadableRawResponses(RawResponses[M]):
    """The raw forms of a readable service: ``get`` and ``list`` typed, and its writes."""

    async def get(
        self,
        resource_id: str,
        *,
        projection: Projection | None = None,
        timeout: float | httpx.Timeout | None = None,
        deadline: float | None = None,
    ) -> RawResponse[M]:
        """``get``, raw: the answer of ``GET /<resource>/<id>`` and the item."""
        read: Callable[..., Awaitable[M]] = self._resource.get
        return await capture_raw(
            lambda: read(resource_id, projection=projection, timeout=timeout, deadline=deadline)
        )

    async def list(self, *, page: int = 1, **options: Any) -> RawResponse[Page[M]]:
        """One page of ``list``, raw: the answer of that page's ``GET`` and the :class:`Page`.

        ``page`` counts from 1; ``options`` are those of the service's ``list``
        (``where=``, ``sort=``, ``max_results=``, ...). ``Page.has_next`` says
        whether to ask for ``page + 1``.
        """
        pager: AsyncPager[M] = self._resource.list(**options)
        return await capture_raw(lambda: pager.fetch_page(page))


class ClientRawResponses:
    """The client's own raw form: ``client.with_raw_response.request(...)``."""

    def __init__(self, client: AmiliClient) -> None:
        self._client = client

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        replay_safe: bool | None = None,
        expected_status: int | Iterable[int] | None = None,
        timeout: float | httpx.Timeout | None = None,
        deadline: float | None = None,
    ) -> RawResponse[Any]:
        """:meth:`AmiliClient.request`, raw: the answer, and its JSON as ``parse()``."""
        client = self._client
        return await capture_raw(
            lambda: client.request(
                method,
                path,
                params=params,
                json=json,
                headers=headers,
                replay_safe=replay_safe,
                expected_status=expected_status,
                timeout=timeout,
                deadline=deadline,
            )
        )

    def __repr__(self) -> str:
        return "<AmiliClient.with_raw_response>"


def _no_raw_form(service: str, name: str) -> str:
    methods = ", ".join(sorted(RAW_METHODS))
    return (
        f"{service}.with_raw_response has no {name!r}: the raw form covers the methods that "
        f"send one request ({methods}, and list one page at a time); bulk methods and find "
        "send many"
    )
