"""A real Eve 2.3 server configured like Amili: the reference the contract suite checks against.

Amili runs on Python Eve (``/work/shared/eve-facts.md``). This module builds a
plain Eve app with the settings and resources Amili's documentation shows,
stores into ``mongomock`` instead of MongoDB and rate-limits through
``fakeredis`` instead of Redis, and serves it on a loopback port with
werkzeug. Everything on the wire is Eve's own behaviour: the app only has
settings, a schema per resource, an auth class and two insert hooks (which
stand in for Amili's server-side work: cases per debt, OCR numbers, the
payment outcome). Nothing of Eve's is re-implemented here.

Where Amili differs from Eve's defaults (eve-facts §0), the app is set up
like Amili: ``X-API-Key`` token auth, ``PAGINATION_LIMIT = 100``, HATEOAS off
(Amili's examples show no ``_links``; :class:`EveSettings` turns it on), and
``extra_response_fields`` for ``_cases``/``_ocr_numbers``/``_ocr_numbers_ocr``
and ``_payment_status``.
"""

from __future__ import annotations

import copy
import hmac
import threading
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from unittest import mock

import attrs
import fakeredis
import mongomock
from bson import ObjectId
from flask import request
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

with warnings.catch_warnings():
    # Cerberus 1.3 (Eve's validator) warns about its own type-testing API as Eve uses it.
    warnings.filterwarnings("ignore", "Methods for type testing", DeprecationWarning)
    from eve import Eve
    from eve.auth import TokenAuth
    from eve.methods.post import post_internal

__all__ = [
    "ACCOUNT_ID",
    "API_KEY",
    "CREDITOR_ID",
    "CREDITOR_NAME",
    "DOMAIN",
    "EveServer",
    "EveServers",
    "EveSettings",
    "build_app",
]

#: The fixed key the reference server accepts in ``X-API-Key`` (a test value, not a secret).
API_KEY = "contract-suite-test-key"
#: The account and creditor of Amili's documented examples (the sandbox's defaults too).
ACCOUNT_ID = "674dbeaf08847b9501cc9132"
CREDITOR_ID = "674dbeb208847b9501cc9138"
CREDITOR_NAME = "Amili Integration Team"
AGREEMENT_VERSION = "6790c2ec38ebf4814061f0b5"

RFC1123 = "%a, %d %b %Y %H:%M:%S GMT"


# --- resources, shaped like shared/api-examples ----------------------------------------

