"""The sandbox's HTTP surface: Amili's resources, Eve's conventions, and ``/_sandbox`` controls."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from starlette.applications import Starlette
from starlette.datastructures import Headers, UploadFile
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .._serde import format_http_date, loads
from ._auth import REJECT_CREDENTIALS, ApiKeyBackend, Principal, on_auth_error
from ._errors import ApiError, EveJSONResponse, to_json_ready
from ._faults import (
    ConnectionDropped,
    FaultInjector,
    FaultKind,
    FaultRule,
    ResponseDropped,
)
from ._lifecycle import digest
from ._query import ListQuery, apply_projection, parse_list_query, parse_projection, sort_documents
from ._state import COLLECTIONS, LoggedRequest, SandboxState

if TYPE_CHECKING:
    from ._sandbox import Sandbox

__all__ = [
    "ALLOWED_UPLOAD_TYPES",
    "DEFAULT_MAX_RESULTS",
    "IN_PROCESS",
    "MAX_UPLOAD_BYTES",
    "SIGNED_URL_LIFETIME",
    "FaultLayer",
    "build_app",
]

#: Scope key set by the in-process transport.
IN_PROCESS = "amili_sandbox.in_process"
DEFAULT_MAX_RESULTS = 25
SIGNED_URL_LIFETIME = 3600
MAX_UPLOAD_BYTES = 32 * 1024 * 1024
ALLOWED_UPLOAD_TYPES = ("application/pdf", "image/jpeg", "image/png", "image/gif", "image/bmp")
UPLOAD_DOMAINS = {"cases": ("original_invoice",)}

_GATEWAY_PAGES = {
    502: (
        "<html><head><title>502 Server Error</title></head><body><h1>Error: Server Error</h1>"
        "<h2>The server encountered a temporary error and could not complete your request."
        "<p>Please try again in 30 seconds.</h2></body></html>"
    ),
    504: (
        "<html><head><title>504 Gateway Timeout</title></head><body><h1>Error: Gateway Timeout"
        "</h1><h2>The upstream server did not answer in time.</h2></body></html>"
    ),
}


def _fault_response(rule: FaultRule) -> Response:
    status = rule.status or 503
    headers: dict[str, str] = {}
    if rule.retry_after is not None:
        headers["Retry-After"] = str(math.ceil(rule.retry_after))
    if status == 429:
        headers.update(
            {
                "X-RateLimit-Limit": "300",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(math.ceil(rule.retry_after or 1)),
            }
        )
    if status in _GATEWAY_PAGES:
        return HTMLResponse(_GATEWAY_PAGES[status], status_code=status, headers=headers)
    return ApiError(status, headers=headers).response()


class FaultLayer:
    """Outermost sandbox middleware: logs every request and injects configured faults.

    In process (the scope carries :data:`IN_PROCESS`) a dropped connection is
    signalled with an exception that the sandbox transport turns into the
    matching ``httpx`` error. Served over a socket, the layer starts a response
    and returns without finishing it, which makes uvicorn close the connection:
    the client sees ``httpx.RemoteProtocolError``.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        state: SandboxState,
        faults: FaultInjector,
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        self.app = app
        self.state = state
        self.faults = faults
        self.sleep = sleep

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI call."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        faultable = path != "/" and not path.startswith("/_sandbox/")
        decision = self.faults.decide(method, path) if faultable else None
        rule = decision.rule if decision else None
        kind = rule.kind if rule else None
        fault = kind.value if kind else None

        def log(status: int | None) -> None:
            self.state.request_log.append(LoggedRequest(method, path, status, fault))

        if decision and decision.latency > 0:
            await self.sleep(decision.latency)
        if rule is not None and kind is FaultKind.DROP_CONNECTION:
            log(None)
            await self._drop(scope, send, ConnectionDropped)
            return
        if rule is not None and kind in (FaultKind.ERROR, FaultKind.RATE_LIMIT):
            log(rule.status)
            await _fault_response(rule)(scope, receive, send)
            return
        if kind is FaultKind.EXPIRE_TOKEN:
            token = Headers(scope=scope).get("x-api-key")
            if not token or not self.state.expire_token(token):
                scope[REJECT_CREDENTIALS] = True
        swallow = kind in (FaultKind.DROP_AFTER_COMMIT, FaultKind.ERROR_AFTER_COMMIT)
        statuses: list[int] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])
            if not swallow:
                await send(message)

        await self.app(scope, receive, capture)
        if rule is not None and kind is FaultKind.DROP_AFTER_COMMIT:
            log(None)
            await self._drop(scope, send, ResponseDropped)
        elif rule is not None and kind is FaultKind.ERROR_AFTER_COMMIT:
            log(rule.status)
            await _fault_response(rule)(scope, receive, send)
        else:
            log(statuses[0] if statuses else None)

    @staticmethod
    async def _drop(scope: Scope, send: Send, signal: type[Exception]) -> None:
        if scope.get(IN_PROCESS):
            raise signal()
        # Served: announce a body that never comes; uvicorn closes the connection.
        await send(
            {
                "type": "http.response.start",
                "status": 502,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"64")],
            }
        )


