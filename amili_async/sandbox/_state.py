"""Everything the sandbox remembers, behind one lock: the facade the HTTP layer calls.

All state lives in one :class:`SandboxState` guarded by one re-entrant lock, so
a sandbox served from a background thread and driven from a test thread stays
consistent. Every operation that reads or writes cases first catches the life
cycle up to the clock, in :meth:`SandboxState.caught_up`. The work itself is
done by the parts, each in its module: :class:`~._accounts.Accounts` (accounts,
creditors, keys, tokens), :class:`~._registrations.RegistrationWriter`,
:class:`~._payments.PaymentWriter`, :class:`~._files.Files` and the reads of
:mod:`._reads`. Operations raise :class:`~._errors.ApiError` for what the API
would refuse; the HTTP layer only translates.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

from .._clock import ManualClock
from ._accounts import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_AGREEMENT_VERSION,
    DEFAULT_CREDITOR_ID,
    DEFAULT_CREDITOR_NAME,
    Accounts,
    SandboxAccount,
    SandboxCreditor,
    TokenRecord,
)
from ._actions import CancellationWriter, CreditingWriter
from ._api_users import PublicKeyInput, SandboxApiUser
from ._collections import Cases, Collection, Documents
from ._creditor_writes import CreditorWriter
from ._customers import CustomerBook
from ._directory import INACTIVE_CREDITOR_ID, INACTIVE_CREDITOR_NAME
from ._errors import to_json_ready
from ._files import FileRecord, Files
from ._finance import FinanceLedger
from ._hateoas import with_self_links
from ._ids import IdFactory
from ._invoices import InvoiceWriter
from ._lifecycle import Lifecycle
from ._payments import PaymentWriter, payment_body
from ._query import ListQuery, Paging
from ._ratelimit import RateLimiter, RateLimitWindow
from ._reads import Reading, read_item, read_list, snapshot
from ._registrations import RegistrationWriter, registration_bodies
from ._settings import ApiSettings
from ._writes import WriteContext

__all__ = ["LoggedRequest", "SandboxState"]


@attrs.frozen
class LoggedRequest:
    """One request the sandbox received: ``status`` is ``None`` when no answer was sent.

    ``fault`` names the :class:`~amili_async.sandbox.FaultKind` injected into it, if any.
    """

    method: str
    path: str
    status: int | None
    fault: str | None = None


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
        settings: ApiSettings | None = None,
    ) -> None:
        self.clock = clock
        self.seed = seed
        self.reference_rate = reference_rate
        self.keep_state = keep_state
        #: The Eve settings the answers follow (HATEOAS, counting, page cap, rate limit).
        self.settings = settings if settings is not None else ApiSettings()
        self.lock = threading.RLock()
        self.request_log: deque[LoggedRequest] = deque(maxlen=request_log_limit)
        self._init()

    def _init(self) -> None:
        self.ids = IdFactory(self.seed)
        self.files = Files(signing_key=bytes.fromhex(self.ids.hex_token(32)))
        self.accounts = Accounts(self.ids)
        self.registrations = Documents("case--registrations")
        self.cases = Cases()
        self.payments = Documents("creditor--payments")
        self.customers = CustomerBook(self.ids)
        self.finance = FinanceLedger(self.ids)
        self.creditings = Documents("creditor--creditings")
        self.cancellations = Documents("creditor--cancellations")
        self.invoices = Documents("invoice--registrations")
        #: Every collection by name, in the order the home page lists them.
        self.collections: dict[str, Collection] = {
            collection.name: collection
            for collection in (
                self.registrations,
                self.cases,
                self.payments,
                self.customers.docs,
                self.accounts.account_docs,
                self.accounts.creditor_docs,
                self.finance.payouts,
                self.finance.specifications,
                self.creditings,
                self.cancellations,
                self.invoices,
            )
        }
        #: Collections ``discard()`` keeps: the accounts and creditors are seeded, not written.
        self.seeded = frozenset({"accounts", "creditors"})
        self.lifecycle = Lifecycle(self.ids)
        self.created: Counter[str] = Counter()
        writes = WriteContext(self.ids, self.accounts, self.cases, self.lifecycle, self.created)
        self._registration_writer = RegistrationWriter(
            writes, self.registrations, customers=self.customers, reference_rate=self.reference_rate
        )
        self._payment_writer = PaymentWriter(writes, self.payments, finance=self.finance)
        self._crediting_writer = CreditingWriter(writes, self.creditings)
        self._cancellation_writer = CancellationWriter(writes, self.cancellations)
        self._invoice_writer = InvoiceWriter(
            writes,
            self.invoices,
            self._registration_writer,
            reference_rate=self.reference_rate,
        )
        self._creditor_writer = CreditorWriter(self.ids, self.accounts)
        rate_limit = self.settings.rate_limit
        self.rate_limiter = RateLimiter(*rate_limit) if rate_limit is not None else None
        self.request_log.clear()
        self.add_account(DEFAULT_ACCOUNT_ID, name="Sandbox account")
        self.add_creditor(
            DEFAULT_CREDITOR_NAME,
            account_id=DEFAULT_ACCOUNT_ID,
            creditor_id=DEFAULT_CREDITOR_ID,
            agreement_version=DEFAULT_AGREEMENT_VERSION,
        )
        self.add_creditor(  # simulated: a second creditor that takes no registrations
            INACTIVE_CREDITOR_NAME,
            account_id=DEFAULT_ACCOUNT_ID,
            creditor_id=INACTIVE_CREDITOR_ID,
            agreement_version=DEFAULT_AGREEMENT_VERSION,
            active=False,
        )

    def reset(self) -> None:
        """Back to a fresh sandbox with the same seed (the clock keeps its time)."""
        with self.lock:
            self._init()

    def discard(self) -> None:
        """Forget registrations, cases, creditor actions and files; keep accounts and tokens."""
        with self.lock:
            for name, collection in self.collections.items():
                if name not in self.seeded:
                    collection.clear()
            self.customers.clear()
            self.finance.clear()
            self.files.clear()
            self._registration_writer.clear()
            self.lifecycle.clear()

    # --- time -----------------------------------------------------------------------

    def now(self) -> datetime:
        """The sandbox clock's time, to the second (the API's resolution)."""
        return self.clock.now().replace(microsecond=0)

    @contextmanager
    def caught_up(self) -> Iterator[datetime]:
        """Hold the lock with the case life cycle run up to the clock's time; yields that time."""
        with self.lock:
            now = self.now()
            self.lifecycle.catch_up(now, self.cases.records)
            self.finance.catch_up(now)
            yield now

    def advance(self, *, days: float, hours: float, seconds: float) -> datetime:
        """Move the clock forward and run the life cycle up to then; returns the new time."""
        with self.lock:
            self.clock.advance(seconds, days=days, hours=hours)
            with self.caught_up() as now:
                return now

    # --- accounts and credentials ---------------------------------------------------

    def add_account(
        self, account_id: str | None = None, *, name: str | None = None
    ) -> SandboxAccount:
        """Create an account with its own static API key."""
        with self.lock:
            return self.accounts.add_account(account_id, name, self.now())

    def add_creditor(
        self,
        name: str,
        *,
        account_id: str | None = None,
        creditor_id: str | None = None,
        currencies: tuple[str, ...] = ("SEK",),
        agreement_version: str | None = None,
        active: bool = True,
    ) -> SandboxCreditor:
        """Create a creditor under an account (the default account unless named).

        An inactive creditor (``active=False``) takes no case registrations.
        """
        with self.lock:
            return self.accounts.add_creditor(
                name,
                account_id=account_id or DEFAULT_ACCOUNT_ID,
                creditor_id=creditor_id,
                currencies=currencies,
                agreement_version=agreement_version,
                now=self.now(),
                active=active,
            )

    def static_key(self, account_id: str) -> str:
        """The static API key of an account."""
        with self.lock:
            return self.accounts.static_key(account_id)

    def issue_token(self, lifetime_seconds: float, account_id: str) -> tuple[str, datetime]:
        """A new token for ``account_id`` valid for ``lifetime_seconds`` of sandbox time."""
        with self.lock:
            return self.accounts.issue_token(lifetime_seconds, account_id, self.now())

    def expire_token(self, token: str) -> bool:
        """Make an issued token expire now; returns whether it was an issued token."""
        with self.lock:
            return self.accounts.expire_token(token, self.now())

    def add_api_user(
        self,
        api_code: str,
        public_key: PublicKeyInput | None,
        *,
        account_id: str,
        static_ips: Iterable[str],
    ) -> SandboxApiUser:
        """Register an API code with its public key and/or static IPs."""
        with self.lock:
            return self.accounts.add_api_user(
                api_code, public_key, account_id=account_id, static_ips=static_ips
            )

    def login_with_jwt(
        self, token: str, *, token_lifetime: float, max_jwt_lifetime: float | None
    ) -> tuple[str, datetime]:
        """``GET /authenticates/api-code``: a token for the API user the JWT proves."""
        with self.lock:
            return self.accounts.login_with_jwt(
                token,
                self.now(),
                token_lifetime=token_lifetime,
                max_jwt_lifetime=max_jwt_lifetime,
            )

    def login_from_ip(
        self, api_code: str, ip: str, *, token_lifetime: float
    ) -> tuple[str, datetime]:
        """``POST /authenticates/api-code``: a token for an API code sent from its static IP."""
        with self.lock:
            return self.accounts.login_from_ip(
                api_code, ip, self.now(), token_lifetime=token_lifetime
            )

    def authenticate(self, token: str | None) -> TokenRecord | None:
        """The record of a valid key or token, or ``None``."""
        if not token:
            return None
        with self.lock:
            return self.accounts.authenticate(token, self.clock.now())

    def count_request(self, client: str) -> RateLimitWindow | None:
        """Count one request of ``client`` against the rate limit; ``None`` when there is none."""
        if self.rate_limiter is None:
            return None
        with self.lock:
            return self.rate_limiter.hit(client, self.clock.now().timestamp())

    # --- writes ---------------------------------------------------------------------

    def register(self, account_id: str, body: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Validate and store one registration (a JSON object) or several (a JSON list).

        Returns the response body and the stored documents; raises ``ApiError``.
        """
        docs, bulk = registration_bodies(body)
        with self.caught_up() as now:
            answer, stored = self._registration_writer.register(
                account_id, docs, bulk=bulk, now=now, keep=self.keep_state
            )
        return self._linked(answer, "case--registrations"), stored

    def pay(self, account_id: str, body: Any) -> dict[str, Any]:
        """Validate, store and settle a creditor payment; returns the response body."""
        payment = payment_body(body)
        with self.caught_up() as now:
            answer = self._payment_writer.pay(account_id, payment, now=now, keep=self.keep_state)
        return self._linked(answer, "creditor--payments")

    def create_creditor(self, account_id: str, body: Any) -> dict[str, Any]:
        """``POST /creditors`` (Partner API); returns the answer. Raises ``ApiError``."""
        with self.lock:
            answer = self._creditor_writer.create(account_id, body, self.now())
        return self._linked(answer, "creditors")

    def patch_creditor(
        self, account_id: str, creditor_id: str, if_match: str | None, body: Any
    ) -> dict[str, Any]:
        """``PATCH /creditors/{id}`` with Eve's If-Match rules; the answer has the new ``_etag``."""
        with self.lock:
            answer = self._creditor_writer.patch(
                account_id, creditor_id, if_match, body, self.now()
            )
        return self._linked(answer, "creditors")

    def delete_creditor(self, account_id: str, creditor_id: str, if_match: str | None) -> None:
        """``DELETE /creditors/{id}`` with Eve's If-Match rules (an unknown id is fine)."""
        with self.lock:
            self._creditor_writer.delete(account_id, creditor_id, if_match)

    def credit(self, account_id: str, body: Any) -> dict[str, Any]:
        """Validate, store and apply a creditor crediting; returns the response body."""
        crediting = payment_body(body)
        with self.caught_up() as now:
            answer = self._crediting_writer.credit(
                account_id, crediting, now=now, keep=self.keep_state
            )
        return self._linked(answer, "creditor--creditings")

    def cancel(self, account_id: str, body: Any) -> dict[str, Any]:
        """Validate, store and apply a creditor cancellation; returns the response body."""
        cancellation = payment_body(body)
        with self.caught_up() as now:
            answer = self._cancellation_writer.cancel(
                account_id, cancellation, now=now, keep=self.keep_state
            )
        return self._linked(answer, "creditor--cancellations")

    def register_invoice(self, account_id: str, body: Any) -> dict[str, Any]:
        """Validate and store an invoice registration and open its case; returns the body."""
        invoice = payment_body(body)
        with self.caught_up() as now:
            answer = self._invoice_writer.register(
                account_id, invoice, now=now, keep=self.keep_state
            )
        return self._linked(answer, "invoice--registrations")

    def _linked(self, answer: dict[str, Any], collection: str) -> dict[str, Any]:
        """A write's answer, with Eve's ``_links.self`` when HATEOAS is on."""
        return with_self_links(answer, collection) if self.settings.hateoas else answer

    def check_case(self, account_id: str, case_id: str) -> None:
        """Raise a 404 / 403 ``ApiError`` unless the account has this case."""
        with self.lock:
            self.cases.owned(account_id, case_id)

    def attach_file(
        self,
        account_id: str,
        case_id: str,
        *,
        filename: str,
        content_type: str,
        data: bytes,
        base_url: str,
    ) -> str:
        """Store an uploaded original invoice, show it on the case; returns its signed link."""
        with self.caught_up() as now:
            record = self.cases.record(account_id, case_id)
            file = self.files.attach(
                record, self.ids.hex_token(16), filename, content_type, data, now
            )
            return self.files.link(file, base_url, now)

    # --- reads ----------------------------------------------------------------------

    def read_list(self, collection: str, account_id: str, query: ListQuery) -> Reading:
        """A page of an account's documents in ``collection`` (``GET /{collection}``)."""
        with self.caught_up():
            return read_list(self.collections[collection], account_id, query, self.settings)

    def read_item(
        self,
        collection: str,
        account_id: str,
        item_id: str,
        projection: dict[str, int] | None,
        paging: Paging | None = None,
    ) -> Reading:
        """One of an account's documents (``GET /{collection}/{id}``), or a 404 / 403.

        ``paging``: the request's page parameters, for Eve's item ``_links``.
        """
        with self.caught_up():
            return read_item(
                self.collections[collection],
                account_id,
                item_id,
                projection,
                paging if paging is not None else Paging(),
                self.settings,
            )

    def snapshot(self, collection: str) -> list[dict[str, Any]]:
        """JSON-ready copies of a collection's documents (of every account)."""
        with self.caught_up():
            return snapshot(self.collections[collection])

    def case(self, case_id: str) -> dict[str, Any]:
        """One case, JSON-ready, whichever account has it; ``KeyError`` if unknown."""
        with self.caught_up():
            record = self.cases.records.get(case_id)
            if record is None:
                raise KeyError(case_id)
            case: dict[str, Any] = to_json_ready(record.current())
            return case

    def case_file(self, case_id: str) -> FileRecord:
        """The invoice last uploaded for a case; ``KeyError`` if none."""
        with self.lock:
            record = self.cases.records.get(case_id)
            file = self.files.of_case(record) if record is not None else None
            if file is None:
                raise KeyError(case_id)
            return file

    def signed_file(self, key: str, expires: str, signature: str) -> FileRecord:
        """The file behind a signed link, or ``ApiError`` 403 / 404."""
        with self.lock:
            return self.files.signed(key, expires, signature, self.clock.now())

    def logged_requests(self) -> list[LoggedRequest]:
        """A copy of the request log, oldest first."""
        with self.lock:
            return list(self.request_log)

    def created_counts(self) -> dict[str, int]:
        """How many documents each collection has had created (stored or not)."""
        with self.lock:
            return {name: self.created[name] for name in self.collections}

    def counts(self) -> dict[str, int]:
        """How many documents each collection stores."""
        with self.lock:
            return {name: len(collection) for name, collection in self.collections.items()}