_ADDRESS = {
    "address_line_1": {"type": "string", "required": True},
    "zip_code": {"type": "string", "required": True},
    "city": {"type": "string", "required": True},
    "country": {"type": "string"},
}
_CUSTOMER = {
    "name": {"type": "string", "required": True},
    "id_number": {"type": "string", "required": True},
    "is_company": {"type": "boolean"},  # the docs' person example leaves it out
    "address": {"type": "dict", "required": True, "schema": _ADDRESS},
    "mobile_number": {"type": "string"},
    "email": {"type": "string"},
}
_DEBT = {
    # maxlength 20 is this reference server's choice (it gives a nested 422 to look at);
    # Amili's docs do not state a limit.
    "invoice_number": {"type": "string", "required": True, "maxlength": 20},
    "debt_description": {"type": "string", "required": True},
    "invoice_date": {"type": "datetime", "required": True},
    "capital_to_claim": {"type": "number", "required": True, "min": 0},
    "invoice_due_days_after_invoice_date": {"type": "integer", "required": True, "min": 0},
    "fees_included_in_capital_to_claim": {
        "type": "dict",
        "schema": {"invoice_fee": {"type": "number", "min": 0}},
    },
    "fees_already_claimed": {
        "type": "dict",
        "schema": {
            "reminder": {
                "type": "dict",
                "schema": {
                    "amount": {"type": "number", "min": 0},
                    "fee_registration_date": {"type": "datetime"},
                },
            }
        },
    },
}
_REGISTRATION_ANSWER = ("_cases", "_ocr_numbers", "_ocr_numbers_ocr")
_CASE_REGISTRATION = {
    "resource_methods": ["GET", "POST"],
    "item_methods": ["GET"],
    "extra_response_fields": list(_REGISTRATION_ANSWER),
    "schema": {
        "account": {"type": "objectid", "required": True},
        "creditor": {"type": "objectid", "required": True},
        "first_action": {
            "type": "string",
            "required": True,
            "allowed": ["reminder", "debt_collection"],
        },
        "currency": {"type": "string", "required": True, "allowed": ["SEK"]},
        "customer": {"type": "dict", "required": True, "schema": _CUSTOMER},
        "debts": {
            "type": "list",
            "required": True,
            "minlength": 1,
            "schema": {"type": "dict", "schema": _DEBT},
        },
        # Set by the insert hook; in the schema so that GET returns them (Eve projects
        # only schema fields) and a client cannot send them.
        **{name: {"type": "list", "readonly": True} for name in _REGISTRATION_ANSWER},
    },
}
_CASE_FIELD_TYPES = {
    "objectid": (
        "account",
        "creditor",
        "customer",
        "debtor",
        "agreement_version",
        "case_registration",
    ),
    "string": (
        "creditor_name",
        "customer_name",
        "customer_id_number",
        "customer_status",
        "debtor_name",
        "debtor_id_number",
        "currency",
        "reference_number",
        "state",
        "status",
    ),
    "dict": ("case_settings", "debt", "event_listeners"),
    "list": ("state_history", "status_history", "transactions"),
    "datetime": ("latest_state_date",),
    "number": tuple(
        f"{scope}_{kind}_{part}_amount"
        for scope in ("local", "total")
        for kind in ("added", "remaining")
        for part in ("capital", "costs", "interest", "transaction")
    ),
}
# Cases are read-only and written by the registration hook, so only the top-level names
# and types matter: Eve's default projection returns schema fields only.
_CASE_FIELDS = {name: {"type": kind} for kind, names in _CASE_FIELD_TYPES.items() for name in names}
_CASES = {"resource_methods": ["GET"], "item_methods": ["GET"], "schema": _CASE_FIELDS}
_CREDITOR_PAYMENT = {
    "resource_methods": ["GET", "POST"],
    "item_methods": ["GET"],
    "extra_response_fields": ["_payment_status"],
    "schema": {
        "account": {"type": "objectid", "required": True},
        "creditor": {"type": "objectid", "required": True},
        "case": {"type": "objectid", "required": True},
        "currency": {"type": "string", "required": True, "allowed": ["SEK"]},
        "amount": {"type": "number", "required": True, "min": 0},
        "bank_transaction_date": {"type": "datetime", "required": True},
        "creditor_payment_reference": {"type": "string"},
        "origin": {"type": "string", "required": True, "allowed": ["creditor_system"]},
        "_payment_status": {"type": "string", "readonly": True},
    },
}
_CREDITORS = {
    # Partner API: creditors can be created, PATCHed and DELETEd (If-Match is enforced, Eve's
    # default); creditor_number is read-only and case_config a nested object (PATCH merges it).
    "resource_methods": ["GET", "POST"],
    "item_methods": ["GET", "PATCH", "DELETE"],
    "schema": {
        "name": {"type": "string", "required": True},
        "account": {"type": "objectid", "required": True},
        "status": {"type": "string"},
        "creditor_number": {"type": "integer", "readonly": True},
        "case_config": {
            "type": "dict",
            "schema": {
                "vat_area": {"type": "string"},
                "commission_excluded_vat": {"type": "boolean"},
            },
        },
    },
}

DOMAIN: Mapping[str, Mapping[str, Any]] = {
    "case--registrations": _CASE_REGISTRATION,
    "cases": _CASES,
    "creditor--payments": _CREDITOR_PAYMENT,
    "creditors": _CREDITORS,
}


# --- settings and auth -------------------------------------------------------------------


