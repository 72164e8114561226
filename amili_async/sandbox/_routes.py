"""The sandbox's routes: one table, and handlers that only translate HTTP.

Each handler reads its request (who asks, the path, the query, the body),
calls one method of :class:`~._state.SandboxState` (or, for the clock and
reset controls, of :class:`~._sandbox.Sandbox`) and renders the answer. What
the API checks, stores and reads is decided there, not here.

A new resource is one line of :meth:`SandboxApi.routes`: ``self._resource(name)``
serves ``GET /{name}`` (a page of the list) and ``GET /{name}/{item_id}`` from
the state's collection of that name; ``create=`` serves ``POST /{name}`` with a
state method that writes one document, and other keyword arguments add
handlers (``POST=handler``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .._api_code import LOGIN_PATH
from .._serde import format_http_date, loads, parse_http_date
from ._api_users import LoginRefusedError, client_ip
from ._auth import Principal
from ._errors import ApiError, EveJSONResponse
from ._files import FILES_PATH
from ._query import parse_list_query, parse_paging, parse_projection_param
from ._reads import Reading
from ._state import SandboxState
from ._uploads import read_upload, upload_target

if TYPE_CHECKING:
    from ._sandbox import Sandbox

__all__ = ["Endpoint", "SandboxApi"]

#: A request handler.
Endpoint = Callable[[Request], Awaitable[Response]]
#: A :class:`SandboxState` write of one document: (account id, body) -> the answer.
_Write = Callable[[str, Any], dict[str, Any]]

#: How long a token from ``POST /_sandbox/tokens`` lives when the body names no lifetime.
DEFAULT_TOKEN_LIFETIME = 3600.0

#: The form types Eve reads a write from, and its 400 message when the form is empty.
_FORM_TYPES = {
    "application/x-www-form-urlencoded": "No form-urlencoded data supplied",
    "multipart/form-data": "No multipart/form-data supplied",
}
_ONE_SECOND = timedelta(seconds=1)


class SandboxApi:
    """The endpoints of one sandbox, as methods; :meth:`routes` is the route table."""

    def __init__(self, sandbox: Sandbox, state: SandboxState) -> None:
        self._sandbox = sandbox
        self._state = state

    def routes(self) -> list[Route]:
        """Every route: Amili's resources, then the sandbox's own ``/_sandbox`` controls."""
        return [
            _route("/", GET=self.home),
            _route(LOGIN_PATH, GET=self.login_with_jwt, POST=self.login_from_static_ip),
            *self._resource("case--registrations", POST=self.create_registration),
            *self._resource("cases"),
            *self._resource("creditor--payments", create=self._state.pay),
            *self._resource("creditor--creditings", create=self._state.credit),
            *self._resource("creditor--cancellations", create=self._state.cancel),
            *self._resource("invoice--registrations", create=self._state.register_invoice),
            *self._resource("customers"),
            *self._resource("accounts"),
            *self._resource(
                "creditors",
                POST=self.create_creditor,
                item={"PATCH": self.update_creditor, "DELETE": self.delete_creditor},
            ),
            *self._resource("finance--payouts"),
            *self._resource("finance--payout-specifications"),
            _route("/media--upload/{reference_id}", POST=self.upload),
            _route(FILES_PATH + "{key}", GET=self.signed_file),
            _route("/_sandbox/tokens", POST=self.issue_token),
            _route("/_sandbox/clock", GET=self.clock),
            _route("/_sandbox/clock/advance", POST=self.advance_clock),
            _route(
                "/_sandbox/faults",
                GET=self.fault_rules,
                POST=self.add_fault_rule,
                DELETE=self.clear_fault_rules,
            ),
            _route("/_sandbox/faults/{rule_id:int}", DELETE=self.remove_fault_rule),
            _route("/_sandbox/reset", POST=self.reset),
        ]

    def _resource(
        self,
        name: str,
        *,
        create: _Write | None = None,
        item: Mapping[str, Endpoint] | None = None,
        **writes: Endpoint,
    ) -> list[Route]:
        """A collection's routes: list and item reads, ``writes`` on the list, ``item`` writes.

        ``create`` is the state's write of one document, served as ``POST``.
        """
        if create is not None:
            writes["POST"] = self._create_one(name, create)
        return [
            _route(f"/{name}", GET=partial(self.read_list, name), **writes),
            _route(f"/{name}/{{item_id}}", GET=partial(self.read_item, name), **(item or {})),
        ]

    # --- Amili's resources ------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        """``GET /``: the resources, as Eve's home page lists them (``{}`` without HATEOAS)."""
        if not self._state.settings.hateoas:
            return EveJSONResponse({})
        names = (*self._state.collections, "media--upload")
        children = [{"href": name, "title": name} for name in names]
        return EveJSONResponse({"_links": {"child": children}})

    async def read_list(self, collection: str, request: Request) -> Response:
        """``GET /{collection}``: a page of the caller's documents."""
        account_id = _principal(request).account_id
        query = parse_list_query(
            request.query_params.multi_items(), cap=self._sandbox.max_results_cap
        )
        return _listed(self._state.read_list(collection, account_id, query))

    async def read_item(self, collection: str, request: Request) -> Response:
        """``GET /{collection}/{item_id}``: one of the caller's documents."""
        account_id = _principal(request).account_id
        projection = parse_projection_param(request.query_params)
        paging = parse_paging(request.query_params.multi_items(), cap=self._sandbox.max_results_cap)
        item_id = request.path_params["item_id"]
        reading = self._state.read_item(collection, account_id, item_id, projection, paging)
        return _cached(request, reading)

    async def create_registration(self, request: Request) -> Response:
        """``POST /case--registrations``: one registration, or a list of them."""
        account_id = _principal(request).account_id
        answer, _ = self._state.register(account_id, await _write_body(request))
        return _created(request, "case--registrations", answer)

    def _create_one(self, collection: str, write: _Write) -> Endpoint:
        """``POST /{collection}`` of one document: ``write`` checks, stores and answers it.

        ``write`` is a :class:`SandboxState` method (``pay``, ``credit``,
        ``cancel``, ``register_invoice``) taking the caller's account and the body.
        """

        async def create(request: Request) -> Response:
            account_id = _principal(request).account_id
            answer = write(account_id, await _write_body(request))
            return _created(request, collection, answer)

        return create

    async def create_creditor(self, request: Request) -> Response:
        """``POST /creditors`` (Partner API)."""
        account_id = _principal(request).account_id
        answer = self._state.create_creditor(account_id, await _write_body(request))
        return _created(request, "creditors", answer)

    async def update_creditor(self, request: Request) -> Response:
        """``PATCH /creditors/{id}``: 200 with the meta fields and the new ``ETag`` header."""
        account_id = _principal(request).account_id
        answer = self._state.patch_creditor(
            account_id,
            request.path_params["item_id"],
            request.headers.get("if-match"),
            await _write_body(request),
        )
        return EveJSONResponse(answer, headers={"ETag": f'"{answer["_etag"]}"'})

    async def delete_creditor(self, request: Request) -> Response:
        """``DELETE /creditors/{id}``: 204, also for an id that does not exist (as Eve)."""
        account_id = _principal(request).account_id
        self._state.delete_creditor(
            account_id, request.path_params["item_id"], request.headers.get("if-match")
        )
        return Response(status_code=204, headers={"Content-Type": "application/json"})

    async def upload(self, request: Request) -> Response:
        """``POST /media--upload/{case id}``: attach an original invoice; answers a signed link."""
        account_id = _principal(request).account_id
        case_id = request.path_params["reference_id"]
        async with request.form(max_files=1, max_fields=20) as form:
            dotted_path = upload_target(form)
            self._state.check_case(account_id, case_id)
            upload = await read_upload(form, dotted_path)
        url = self._state.attach_file(
            account_id,
            case_id,
            filename=upload.filename,
            content_type=upload.content_type,
            data=upload.data,
            base_url=str(request.base_url),
        )
        return EveJSONResponse({"url": url}, status_code=201)

    async def signed_file(self, request: Request) -> Response:
        """``GET /_sandbox/files/{key}?Expires=..&Signature=..``: an uploaded file (public)."""
        file = self._state.signed_file(
            request.path_params["key"],
            request.query_params.get("Expires", ""),
            request.query_params.get("Signature", ""),
        )
        disposition = f"inline; filename*=UTF-8''{quote(file.filename)}"
        return Response(
            file.data, media_type=file.content_type, headers={"Content-Disposition": disposition}
        )

    # --- Amili's login (public: the credentials are in the request itself) -------------

    async def login_with_jwt(self, request: Request) -> Response:
        """``GET /authenticates/api-code`` with a signed JWT in ``X-API-Key``: a token."""
        token, expires = self._state.login_with_jwt(
            request.headers.get("x-api-key", ""),
            token_lifetime=self._sandbox.api_token_lifetime,
            max_jwt_lifetime=self._sandbox.max_jwt_lifetime,
        )
        return _login_answer(token, expires)

    async def login_from_static_ip(self, request: Request) -> Response:
        """``POST /authenticates/api-code`` with ``{"api_code": ...}`` from a registered IP."""
        body = await _json_body(request)
        api_code = body.get("api_code") if isinstance(body, dict) else None
        if not isinstance(api_code, str):
            raise LoginRefusedError("no api_code in the body")
        ip = client_ip(request.scope.get("client"))
        token, expires = self._state.login_from_ip(
            api_code, ip, token_lifetime=self._sandbox.api_token_lifetime
        )
        return _login_answer(token, expires)

    # --- sandbox controls (static API key only) ---------------------------------------

    async def issue_token(self, request: Request) -> Response:
        """``POST /_sandbox/tokens`` with ``{"lifetime": seconds}``: a token for the caller."""
        principal = _control(request)
        body = await _json_body(request)
        if not isinstance(body, dict):
            raise ApiError(400, 'Expected {"lifetime": <seconds>}')
        with _as_bad_request():
            lifetime = body.get("lifetime", DEFAULT_TOKEN_LIFETIME)
            token, expires = self._state.issue_token(lifetime, principal.account_id)
        return EveJSONResponse(
            {"token": token, "expires": format_http_date(expires)}, status_code=201
        )

    async def clock(self, request: Request) -> Response:
        """``GET /_sandbox/clock``: the sandbox time."""
        _control(request)
        return self._now()

    async def advance_clock(self, request: Request) -> Response:
        """``POST /_sandbox/clock/advance`` with ``{"days", "hours", "seconds"}``."""
        _control(request)
        body = await _json_body(request)
        if not isinstance(body, dict) or set(body) - {"days", "hours", "seconds"}:
            raise ApiError(400, 'Expected {"days": .., "hours": .., "seconds": ..}')
        with _as_bad_request():
            self._sandbox.advance(
                days=body.get("days", 0), hours=body.get("hours", 0), seconds=body.get("seconds", 0)
            )
        return self._now()

    def _now(self) -> Response:
        return EveJSONResponse({"now": format_http_date(self._state.now())})

    async def fault_rules(self, request: Request) -> Response:
        """``GET /_sandbox/faults``: the rules and how often each kind was injected."""
        _control(request)
        faults = self._sandbox.faults
        rules = [rule.to_json() for rule in faults.rules]
        return EveJSONResponse({"rules": rules, "injected": faults.injected})

    async def add_fault_rule(self, request: Request) -> Response:
        """``POST /_sandbox/faults`` with a rule (see :meth:`FaultInjector.add_from_json`)."""
        _control(request)
        body = await _json_body(request)
        if not isinstance(body, dict):
            raise ApiError(400, "Expected a JSON object describing the fault")
        try:
            rule = self._sandbox.faults.add_from_json(body)
        except (ValueError, TypeError) as exc:
            raise ApiError(400, str(exc)) from None
        return EveJSONResponse(rule.to_json(), status_code=201)

    async def clear_fault_rules(self, request: Request) -> Response:
        """``DELETE /_sandbox/faults``: remove every rule."""
        _control(request)
        self._sandbox.faults.clear()
        return Response(status_code=204)

    async def remove_fault_rule(self, request: Request) -> Response:
        """``DELETE /_sandbox/faults/{id}``."""
        _control(request)
        if not self._sandbox.faults.remove(int(request.path_params["rule_id"])):
            raise ApiError(404)
        return Response(status_code=204)

    async def reset(self, request: Request) -> Response:
        """``POST /_sandbox/reset``: back to a fresh sandbox."""
        _control(request)
        self._sandbox.reset()
        return Response(status_code=204)


