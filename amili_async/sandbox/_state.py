"""Everything the sandbox remembers, and the operations that change it.

All state lives in one :class:`SandboxState` guarded by one re-entrant lock, so
a sandbox served from a background thread and driven from a test thread stays
consistent. Operations raise :class:`~._errors.ApiError` for what the API would
refuse; the HTTP layer only translates.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import threading
from collections import Counter, deque
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs

from .._clock import ManualClock
from .._serde import parse_http_date
from ._errors import ApiError, insertion_failure, to_json_ready
from ._ids import IdFactory, is_object_id
from ._lifecycle import CaseRecord, Lifecycle, capital_style, new_case, pending_interest, stamp
from ._schema import Issues, validate_payment, validate_registration

__all__ = [
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_AGREEMENT_VERSION",
    "DEFAULT_CREDITOR_ID",
    "DEFAULT_CREDITOR_NAME",
    "FileRecord",
    "LoggedRequest",
    "SandboxAccount",
    "SandboxCreditor",
    "SandboxState",
    "TokenRecord",
]

DEFAULT_ACCOUNT_ID = "674dbeaf08847b9501cc9132"
DEFAULT_CREDITOR_ID = "674dbeb208847b9501cc9138"
DEFAULT_CREDITOR_NAME = "Amili Integration Team"
DEFAULT_AGREEMENT_VERSION = "6790c2ec38ebf4814061f0b5"

COLLECTIONS = ("case--registrations", "cases", "creditor--payments")


def _hidden(_: object) -> str:
    return "'***'"


@attrs.frozen
class SandboxAccount:
    """An account the sandbox knows, with its static API key (never expires)."""

    id: str
    name: str
    api_key: str = attrs.field(repr=_hidden)


@attrs.frozen
class SandboxCreditor:
    """A creditor under an account; ``currencies`` are the ones it may register debts in."""

    id: str
    account_id: str
    name: str
    currencies: tuple[str, ...] = ("SEK",)
    agreement_version: str = DEFAULT_AGREEMENT_VERSION


@attrs.define
class TokenRecord:
    """What the sandbox knows about a key or token (never printed with the token itself)."""

    account_id: str
    static: bool
    expires_at: datetime | None = None


@attrs.frozen
class FileRecord:
    """An uploaded file."""

    id: str
    case_id: str
    filename: str
    content_type: str
    data: bytes = attrs.field(repr=lambda data: f"<{len(data)} bytes>")


@attrs.frozen
class LoggedRequest:
    """One request the sandbox received: ``status`` is ``None`` when no answer was sent.

    ``fault`` names the :class:`~amili_async.sandbox.FaultKind` injected into it, if any.
    """

    method: str
    path: str
    status: int | None
    fault: str | None = None


def _relation(value: str, resource: str) -> str:
    return f"value '{value}' must exist in resource '{resource}', field '_id'."


class SandboxState:
    """Accounts, tokens, registrations, cases, payments and files of one sandbox."""

    def __init__(
        self,
        clock: ManualClock,
        seed: int,
        reference_rate: Decimal,
        *,
        keep_state: bool,
        request_log_limit: int | None,
    ) -> None:
        self.clock = clock
        self.seed = seed
        self.reference_rate = reference_rate
        self.keep_state = keep_state
        self.lock = threading.RLock()
        self.request_log: deque[LoggedRequest] = deque(maxlen=request_log_limit)
        self._init()

    def _init(self) -> None:
        self.ids = IdFactory(self.seed)
        self.signing_key = bytes.fromhex(self.ids.hex_token(32))
        self.accounts: dict[str, SandboxAccount] = {}
        self.creditors: dict[str, SandboxCreditor] = {}
        self.tokens: dict[str, TokenRecord] = {}
        self.registrations: dict[str, dict[str, Any]] = {}
        self.cases: dict[str, CaseRecord] = {}
        self.payments: dict[str, dict[str, Any]] = {}
        self.files: dict[str, FileRecord] = {}
        self.customers: dict[tuple[str, str], str] = {}
        self.debtors: dict[str, str] = {}
        self.lifecycle = Lifecycle(self.ids)
        self.created: Counter[str] = Counter()
        self.request_log.clear()
        self.add_account(DEFAULT_ACCOUNT_ID, name="Sandbox account")
        self.add_creditor(
            DEFAULT_CREDITOR_NAME,
            account_id=DEFAULT_ACCOUNT_ID,
            creditor_id=DEFAULT_CREDITOR_ID,
            agreement_version=DEFAULT_AGREEMENT_VERSION,
        )

    def reset(self) -> None:
        """Back to a fresh sandbox with the same seed (the clock keeps its time)."""
        with self.lock:
            self._init()

    def discard(self) -> None:
        """Forget registrations, cases, payments and files; keep accounts and tokens."""
        with self.lock:
            self.registrations.clear()
            self.cases.clear()
            self.payments.clear()
            self.files.clear()
            self.customers.clear()
            self.debtors.clear()
            self.lifecycle.clear()

    def now(self) -> datetime:
        """The sandbox clock's time, to the second (the API's resolution)."""
        return self.clock.now().replace(microsecond=0)

    def catch_up(self) -> None:
        """Run the case life cycle up to the clock's time."""
        with self.lock:
            self.lifecycle.catch_up(self.now(), self.cases)

    # --- accounts and credentials ---------------------------------------------------

    def add_account(
        self, account_id: str | None = None, *, name: str | None = None
    ) -> SandboxAccount:
        """Create an account with its own static API key."""
        with self.lock:
            account_id = account_id or self.ids.object_id(self.now())
            if not is_object_id(account_id):
                raise ValueError(f"an account id is 24 lower-case hex digits, got {account_id!r}")
            if account_id in self.accounts:
                raise ValueError(f"account {account_id} already exists")
            key = f"sbx_key_{self.ids.hex_token(20)}"
            account = SandboxAccount(account_id, name or f"Account {account_id[-6:]}", key)
            self.accounts[account_id] = account
            self.tokens[key] = TokenRecord(account_id, static=True)
            return account

    def add_creditor(
        self,
        name: str,
        *,
        account_id: str | None = None,
        creditor_id: str | None = None,
        currencies: tuple[str, ...] = ("SEK",),
        agreement_version: str | None = None,
    ) -> SandboxCreditor:
        """Create a creditor under an account (the default account unless named)."""
        with self.lock:
            account_id = account_id or DEFAULT_ACCOUNT_ID
            if account_id not in self.accounts:
                raise ValueError(f"no account {account_id}; add it with add_account() first")
            creditor_id = creditor_id or self.ids.object_id(self.now())
            if not is_object_id(creditor_id):
                raise ValueError(f"a creditor id is 24 lower-case hex digits, got {creditor_id!r}")
            if creditor_id in self.creditors:
                raise ValueError(f"creditor {creditor_id} already exists")
            creditor = SandboxCreditor(
                creditor_id,
                account_id,
                name,
                tuple(currencies),
                agreement_version or self.ids.object_id(self.now()),
            )
            self.creditors[creditor_id] = creditor
            return creditor

    def static_key(self, account_id: str) -> str:
        """The static API key of an account."""
        return self.accounts[account_id].api_key

    def issue_token(self, lifetime_seconds: float, account_id: str) -> tuple[str, datetime]:
        """A new token for ``account_id`` valid for ``lifetime_seconds`` of sandbox time."""
        if lifetime_seconds <= 0:
            raise ValueError("a token lifetime must be positive")
        with self.lock:
            if account_id not in self.accounts:
                raise ValueError(f"no account {account_id}")
            token = f"sbx_tok_{self.ids.hex_token(20)}"
            expires = self.now() + timedelta(seconds=lifetime_seconds)
            self.tokens[token] = TokenRecord(account_id, static=False, expires_at=expires)
            return token, expires

    def expire_token(self, token: str) -> bool:
        """Make an issued token expire now; returns whether it was an issued token."""
        with self.lock:
            record = self.tokens.get(token)
            if record is None or record.static:
                return False
            record.expires_at = self.now()
            return True

    def authenticate(self, token: str | None) -> TokenRecord | None:
        """The record of a valid key or token, or ``None``."""
        if not token:
            return None
        with self.lock:
            record = self.tokens.get(token)
            if record is None:
                return None
            if record.expires_at is not None and self.clock.now() >= record.expires_at:
                return None
            return record

    # --- case registrations ---------------------------------------------------------

    def register(self, account_id: str, body: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Validate and store one registration (a JSON object) or several (a JSON list).

        Returns the response body and the stored documents; raises ``ApiError``.
        """
        bulk = isinstance(body, list)
        docs = body if bulk else [body]
        if not docs or not all(isinstance(doc, dict) for doc in docs):
            raise ApiError(400, "The request body must be a JSON object (or a list of them)")
        with self.lock:
            self.lifecycle.catch_up(self.now(), self.cases)
            problems = [self._registration_issues(account_id, doc) for doc in docs]
            failed = sum(1 for issues in problems if issues)
            if failed:
                if not bulk:
                    raise ApiError(422, insertion_failure(1), issues=problems[0])
                items = [
                    {"_status": "ERR", "_issues": issues} if issues else {"_status": "OK"}
                    for issues in problems
                ]
                raise ApiError(422, insertion_failure(failed), extra={"_items": items})
            results = [self._create_registration(doc) for doc in docs]
        answers = [answer for answer, _ in results]
        stored = [doc for _, doc in results]
        if bulk:
            return {"_status": "OK", "_items": answers}, stored
        return answers[0], stored

    def _check_account(self, account_id: str, doc: Mapping[str, Any], issues: Issues) -> None:
        account = doc.get("account")
        if isinstance(account, str) and account and "account" not in issues:
            if account not in self.accounts:
                issues["account"] = _relation(account, "accounts")
            elif account != account_id:
                raise ApiError(403)

    def _check_creditor(self, doc: Mapping[str, Any], issues: Issues) -> SandboxCreditor | None:
        creditor_id = doc.get("creditor")
        if not isinstance(creditor_id, str) or not creditor_id or "creditor" in issues:
            return None
        creditor = self.creditors.get(creditor_id)
        if creditor is None:
            issues["creditor"] = _relation(creditor_id, "creditors")
            return None
        if "account" not in issues and creditor.account_id != doc.get("account"):
            issues["creditor"] = (
                f"creditor '{creditor_id}' does not belong to account '{doc.get('account')}'"
            )
            return None
        return creditor

    def _registration_issues(self, account_id: str, doc: Mapping[str, Any]) -> Issues:
        issues = validate_registration(doc)
        self._check_account(account_id, doc, issues)
        creditor = self._check_creditor(doc, issues)
        currency = doc.get("currency")
        if (
            creditor is not None
            and "currency" not in issues
            and currency not in creditor.currencies
        ):
            allowed = ", ".join(creditor.currencies)
            issues["currency"] = f"unallowed value {currency} (this creditor registers {allowed})"
        return issues

    def _create_registration(
        self, body: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        now = self.now()
        doc: dict[str, Any] = copy.deepcopy(dict(body))
        for debt in doc["debts"]:
            debt["invoice_date"] = parse_http_date(debt["invoice_date"])
            reminder = debt.get("fees_already_claimed", {}).get("reminder")
            if reminder is not None:
                reminder["fee_registration_date"] = parse_http_date(
                    reminder["fee_registration_date"]
                )
        doc["_id"] = self.ids.object_id(now)
        doc["_created"] = now
        creditor = self.creditors[doc["creditor"]]
        id_number = doc["customer"]["id_number"]
        customer_key = (doc["account"], id_number)
        customer_id = self.customers.get(customer_key) or self.ids.object_id(now)
        debtor_id = self.debtors.get(id_number) or self.ids.object_id(now)
        if self.keep_state:
            self.customers[customer_key] = customer_id
            self.debtors[id_number] = debtor_id
        records = [
            new_case(
                ids=self.ids,
                now=now,
                registration=doc,
                debt=debt,
                creditor_name=creditor.name,
                agreement_version=creditor.agreement_version,
                customer_id=customer_id,
                debtor_id=debtor_id,
                reference_rate=self.reference_rate,
            )
            for debt in doc["debts"]
        ]
        doc["_cases"] = [record.id for record in records]
        doc["_ocr_numbers"] = [self.ids.object_id(now) for _ in records]
        doc["_ocr_numbers_ocr"] = [self.ids.ocr_number(now) for _ in records]
        stamp(doc, now, algorithm="sha1")
        self.created["case--registrations"] += 1
        self.created["cases"] += len(records)
        if self.keep_state:
            self.registrations[doc["_id"]] = doc
            for record in records:
                self.cases[record.id] = record
                self.lifecycle.start(record)
        answer = {
            "_updated": doc["_updated"],
            "_created": doc["_created"],
            "_etag": doc["_etag"],
            "_id": doc["_id"],
            "_status": "OK",
            "_cases": list(doc["_cases"]),
            "_ocr_numbers": list(doc["_ocr_numbers"]),
            "_ocr_numbers_ocr": list(doc["_ocr_numbers_ocr"]),
        }
        return answer, doc

    # --- creditor payments ----------------------------------------------------------

    def pay(self, account_id: str, body: Any) -> dict[str, Any]:
        """Validate, store and settle a creditor payment; returns the response body."""
        if not isinstance(body, dict):
            raise ApiError(400, "The request body must be a JSON object")
        with self.lock:
            now = self.now()
            self.lifecycle.catch_up(now, self.cases)
            issues = validate_payment(body)
            self._check_account(account_id, body, issues)
            creditor = self._check_creditor(body, issues)
            record = self._payment_case(body, creditor, issues) if creditor else None
            if record is not None:
                self._payment_amount_issues(record, body, issues, now)
            if issues or record is None:
                raise ApiError(422, insertion_failure(1), issues=issues)
            payment: dict[str, Any] = copy.deepcopy(dict(body))
            payment["case"] = record.id
            for key in ("bank_transaction_date", "client_registration_date"):
                if key in payment:
                    payment[key] = parse_http_date(payment[key])
            payment["_id"] = self.ids.object_id(now)
            payment["_created"] = now
            payment["_payment_status"] = "completed"
            payment["settled_amount"] = capital_style(Decimal(body["amount"]))
            payment["status"] = "completed"
            payment["status_reason_locale"] = "creditor_payment.payment_settled"
            stamp(payment, now, algorithm="sha1")
            self.lifecycle.apply_payment(record, payment, now)
            self.created["creditor--payments"] += 1
            if self.keep_state:
                self.payments[payment["_id"]] = payment
            return {
                "_updated": payment["_updated"],
                "_created": payment["_created"],
                "_etag": payment["_etag"],
                "_id": payment["_id"],
                "_status": "OK",
                "_payment_status": "completed",
                "settled_amount": payment["settled_amount"],
                "status": "completed",
                "status_reason_locale": payment["status_reason_locale"],
            }

    def _payment_case(
        self, body: Mapping[str, Any], creditor: SandboxCreditor, issues: Issues
    ) -> CaseRecord | None:
        case_id = body.get("case")
        if isinstance(case_id, str) and "case" not in issues and "invoice_number" not in issues:
            record = self.cases.get(case_id)
            if record is None or record.account != creditor.account_id:
                issues["case"] = _relation(case_id, "cases")
                return None
            if record.doc["creditor"] != creditor.id:
                issues["case"] = f"case '{case_id}' does not belong to creditor '{creditor.id}'"
                return None
            return record
        invoice = body.get("invoice_number")
        if isinstance(invoice, str) and "invoice_number" not in issues and "case" not in issues:
            found = [
                record
                for record in self.cases.values()
                if record.doc["creditor"] == creditor.id
                and record.doc["debt"]["invoice_number"] == invoice
            ]
            open_cases = [record for record in found if not record.is_closed]
            if len(open_cases) > 1:
                issues["invoice_number"] = (
                    f"{len(open_cases)} open cases have invoice number '{invoice}'; "
                    "name the case with 'case' instead"
                )
                return None
            if open_cases or found:
                return (open_cases or found)[0]
            issues["invoice_number"] = f"no case with invoice number '{invoice}' for this creditor"
        return None

    def _payment_amount_issues(
        self, record: CaseRecord, body: Mapping[str, Any], issues: Issues, now: datetime
    ) -> None:
        field = "case" if body.get("case") is not None else "invoice_number"
        if record.is_closed:
            issues[field] = f"case '{record.id}' is closed; it takes no more payments"
            return
        currency = body.get("currency")
        if "currency" not in issues and currency != record.doc["currency"]:
            issues["currency"] = (
                f"must be the case currency {record.doc['currency']}, got {currency}"
            )
        if "amount" not in issues:
            owed = record.remaining_total() + pending_interest(record, now)
            amount = Decimal(body["amount"])
            if amount > owed:
                issues["amount"] = (
                    f"overpayment: {amount} is more than the {capital_style(owed)} "
                    f"{record.doc['currency']} remaining on the case"
                )

    # --- files ----------------------------------------------------------------------

    def attach_file(
        self, account_id: str, case_id: str, filename: str, content_type: str, data: bytes
    ) -> FileRecord:
        """Store an uploaded original invoice and show it on the case."""
        with self.lock:
            now = self.now()
            self.lifecycle.catch_up(now, self.cases)
            record = self.case_record(account_id, case_id)
            file = FileRecord(self.ids.hex_token(16), case_id, filename, content_type, data)
            record.doc["original_invoice"] = {
                "id": file.id,
                "filename": filename,
                "content_type": content_type,
                "size": len(data),
            }
            record.touch(now)
            self.files[f"{case_id}-{file.id}"] = file
            return file

    def case_record(self, account_id: str, case_id: str) -> CaseRecord:
        """The case, or a 404 / 403 ``ApiError``."""
        record = self.cases.get(case_id) if is_object_id(case_id) else None
        if record is None:
            raise ApiError(404)
        if record.account != account_id:
            raise ApiError(403)
        return record

    def sign(self, name: str, expires: int) -> str:
        """The signature of a file link valid until ``expires`` (Unix seconds)."""
        mac = hmac.new(self.signing_key, f"{name}\n{expires}".encode(), hashlib.sha256)
        return base64.b64encode(mac.digest()).decode()

    def signed_file(self, name: str, expires: str, signature: str) -> FileRecord:
        """The file behind a signed link, or ``ApiError`` 403 / 404."""
        try:
            expires_at = int(expires)
        except ValueError:
            raise ApiError(403, "Invalid or missing Expires parameter") from None
        if not hmac.compare_digest(self.sign(name, expires_at), signature):
            raise ApiError(403, "The request signature does not match")
        if self.clock.now().timestamp() > expires_at:
            raise ApiError(403, "The signed link has expired; upload again for a fresh link")
        with self.lock:
            file = self.files.get(name)
        if file is None:
            raise ApiError(404)
        return file

    # --- reading --------------------------------------------------------------------

    def documents(self, collection: str, account_id: str | None = None) -> Iterator[dict[str, Any]]:
        """Stored documents of a collection (of one account, when named), oldest first."""
        if collection == "cases":
            source: Iterator[dict[str, Any]] = (record.doc for record in self.cases.values())
        elif collection == "case--registrations":
            source = iter(self.registrations.values())
        else:
            source = iter(self.payments.values())
        for doc in source:
            if account_id is None or doc.get("account") == account_id:
                yield doc

    def document(self, collection: str, account_id: str, item_id: str) -> dict[str, Any]:
        """One stored document, or a 404 / 403 ``ApiError``."""
        if collection == "cases":
            return self.case_record(account_id, item_id).current()
        store = self.registrations if collection == "case--registrations" else self.payments
        doc = store.get(item_id) if is_object_id(item_id) else None
        if doc is None:
            raise ApiError(404)
        if doc.get("account") != account_id:
            raise ApiError(403)
        return doc

    def current(self, collection: str, doc: dict[str, Any]) -> dict[str, Any]:
        """``doc`` with an up-to-date ``_etag`` (cases compute theirs lazily)."""
        if collection == "cases":
            return self.cases[doc["_id"]].current()
        return doc

    def snapshot(self, collection: str) -> list[dict[str, Any]]:
        """JSON-ready copies of a collection's documents (after catching up the life cycle)."""
        with self.lock:
            self.lifecycle.catch_up(self.now(), self.cases)
            return [
                to_json_ready(self.current(collection, doc)) for doc in self.documents(collection)
            ]