@attrs.frozen
class EveSettings:
    """The knobs a contract test may turn (each one an Eve setting).

    * ``hateoas``: ``HATEOAS``; off by default, as Amili's examples show no ``_links``.
    * ``optimize_pagination_for_speed``: ``OPTIMIZE_PAGINATION_FOR_SPEED`` (no
      ``_meta.total``, no ``X-Total-Count``).
    * ``rate_limit``: ``(requests, seconds)`` for ``RATE_LIMIT_GET/POST/PATCH``
      (Amili documents no rate limit; Eve's limiter is what it would use).
    """

    hateoas: bool = False
    optimize_pagination_for_speed: bool = False
    rate_limit: tuple[int, int] | None = None

    def eve_config(self) -> dict[str, Any]:
        """The Eve settings dict for these knobs, Amili's fixed choices included."""
        return {
            "DOMAIN": copy.deepcopy(dict(DOMAIN)),  # Eve fills in defaults in place
            "MONGO_DBNAME": "amili_contract",
            "PAGINATION_LIMIT": 100,  # Amili: "default: 25, max: 100" (Eve: 50)
            "PAGINATION_DEFAULT": 25,
            "HATEOAS": self.hateoas,
            "OPTIMIZE_PAGINATION_FOR_SPEED": self.optimize_pagination_for_speed,
            "BANDWIDTH_SAVER": True,
            "DATE_FORMAT": RFC1123,
            "RATE_LIMIT_GET": self.rate_limit,
            "RATE_LIMIT_POST": self.rate_limit,
            "RATE_LIMIT_PATCH": self.rate_limit,
        }


class XApiKeyAuth(TokenAuth):
    """Token auth read from ``X-API-Key`` (Amili's header) instead of ``Authorization``.

    ``authenticate()`` is Eve's own, so a refusal is Eve's 401 with
    ``WWW-Authenticate: Basic realm="eve"``.
    """

    def check_auth(self, token: str, allowed_roles: Any, resource: str, method: str) -> bool:
        """Accept the fixed test key only."""
        return hmac.compare_digest(token.encode(), API_KEY.encode())

    def authorized(self, allowed_roles: Any, resource: str, method: str) -> bool:
        """Read the token from ``X-API-Key``."""
        token = request.headers.get("X-API-Key")
        if not token:
            return False
        self.set_user_or_token(token)
        return self.check_auth(token, allowed_roles, resource, method)


# --- hooks: the server-side work Amili does on insert -------------------------------------


def _ocr_number(serial: int, now: datetime) -> str:
    """A 20-digit OCR reference like Amili's: year, serial, Luhn check digit."""
    body = f"{now.year}{serial:015d}"
    total = 0
    for index, digit in enumerate(reversed(body)):
        value = int(digit) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return body + str((10 - total % 10) % 10)


def _new_case(
    registration: Mapping[str, Any], debt: Mapping[str, Any], serial: int
) -> dict[str, Any]:
    """A new case for one debt, shaped like ``03-case.debt_collection.response.json``."""
    now = datetime.now(UTC).replace(microsecond=0)
    customer = registration["customer"]
    capital = debt["capital_to_claim"]
    amounts = {
        f"{scope}_{kind}_{part}_amount": capital if part in ("capital", "transaction") else 0
        for scope in ("local", "total")
        for kind in ("added", "remaining")
        for part in ("capital", "costs", "interest", "transaction")
    }
    customer_id = ObjectId()
    due_days = debt["invoice_due_days_after_invoice_date"]
    return {
        "account": registration["account"],
        "creditor": registration["creditor"],
        "creditor_name": CREDITOR_NAME,
        "customer": customer_id,
        "customer_name": customer["name"],
        "customer_id_number": customer["id_number"],
        "customer_status": "initialized",
        "debtor": customer_id,
        "debtor_name": customer["name"],
        "debtor_id_number": customer["id_number"],
        "currency": registration["currency"],
        "reference_number": str(48000 + serial),
        "agreement_version": ObjectId(AGREEMENT_VERSION),
        "case_registration": registration["_id"],
        "case_settings": {"interest_rate": {"reference_rate": True}},
        "debt": {
            "invoice_date": debt["invoice_date"],
            "invoice_due_days_after_invoice_date": due_days,
            "capital_to_claim": capital,
            "debt_description": debt["debt_description"],
            "invoice_number": debt["invoice_number"],
            "payout_reference": debt["invoice_number"],
            "interest_days_after_invoice_date": due_days,
        },
        "state": "initializing",
        "status": "initialized",
        "state_history": [{"state": "initializing", "state_date": now}],
        "status_history": [
            {"status": "initializing", "status_date": now},
            {"status": "initialized", "status_date": now},
        ],
        "latest_state_date": now,
        "transactions": [
            {
                "bank_transaction_date": debt["invoice_date"],
                "registration_date": now,
                "origin": "creditor_system",
                "type": "capital",
                "description_locale_tag": "api.transaction.case_registration",
                "amount": capital,
            }
        ],
        "event_listeners": {},
        **amounts,
    }


