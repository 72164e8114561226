"""Eve-shaped error bodies and the JSON response class the sandbox answers with."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from starlette.responses import Response

from .._serde import dumps, format_http_date

__all__ = [
    "DEFAULT_MESSAGES",
    "ApiError",
    "EveJSONResponse",
    "error_body",
    "insertion_failure",
    "missing_relation",
    "nested_issues",
    "to_json_ready",
]

#: What every 401 carries, as Eve's ``BasicAuth.authenticate()`` sends it (Amili's
#: ``X-API-Key`` auth class keeps it unless it overrides ``authenticate()``).
WWW_AUTHENTICATE = 'Basic realm="eve"'

#: The messages Eve (through Flask/werkzeug) sends when nothing more specific is said.
DEFAULT_MESSAGES: dict[int, str] = {
    400: "The browser (or proxy) sent a request that this server could not understand.",
    401: "Please provide proper credentials",
    403: (
        "You don't have the permission to access the requested resource. "
        "It is either read-protected or not readable by the server."
    ),
    404: (
        "The requested URL was not found on the server. If you entered the URL manually "
        "please check your spelling and try again."
    ),
    405: "The method is not allowed for the requested URL.",
    413: "The data value transmitted exceeds the capacity limit.",
    422: "Insertion failure: 1 document(s) contain(s) error(s)",
    429: "Rate limit exceeded",
    500: (
        "The server encountered an internal error and was unable to complete your request. "
        "Either the server is overloaded or there is an error in the application."
    ),
    503: (
        "The server is temporarily unable to service your request due to maintenance "
        "downtime or capacity problems. Please try again later."
    ),
}


def to_json_ready(value: Any) -> Any:
    """A deep copy of a stored document with every ``datetime`` as an RFC 1123 string.

    Amounts stay ``Decimal`` (``dumps`` prints them exactly); tuples become lists.
    """
    if isinstance(value, dict):
        return {key: to_json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_json_ready(item) for item in value]
    if isinstance(value, datetime):
        return format_http_date(value)
    return value


def nested_issues(issues: Mapping[str, str]) -> dict[str, Any]:
    """Dotted-path issues in Eve's wire shape: nested dicts, list indexes as string keys.

    ``{"debts.0.invoice_number": "required field"}`` becomes
    ``{"debts": {"0": {"invoice_number": "required field"}}}``. A field with
    both its own message and issues below it gets a list of both, as
    Cerberus reports it (Eve turns a one-element list into its element).
    """
    tree: dict[str, Any] = {}
    for path, message in issues.items():
        node = tree
        for part in path.split("."):
            node = node.setdefault(part, {})
        node.setdefault("", []).append(message)
    return {key: _issue_value(node) for key, node in tree.items()}


def _issue_value(node: dict[str, Any]) -> Any:
    parts: list[Any] = list(node.get("", []))
    children = {key: _issue_value(child) for key, child in node.items() if key}
    if children:
        parts.append(children)
    return parts[0] if len(parts) == 1 else parts


def error_body(
    status: int, message: str | None = None, issues: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """``{"_status": "ERR", "_error": {"code", "message"}}``, plus nested ``_issues`` when given."""
    body: dict[str, Any] = {"_status": "ERR"}
    if issues:
        body["_issues"] = nested_issues(issues)
    body["_error"] = {"code": status, "message": message or DEFAULT_MESSAGES.get(status, "")}
    return body


def insertion_failure(failed: int) -> str:
    """Eve's 422 message for a POST with ``failed`` invalid documents."""
    return f"Insertion failure: {failed} document(s) contain(s) error(s)"


def missing_relation(value: str, resource: str) -> str:
    """Eve's issue for a reference to a document that does not exist."""
    return f"value '{value}' must exist in resource '{resource}', field '_id'."


class EveJSONResponse(Response):
    """A JSON response written with the shared serializer (exact ``Decimal`` amounts)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        """Serialize ``content`` (dates become RFC 1123, amounts stay exact)."""
        return dumps(to_json_ready(content))


class ApiError(Exception):
    """Raised by a handler to answer with an Eve error body.

    ``issues`` maps dotted field paths to what is wrong with them (the answer
    nests them, see :func:`nested_issues`); ``extra`` adds top-level keys
    (Eve's bulk ``_items``, for example).
    """

    def __init__(
        self,
        status: int,
        message: str | None = None,
        *,
        issues: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        self.status = status
        self.message = message or DEFAULT_MESSAGES.get(status, "")
        self.issues = dict(issues or {})
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})
        super().__init__(f"{status} {self.message}")

    def response(self) -> EveJSONResponse:
        """The response this error answers with (a 401 with Eve's ``WWW-Authenticate``)."""
        body = error_body(self.status, self.message, self.issues)
        body.update(self.extra)
        headers = dict(self.headers)
        if self.status == 401:
            headers.setdefault("WWW-Authenticate", WWW_AUTHENTICATE)
        return EveJSONResponse(body, status_code=self.status, headers=headers)