# --- helpers ---------------------------------------------------------------------------


def _principal(request: Request) -> Principal:
    user = request.user
    if not isinstance(user, Principal):  # public paths never reach a handler that asks
        raise ApiError(401)
    return user


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    try:
        return loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "Unable to parse the request body as JSON") from None


def _quoted(etag: str) -> str:
    return f'"{etag}"'


def _not_modified(request: Request, etag: str) -> bool:
    header = request.headers.get("if-none-match")
    if not header:
        return False
    candidates = {part.strip().removeprefix("W/").strip('"') for part in header.split(",")}
    return "*" in candidates or etag in candidates


def _cached(request: Request, body: Mapping[str, Any], etag: str, status: int = 200) -> Response:
    headers = {"ETag": _quoted(etag)}
    if _not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    return EveJSONResponse(dict(body), status_code=status, headers=headers)


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


def _number(body: Mapping[str, Any], name: str) -> float:
    value = body.get(name, 0)
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal) or value < 0:
        raise ApiError(400, f"'{name}' must be a number >= 0")
    return float(value)


# --- the app -------------------------------------------------------------------------


def build_app(sandbox: Sandbox) -> Starlette:
    """The Starlette application that serves ``sandbox``."""
    state: SandboxState = sandbox._state
    faults = sandbox.faults

    async def home(request: Request) -> Response:
        children = [{"href": name, "title": name} for name in (*COLLECTIONS, "media--upload")]
        return EveJSONResponse({"_links": {"child": children}})

    def list_endpoint(collection: str) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            principal = _principal(request)
            query = parse_list_query(
                request.query_params, default_max=DEFAULT_MAX_RESULTS, cap=sandbox.max_results_cap
            )
            with state.lock:
                state.lifecycle.catch_up(state.now(), state.cases)
                docs = [
                    doc
                    for doc in state.documents(collection, principal.account_id)
                    if query.where is None or query.where(doc)
                ]
                if query.sort:
                    docs = sort_documents(docs, query.sort)
                start = (query.page - 1) * query.max_results
                page = [
                    state.current(collection, doc)
                    for doc in docs[start : start + query.max_results]
                ]
                items = [
                    to_json_ready(
                        apply_projection(doc, query.projection) if query.projection else doc
                    )
                    for doc in page
                ]
            body = {
                "_items": items,
                "_links": _links(collection, query, len(docs)),
                "_meta": {"page": query.page, "max_results": query.max_results, "total": len(docs)},
            }
            return _cached(request, body, digest(body, "sha1"))

        return endpoint

    def item_endpoint(collection: str) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            principal = _principal(request)
            projection_text = request.query_params.get("projection")
            projection = parse_projection(projection_text) if projection_text else None
            with state.lock:
                state.lifecycle.catch_up(state.now(), state.cases)
                doc = state.document(
                    collection, principal.account_id, request.path_params["item_id"]
                )
                body = to_json_ready(apply_projection(doc, projection) if projection else doc)
            return _cached(request, body, str(doc["_etag"]))

        return endpoint

    async def create_registration(request: Request) -> Response:
        principal = _principal(request)
        body = await _json_body(request)
        answer, _ = state.register(principal.account_id, body)
        return EveJSONResponse(answer, status_code=201)

    async def create_payment(request: Request) -> Response:
        principal = _principal(request)
        body = await _json_body(request)
        return EveJSONResponse(state.pay(principal.account_id, body), status_code=201)

    registrations_list = list_endpoint("case--registrations")
    payments_list = list_endpoint("creditor--payments")

    async def registrations(request: Request) -> Response:
        if request.method == "POST":
            return await create_registration(request)
        return await registrations_list(request)

    async def payments(request: Request) -> Response:
        if request.method == "POST":
            return await create_payment(request)
        return await payments_list(request)

    async def upload(request: Request) -> Response:
        principal = _principal(request)
        reference_id = request.path_params["reference_id"]
        async with request.form(max_files=1, max_fields=20) as form:
            domain = form.get("domain")
            if not isinstance(domain, str) or domain not in UPLOAD_DOMAINS:
                raise ApiError(
                    400,
                    f"Domain {domain if isinstance(domain, str) else ''!r} is not valid; "
                    f"valid domains: {', '.join(UPLOAD_DOMAINS)}",
                )
            dotted_path = form.get("dotted_path")
            if dotted_path is None:
                raise ApiError(400, "Field 'dotted_path' is missing from the form data")
            valid_paths = UPLOAD_DOMAINS[domain]
            if not isinstance(dotted_path, str) or dotted_path not in valid_paths:
                shown = dotted_path if isinstance(dotted_path, str) else "<file>"
                raise ApiError(
                    400,
                    f"Dotted path {shown!r} is not valid for domain {domain!r}; "
                    f"valid: {', '.join(valid_paths)}",
                )
            with state.lock:
                state.case_record(principal.account_id, reference_id)
            file = form.get("file")
            if not isinstance(file, UploadFile):
                raise ApiError(
                    400, "Field 'file' is missing from the form data (send it as a file)"
                )
            content_type = (file.content_type or "application/octet-stream").split(";")[0]
            content_type = content_type.strip().lower()
            if content_type not in ALLOWED_UPLOAD_TYPES:
                raise ApiError(
                    400,
                    f"Content type not allowed: expected one of {', '.join(ALLOWED_UPLOAD_TYPES)}, "
                    f"got {content_type}",
                )
            data = await file.read()
            filename = file.filename or dotted_path
        stored = state.attach_file(principal.account_id, reference_id, filename, content_type, data)
        name = f"{reference_id}-{stored.id}"
        expires = int(state.now().timestamp()) + SIGNED_URL_LIFETIME
        query = urlencode({"Expires": expires, "Signature": state.sign(name, expires)})
        base = str(request.base_url).rstrip("/")
        return EveJSONResponse({"url": f"{base}/_sandbox/files/{name}?{query}"}, status_code=201)

    async def signed_file(request: Request) -> Response:
        name = request.path_params["name"]
        file = state.signed_file(
            name, request.query_params.get("Expires", ""), request.query_params.get("Signature", "")
        )
        disposition = f"inline; filename*=UTF-8''{quote(file.filename)}"
        return Response(
            file.data, media_type=file.content_type, headers={"Content-Disposition": disposition}
        )

    def control(request: Request) -> Principal:
        principal = _principal(request)
        if not principal.static:
            raise ApiError(403, "Sandbox control endpoints take the static API key, not a token")
        return principal

    async def tokens(request: Request) -> Response:
        principal = control(request)
        body = await _json_body(request)
        if not isinstance(body, dict):
            raise ApiError(400, 'Expected {"lifetime": <seconds>}')
        lifetime = _number(body, "lifetime") if "lifetime" in body else 3600.0
        if lifetime <= 0:
            raise ApiError(400, "'lifetime' must be more than 0 seconds")
        token, expires = state.issue_token(lifetime, principal.account_id)
        return EveJSONResponse(
            {"token": token, "expires": format_http_date(expires)}, status_code=201
        )

    async def clock(request: Request) -> Response:
        control(request)
        if request.method == "POST":
            body = await _json_body(request)
            if not isinstance(body, dict) or set(body) - {"days", "hours", "seconds"}:
                raise ApiError(400, 'Expected {"days": .., "hours": .., "seconds": ..}')
            sandbox.advance(
                days=_number(body, "days"),
                hours=_number(body, "hours"),
                seconds=_number(body, "seconds"),
            )
        return EveJSONResponse({"now": format_http_date(state.now())})

    async def fault_rules(request: Request) -> Response:
        control(request)
        if request.method == "POST":
            body = await _json_body(request)
            if not isinstance(body, dict):
                raise ApiError(400, "Expected a JSON object describing the fault")
            try:
                rule = faults.add_from_json(body)
            except (ValueError, TypeError) as exc:
                raise ApiError(400, str(exc)) from None
            return EveJSONResponse(rule.to_json(), status_code=201)
        if request.method == "DELETE":
            faults.clear()
            return Response(status_code=204)
        return EveJSONResponse(
            {"rules": [rule.to_json() for rule in faults.rules], "injected": faults.injected}
        )

    async def fault_rule(request: Request) -> Response:
        control(request)
        if not faults.remove(int(request.path_params["rule_id"])):
            raise ApiError(404)
        return Response(status_code=204)

    async def reset(request: Request) -> Response:
        control(request)
        sandbox.reset()
        return Response(status_code=204)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        message = exc.detail if exc.status_code not in (404, 405) else None
        headers = dict(exc.headers or {})
        return ApiError(exc.status_code, message, headers=headers).response()

    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return exc.response()

    item = "{item_id}"
    routes = [
        Route("/", home, methods=["GET"]),
        Route("/case--registrations", registrations, methods=["GET", "POST"]),
        Route(
            f"/case--registrations/{item}", item_endpoint("case--registrations"), methods=["GET"]
        ),
        Route("/cases", list_endpoint("cases"), methods=["GET"]),
        Route(f"/cases/{item}", item_endpoint("cases"), methods=["GET"]),
        Route("/creditor--payments", payments, methods=["GET", "POST"]),
        Route(f"/creditor--payments/{item}", item_endpoint("creditor--payments"), methods=["GET"]),
        Route("/media--upload/{reference_id}", upload, methods=["POST"]),
        Route("/_sandbox/files/{name}", signed_file, methods=["GET"]),
        Route("/_sandbox/tokens", tokens, methods=["POST"]),
        Route("/_sandbox/clock", clock, methods=["GET"]),
        Route("/_sandbox/clock/advance", clock, methods=["POST"]),
        Route("/_sandbox/faults", fault_rules, methods=["GET", "POST", "DELETE"]),
        Route("/_sandbox/faults/{rule_id:int}", fault_rule, methods=["DELETE"]),
        Route("/_sandbox/reset", reset, methods=["POST"]),
    ]
    middleware = [
        Middleware(FaultLayer, state=state, faults=faults, sleep=sandbox._sleep),
        Middleware(AuthenticationMiddleware, backend=ApiKeyBackend(state), on_error=on_auth_error),
        Middleware(RequestBodyLimitMiddleware, max_body_size=MAX_UPLOAD_BYTES),
    ]
    return Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={HTTPException: http_error, ApiError: api_error},
    )