# --- translation helpers ----------------------------------------------------------------


def _route(path: str, **handlers: Endpoint) -> Route:
    """A route whose methods are the keywords: ``_route("/x", GET=read, POST=create)``."""
    if len(handlers) == 1:
        (endpoint,) = handlers.values()
    else:
        endpoint = _by_method(handlers)
    return Route(path, endpoint, methods=list(handlers))


def _by_method(handlers: Mapping[str, Endpoint]) -> Endpoint:
    """One endpoint that hands each request to its method's handler (``HEAD`` to ``GET``'s)."""

    async def endpoint(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await handlers[method](request)

    return endpoint


def _principal(request: Request) -> Principal:
    user = request.user
    if not isinstance(user, Principal):  # public paths never reach a handler that asks
        raise ApiError(401)
    return user


def _control(request: Request) -> Principal:
    """The caller of a ``/_sandbox`` control: 403 unless it used a static API key."""
    principal = _principal(request)
    if not principal.static:
        raise ApiError(403, "Sandbox control endpoints take the static API key, not a token")
    return principal


async def _write_body(request: Request) -> Any:
    """The body of a write to a resource, read as Eve reads it by its ``Content-Type``.

    JSON as JSON; a form (urlencoded or multipart) as a dict of its fields,
    which the checks then refuse field by field; anything else, or none, is
    Eve's 400 "Unknown or no Content-Type header supplied".
    """
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type == "application/json":
        return await _json_body(request)
    if media_type in _FORM_TYPES:
        async with request.form() as form:
            if not form:
                raise ApiError(400, _FORM_TYPES[media_type])
            fields: dict[str, list[Any]] = {}
            for name, value in form.multi_items():
                fields.setdefault(name, []).append(value)
        return {name: values[0] if len(values) == 1 else values for name, values in fields.items()}
    raise ApiError(400, "Unknown or no Content-Type header supplied")


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    try:
        return loads(raw)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise ApiError(400, "Unable to parse the request body as JSON") from None


@contextmanager
def _as_bad_request() -> Iterator[None]:
    """A control value the sandbox refuses (``ValueError``) is a 400 with the reason."""
    try:
        yield
    except ValueError as exc:
        raise ApiError(400, str(exc)) from None


def _login_answer(token: str, expires: datetime) -> Response:
    """The login's 200 answer (simulated: Amili's docs do not show it)."""
    return EveJSONResponse({"token": token, "expires": format_http_date(expires)})


def _created(request: Request, collection: str, answer: dict[str, Any]) -> Response:
    """201 with the write's answer and Eve's ``Location``: the (first) new document's URL."""
    first = answer.get("_items", [answer])[0]
    location = f"{request.base_url}{collection}/{first['_id']}"
    return EveJSONResponse(answer, status_code=201, headers={"Location": location})


def _listed(reading: Reading) -> Response:
    """A list with Eve's headers: ``X-Total-Count`` (when counted), ``Last-Modified``; no ETag."""
    headers = {}
    if reading.total is not None:
        headers["X-Total-Count"] = str(reading.total)
    if reading.last_modified is not None:
        headers["Last-Modified"] = format_http_date(reading.last_modified)
    return EveJSONResponse(reading.body, headers=headers)


def _cached(request: Request, reading: Reading) -> Response:
    """An item with its ETag and Last-Modified, or a bare 304 when the validators say so."""
    headers = {"ETag": f'"{reading.etag}"'}
    if _not_modified(request, reading):
        return Response(status_code=304, headers=headers)
    if reading.last_modified is not None:
        headers["Last-Modified"] = format_http_date(reading.last_modified)
    return EveJSONResponse(reading.body, headers=headers)


def _not_modified(request: Request, reading: Reading) -> bool:
    """Eve's rule: 304 when at least one validator is sent and every one sent holds.

    ``If-None-Match`` is one ETag (quotes and a ``W/`` dropped; ``*`` is not
    special); ``If-Modified-Since`` holds when the document is no newer than
    it plus one second (its resolution). An unreadable date is ignored.
    """
    holds: list[bool] = []
    since = request.headers.get("if-modified-since")
    if since and reading.last_modified is not None:
        with suppress(ValueError):
            holds.append(reading.last_modified <= parse_http_date(since) + _ONE_SECOND)
    etag = request.headers.get("if-none-match")
    if etag:
        holds.append(etag.removeprefix("W/").replace('"', "") == reading.etag)
    return bool(holds) and all(holds)