class _RegistrationHooks:
    """Eve ``on_insert`` hooks: one case per debt, OCR numbers, the payment outcome."""

    def __init__(self) -> None:
        self._serial = 0
        self._lock = threading.Lock()

    def on_insert(self, resource: str, documents: list[dict[str, Any]]) -> None:
        """Called by Eve after validation, before the documents are stored."""
        if resource == "case--registrations":
            for registration in documents:
                self._register(registration)
        elif resource == "creditor--payments":
            for payment in documents:
                payment["_payment_status"] = "completed"

    def _register(self, registration: dict[str, Any]) -> None:
        registration["_id"] = ObjectId()  # the cases refer to it before it is stored
        debts = registration["debts"]
        with self._lock:
            serials = range(self._serial + 1, self._serial + 1 + len(debts))
            self._serial += len(debts)
        cases = [
            _new_case(registration, debt, serial)
            for debt, serial in zip(debts, serials, strict=True)
        ]
        answer, _, _, status, _ = post_internal("cases", payl=cases, skip_validation=True)
        if status != 201:
            raise RuntimeError(f"storing the cases failed: {answer}")
        items = answer.get("_items", [answer])
        now = datetime.now(UTC)
        registration["_cases"] = [ObjectId(item["_id"]) for item in items]
        registration["_ocr_numbers"] = [ObjectId() for _ in items]
        registration["_ocr_numbers_ocr"] = [_ocr_number(serial, now) for serial in serials]


def build_app(settings: EveSettings) -> Eve:
    """A plain Eve app configured like Amili, on mongomock and fakeredis."""
    redis = fakeredis.FakeStrictRedis(server=fakeredis.FakeServer())
    with mock.patch("eve.io.mongo.flask_pymongo.MongoClient", mongomock.MongoClient):
        app = Eve(settings=settings.eve_config(), auth=XApiKeyAuth, redis=redis)
        with app.app_context():
            # Eve opens its client lazily; open (and cache) it now, while patched.
            app.data.pymongo()
    hooks = _RegistrationHooks()
    app.on_insert += hooks.on_insert
    return app


# --- serving -------------------------------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    """werkzeug's handler without the access log on stderr."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Log nothing."""


class EveServer:
    """One reference app served by werkzeug on ``127.0.0.1`` (ephemeral port, daemon thread)."""

    def __init__(self, settings: EveSettings) -> None:
        self.settings = settings
        self.app = build_app(settings)
        self._server: BaseWSGIServer = make_server(
            "127.0.0.1", 0, self.app, threaded=True, request_handler=_QuietHandler
        )
        self.base_url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="eve-reference",
            daemon=True,
        )
        self._thread.start()

    def reset(self) -> None:
        """A clean state: empty collections, the default creditor, a fresh rate-limit window."""
        with self.app.app_context():
            db = self.app.data.driver.db
            for name in db.list_collection_names():
                db.drop_collection(name)
        self.app.redis.flushall()
        self._seed_creditor()
        self.app.redis.flushall()  # the seeding request does not count

    def _seed_creditor(self) -> None:
        """The documented creditor, created through Eve itself (ids may be sent on POST)."""
        creditor = {"_id": CREDITOR_ID, "name": CREDITOR_NAME, "account": ACCOUNT_ID}
        answer = self.app.test_client().post(
            "/creditors", json=creditor, headers={"X-API-Key": API_KEY}
        )
        if answer.status_code != 201:
            raise RuntimeError(f"seeding the creditor failed: {answer.get_data(as_text=True)}")

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


class EveServers:
    """Reference servers by settings, started on first use and reset together."""

    def __init__(self) -> None:
        self._servers: dict[EveSettings, EveServer] = {}

    def get(self, settings: EveSettings) -> EveServer:
        """The (clean) server for ``settings``, started if needed."""
        server = self._servers.get(settings)
        if server is None:
            server = self._servers[settings] = EveServer(settings)
            server.reset()
        return server

    def reset(self) -> None:
        """Reset every started server."""
        for server in self._servers.values():
            server.reset()

    def stop(self) -> None:
        """Stop every started server."""
        for server in self._servers.values():
            server.stop()
        self._servers.clear()

    @classmethod
    @contextmanager
    def running(cls) -> Iterator[EveServers]:
        """Servers that are stopped on exit."""
        servers = cls()
        try:
            yield servers
        finally:
            servers.stop()
