"""A case's life, driven by the sandbox clock: flow steps, interest, payments, closing.

Timeline of a case registered at ``t0`` (times are sandbox-clock times; a step
that falls due while nobody looks is applied with its own due time, so the
histories read as if Amili had been running all along):

* ``t0``: state and status ``initializing``; the capital is booked
  (``api.transaction.case_registration``).
* ``t0 + 4 min``: status ``initialized``; interest accrued so far is booked
  (``api.transaction.case_flow``).
* one hour later: state and status ``debt_collection`` (or ``reminder`` first
  when ``first_action`` is ``reminder``, then ``debt_collection`` 14 days later
  if still unpaid); ``services``, ``next_flow_item`` and ``latest_state_date``
  follow.
* ten minutes after collection starts: the collection letter is "sent", which
  interrupts limitation: ``limitation.break_date`` and ``limitation_date`` (ten
  years later).
* at ``next_flow_item.schedule_to_execute`` (midnight 16 days after collection
  started, then every 30 days): a debt statement; interest is booked and the
  status becomes ``debt_collection_active``.

A case opened by an invoice registration starts in state and status
``invoice`` instead, and moves to ``reminder`` at its due date (then to
``debt_collection`` 14 days later if still unpaid); interest runs from the
due date. A crediting lowers the capital and closes the case with reason
``credited`` once none is left; a cancellation closes it with reason
``cancelled``. Those three behaviours are simulated: the docs leave them open.

Interest is Swedish late-payment interest: the reference rate plus 8
percentage points a year, simple, on the remaining capital, for whole days
from ``invoice_date + interest_days_after_invoice_date``; it is booked in whole
kronor (rounded down) at every flow step and before every payment. The
documented case (2,000 SEK, 10 %, 27 days) books 14.0.
"""

from __future__ import annotations

import hashlib
import heapq
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from ._ids import IdFactory

__all__ = [
    "COLLECTION_AFTER",
    "CREDITING_SETTLED",
    "INITIALIZE_AFTER",
    "LETTER_AFTER",
    "REMINDER_PERIOD",
    "STATEMENT_INTERVAL",
    "CaseRecord",
    "Lifecycle",
    "Step",
    "capital_style",
    "digest",
    "interest_style",
    "invoice_case",
    "new_case",
    "stamp",
]

INITIALIZE_AFTER = timedelta(minutes=4)
COLLECTION_AFTER = timedelta(hours=1)
LETTER_AFTER = timedelta(minutes=10)
REMINDER_PERIOD = timedelta(days=14)
FIRST_STATEMENT_DAYS = 16
STATEMENT_INTERVAL = timedelta(days=30)
LATE_PAYMENT_MARGIN = Decimal(8)
FLOW_CONFIG = "665e138e8dd7c7b8996f2a7e"
FLOW_CONFIG_NAME = "api.flow_config.default"
#: The locale tag of a crediting's transaction (simulated: not documented).
CREDITING_SETTLED = "creditor_crediting.crediting_settled"

_AMOUNT_TYPES = ("capital", "costs", "interest")
_FLOAT_STYLE_TYPES = frozenset({"interest", "transaction"})


def capital_style(value: Decimal) -> int | Decimal:
    """Write an amount like the API writes capital: ``2000``, ``1999.5``."""
    if value == value.to_integral_value():
        return int(value)
    return value.normalize()


def interest_style(value: Decimal) -> Decimal:
    """Write an amount like the API writes interest and sums: ``14.0``, ``2014.0``."""
    if value == value.to_integral_value():
        return Decimal(f"{int(value)}.0")
    return value.normalize()


def _style(kind: str, value: Decimal) -> int | Decimal:
    return interest_style(value) if kind in _FLOAT_STYLE_TYPES else capital_style(value)


def digest(content: Any, algorithm: str = "md5") -> str:
    """A content hash for ETags (exact amounts and dates feed it as text)."""
    text = json.dumps(content, default=str, separators=(",", ":"), ensure_ascii=False)
    return hashlib.new(algorithm, text.encode(), usedforsecurity=False).hexdigest()


def stamp(doc: dict[str, Any], when: datetime, *, algorithm: str = "md5") -> None:
    """Set ``_updated`` and recompute ``_etag`` (a hash of the document, as Eve does)."""
    doc["_updated"] = when
    doc["_etag"] = digest({key: value for key, value in doc.items() if key != "_etag"}, algorithm)


@dataclass(slots=True, eq=False)
class CaseRecord:
    """A stored case: its JSON document plus the numbers the life cycle needs."""

    doc: dict[str, Any]
    account: str
    first_action: str
    rate: Decimal
    interest_cursor: datetime
    exact_interest: Decimal = Decimal(0)
    booked_interest: Decimal = Decimal(0)
    remaining: dict[str, Decimal] = field(default_factory=dict)
    dirty: bool = True

    def touch(self, when: datetime) -> None:
        """Record a change at ``when``; the ETag is recomputed when the case is next read."""
        self.doc["_updated"] = when
        self.dirty = True

    def current(self) -> dict[str, Any]:
        """The document with an up-to-date ``_etag``."""
        if self.dirty:
            content = {key: value for key, value in self.doc.items() if key != "_etag"}
            self.doc["_etag"] = digest(content)
            self.dirty = False
        return self.doc

    @property
    def id(self) -> str:
        """The case id."""
        return str(self.doc["_id"])

    @property
    def is_closed(self) -> bool:
        """Whether the case has closed."""
        return bool(self.doc["status"] == "closed")

    def remaining_total(self) -> Decimal:
        """What the debtor still owes (capital, costs and booked interest)."""
        return sum(self.remaining.values(), Decimal(0))


def _flow_item(
    item: str, when: datetime, waiting_for: str, *, moved_to_next_state: bool
) -> dict[str, Any]:
    return {
        "item": item,
        "schedule_to_execute": when,
        "flow_config": FLOW_CONFIG,
        "is_failed": False,
        "waiting_for": waiting_for,
        "moved_to_next_state": moved_to_next_state,
        "flow_config_name_locale": FLOW_CONFIG_NAME,
    }


def _midnight(when: datetime) -> datetime:
    return when.replace(hour=0, minute=0, second=0, microsecond=0)


def _years_later(when: datetime, years: int) -> datetime:
    try:
        return when.replace(year=when.year + years)
    except ValueError:  # 29 February
        return when.replace(year=when.year + years, day=28)


def new_case(
    *,
    ids: IdFactory,
    now: datetime,
    registration: dict[str, Any],
    debt: dict[str, Any],
    creditor_name: str,
    agreement_version: str,
    customer_id: str,
    debtor_id: str,
    reference_rate: Decimal,
) -> CaseRecord:
    """Build a freshly registered case for one debt of ``registration``."""
    customer = registration["customer"]
    due_days = debt["invoice_due_days_after_invoice_date"]
    case_debt: dict[str, Any] = {
        "invoice_date": debt["invoice_date"],
        "invoice_due_days_after_invoice_date": due_days,
        "capital_to_claim": capital_style(Decimal(debt["capital_to_claim"])),
        "debt_description": debt["debt_description"],
        "invoice_number": debt["invoice_number"],
        "payout_reference": debt.get("payout_reference", debt["invoice_number"]),
        "interest_days_after_invoice_date": due_days,
    }
    for optional in ("debt_reference", "initial_capital", "fees_included_in_capital_to_claim"):
        if optional in debt:
            case_debt[optional] = debt[optional]
    doc: dict[str, Any] = {
        "_id": ids.object_id(now),
        "debt": case_debt,
        "creditor": registration["creditor"],
        "_created": now,
        "_etag": "",
        "_updated": now,
        "account": registration["account"],
        "agreement_version": agreement_version,
        "case_registration": registration["_id"],
        "case_settings": {"interest_rate": {"reference_rate": True}},
        "creditor_name": creditor_name,
        "currency": registration["currency"],
        "customer": customer_id,
        "customer_id_number": customer["id_number"],
        "customer_name": customer["name"],
        "customer_status": "initializing",
        "debtor": debtor_id,
        "debtor_id_number": customer["id_number"],
        "debtor_name": customer["name"],
        "latest_state_date": now,
        "state": "initializing",
        "state_history": [{"state": "initializing", "state_date": now}],
        "status": "initializing",
        "status_history": [{"status": "initializing", "status_date": now}],
        "transactions": [
            {
                "bank_transaction_date": debt["invoice_date"],
                "registration_date": now,
                "origin": "creditor_system",
                "type": "capital",
                "description_locale_tag": "api.transaction.case_registration",
                "amount": capital_style(Decimal(debt["capital_to_claim"])),
            }
        ],
        "reference_number": ids.reference_number(),
        "next_flow_item": _flow_item(
            "cases__initialize",
            now + INITIALIZE_AFTER,
            "api.wait.waiting_for_case_initialization",
            moved_to_next_state=False,
        ),
        "services": [],
        "event_listeners": {},
    }
    if "customer_number" in customer:
        doc["customer_number"] = customer["customer_number"]
    reminder_fee = debt.get("fees_already_claimed", {}).get("reminder")
    if reminder_fee is not None:
        doc["transactions"].append(
            {
                "bank_transaction_date": reminder_fee["fee_registration_date"],
                "registration_date": now,
                "origin": "creditor_system",
                "type": "costs",
                "description_locale_tag": "api.transaction.case_registration",
                "amount": capital_style(Decimal(reminder_fee["amount"])),
            }
        )
    interest_start = _midnight(debt["invoice_date"]) + timedelta(days=due_days)
    record = CaseRecord(
        doc=doc,
        account=registration["account"],
        first_action=registration["first_action"],
        rate=reference_rate + LATE_PAYMENT_MARGIN,
        interest_cursor=interest_start,
    )
    _refresh_amounts(record)
    record.touch(now)
    return record


def _refresh_amounts(record: CaseRecord) -> None:
    added = dict.fromkeys(_AMOUNT_TYPES, Decimal(0))
    remaining = dict.fromkeys(_AMOUNT_TYPES, Decimal(0))
    for transaction in record.doc["transactions"]:
        kind = transaction["type"]
        amount = Decimal(transaction["amount"])
        remaining[kind] += amount
        if amount > 0:
            added[kind] += amount
    record.remaining = remaining
    doc = record.doc
    for prefix in ("local", "total"):
        for label, values in (("added", added), ("remaining", remaining)):
            for kind in _AMOUNT_TYPES:
                doc[f"{prefix}_{label}_{kind}_amount"] = _style(kind, values[kind])
            doc[f"{prefix}_{label}_transaction_amount"] = interest_style(
                sum(values.values(), Decimal(0))
            )


def _accrued(record: CaseRecord, when: datetime) -> tuple[Decimal, datetime]:
    """Exact interest accrued up to ``when`` (whole days only) and the new cursor."""
    if when <= record.interest_cursor:
        return record.exact_interest, record.interest_cursor
    days = (when - record.interest_cursor).days
    if days <= 0:
        return record.exact_interest, record.interest_cursor
    capital = max(record.remaining["capital"], Decimal(0))
    extra = capital * record.rate / Decimal(100) * Decimal(days) / Decimal(365)
    return record.exact_interest + extra, record.interest_cursor + timedelta(days=days)


def pending_interest(record: CaseRecord, when: datetime) -> Decimal:
    """Whole kronor of interest that booking at ``when`` would add."""
    exact, _ = _accrued(record, when)
    return max(exact.to_integral_value(rounding=ROUND_FLOOR) - record.booked_interest, Decimal(0))


def _book_interest(record: CaseRecord, when: datetime) -> None:
    if record.is_closed:
        return
    exact, cursor = _accrued(record, when)
    record.exact_interest, record.interest_cursor = exact, cursor
    target = exact.to_integral_value(rounding=ROUND_FLOOR)
    delta = target - record.booked_interest
    if delta > 0:
        record.booked_interest = target
        record.doc["transactions"].append(
            {
                "bank_transaction_date": when,
                "registration_date": when,
                "origin": "solicitor_system",
                "type": "interest",
                "description_locale_tag": "api.transaction.case_flow",
                "amount": interest_style(delta),
            }
        )
        _refresh_amounts(record)


def _set_status(record: CaseRecord, status: str, when: datetime) -> None:
    record.doc["status"] = status
    record.doc["status_history"].append({"status": status, "status_date": when})


def _set_state(record: CaseRecord, state: str, when: datetime) -> None:
    record.doc["state"] = state
    record.doc["state_history"].append({"state": state, "state_date": when})
    record.doc["latest_state_date"] = when


#: A flow step: what happens to a case when its time comes (a bound :class:`Lifecycle` method).
Step = Callable[[CaseRecord, datetime], None]


class Lifecycle:
    """Runs due flow steps in time order and applies payments."""

    def __init__(self, ids: IdFactory) -> None:
        self._ids = ids
        # (due time, sequence, case id, step); the sequence keeps steps due at the
        # same time in the order they were scheduled, so steps are never compared.
        self._queue: list[tuple[datetime, int, str, Step]] = []
        self._sequence = 0

    def clear(self) -> None:
        """Forget every scheduled step."""
        self._queue.clear()

    def schedule(self, record: CaseRecord, step: Step, when: datetime) -> None:
        """Run ``step`` on ``record`` once the clock reaches ``when``."""
        self._sequence += 1
        heapq.heappush(self._queue, (when, self._sequence, record.id, step))

    def start(self, record: CaseRecord) -> None:
        """Schedule the first step of a newly registered case."""
        self.schedule(record, self._initialize, record.doc["_created"] + INITIALIZE_AFTER)

    def catch_up(self, now: datetime, cases: Mapping[str, CaseRecord]) -> int:
        """Apply every step due by ``now``, in time order; returns how many ran."""
        ran = 0
        while self._queue and self._queue[0][0] <= now:
            when, _, case_id, step = heapq.heappop(self._queue)
            record = cases.get(case_id)
            if record is None or record.is_closed:
                continue
            step(record, when)
            record.touch(when)
            ran += 1
        return ran

    def _initialize(self, record: CaseRecord, when: datetime) -> None:
        _set_status(record, "initialized", when)
        record.doc["customer_status"] = "initialized"
        _book_interest(record, when)
        reminder_first = record.first_action == "reminder"
        item = (
            "case--reminders__reminder"
            if reminder_first
            else "case--debt-collections__debt_collection"
        )
        start = when + COLLECTION_AFTER
        record.doc["next_flow_item"] = _flow_item(
            item, start, "api.wait.waiting_for_flow_start", moved_to_next_state=False
        )
        self.schedule(
            record, self._start_reminder if reminder_first else self._start_debt_collection, start
        )

    def _start_reminder(self, record: CaseRecord, when: datetime) -> None:
        _book_interest(record, when)
        _set_state(record, "reminder", when)
        _set_status(record, "reminder", when)
        record.doc["services"].append({"service": "reminder", "service_date": when})
        record.doc["next_flow_item"] = _flow_item(
            "case--debt-collections__debt_collection",
            when + REMINDER_PERIOD,
            "api.wait.waiting_for_reminder_payment",
            moved_to_next_state=True,
        )
        self.schedule(record, self._start_debt_collection, when + REMINDER_PERIOD)

    def _start_debt_collection(self, record: CaseRecord, when: datetime) -> None:
        _book_interest(record, when)
        _set_state(record, "debt_collection", when)
        _set_status(record, "debt_collection", when)
        record.doc["services"].append({"service": "debt_collection", "service_date": when})
        record.doc["debt_collection"] = self._ids.object_id(when)
        statement = _midnight(when) + timedelta(days=FIRST_STATEMENT_DAYS)
        record.doc["next_flow_item"] = _flow_item(
            "case--debt-collections__debt_statement",
            statement,
            "api.wait.waiting_for_debt_collection_payment",
            moved_to_next_state=True,
        )
        self.schedule(record, self._letter_sent, when + LETTER_AFTER)
        self.schedule(record, self._debt_statement, statement)

    def _letter_sent(self, record: CaseRecord, when: datetime) -> None:
        record.doc["limitation"] = {
            "break_date": when,
            "limitation_date": _years_later(when, 10),
            "locale_annotation": "api.log_messages.letter_sent_debt_collection",
        }

    def _debt_statement(self, record: CaseRecord, when: datetime) -> None:
        _book_interest(record, when)
        if record.doc["status"] != "debt_collection_active":
            _set_status(record, "debt_collection_active", when)
        following = when + STATEMENT_INTERVAL
        record.doc["next_flow_item"] = _flow_item(
            "case--debt-collections__debt_statement",
            following,
            "api.wait.waiting_for_debt_collection_payment",
            moved_to_next_state=True,
        )
        self.schedule(record, self._debt_statement, following)

    def apply_payment(
        self, record: CaseRecord, payment: dict[str, Any], now: datetime
    ) -> dict[str, Decimal]:
        """Settle a validated creditor payment on the case; closes it when capital reaches 0.

        The amount goes to capital first, then costs, then interest. Once the
        capital is paid, whatever interest and costs remain are written off
        (``api.transaction.depreciated``) and the case closes with reason
        ``fully_paid_depreciation``. Returns what was paid of each kind
        (``capital``, ``costs``, ``interest``; kinds not paid are left out).
        """
        _book_interest(record, now)
        left = Decimal(payment["amount"])
        paid: dict[str, Decimal] = {}
        for kind in _AMOUNT_TYPES:
            part = min(left, record.remaining[kind])
            if part <= 0:
                continue
            left -= part
            paid[kind] = part
            record.doc["transactions"].append(
                {
                    "bank_transaction_date": payment["bank_transaction_date"],
                    "registration_date": now,
                    "origin": "creditor_system",
                    "type": kind,
                    "description_locale_tag": "creditor_payment.payment_settled",
                    "amount": _style(kind, -part),
                    "payment_method": "creditor_payment",
                    "creditor_payment": payment["_id"],
                }
            )
        _refresh_amounts(record)
        if record.remaining["capital"] <= 0:
            _close(record, now, "fully_paid_depreciation")
        record.touch(now)
        return paid

    def apply_crediting(
        self, record: CaseRecord, crediting: dict[str, Any], now: datetime
    ) -> Decimal:
        """Credit capital on an open case; returns what could be credited (simulated).

        Interest up to now is booked first. The crediting lowers the remaining
        capital, at most to zero, as a negative capital transaction
        (``creditor_crediting.crediting_settled``, with ``creditor_crediting``
        naming it). When no capital remains, what interest and costs remain
        are written off and the case closes with reason ``credited``. The
        docs name neither the transaction's locale tag nor the close reason.
        """
        _book_interest(record, now)
        settled = min(Decimal(crediting["amount"]), max(record.remaining["capital"], Decimal(0)))
        if settled > 0:
            record.doc["transactions"].append(
                {
                    "bank_transaction_date": crediting.get("client_registration_date", now),
                    "registration_date": now,
                    "origin": "creditor_system",
                    "type": "capital",
                    "description_locale_tag": CREDITING_SETTLED,
                    "amount": capital_style(-settled),
                    "creditor_crediting": crediting["_id"],
                }
            )
            _refresh_amounts(record)
        if record.remaining["capital"] <= 0:
            _close(record, now, "credited")
        record.touch(now)
        return settled

    def cancel(self, record: CaseRecord, now: datetime) -> None:
        """Close an open case for a cancellation, with reason ``cancelled`` (simulated).

        Interest up to now is booked, and nothing is written off: the case
        keeps what it was owed when the creditor stopped it. The docs do not
        describe a cancellation's effect on the case.
        """
        _book_interest(record, now)
        _close(record, now, "cancelled", write_off=False)
        record.touch(now)

    def start_invoice(self, record: CaseRecord, due: datetime) -> None:
        """Schedule an invoice case's first step: the reminder, once its due date has passed."""
        self.schedule(record, self._start_reminder, due)


def invoice_case(record: CaseRecord, invoice_date: datetime, due: datetime) -> None:
    """Turn a newly built case into an invoice case: state and status ``invoice`` (simulated).

    Its state history starts with ``invoice`` at the invoice date (as the
    docs' case-status example shows); the next flow step is the reminder at
    the due date, after which the case follows the reminder path.
    """
    doc = record.doc
    doc["state"] = doc["status"] = "invoice"
    doc["customer_status"] = "initialized"
    doc["state_history"] = [{"state": "invoice", "state_date": invoice_date}]
    doc["status_history"] = [{"status": "invoice", "status_date": doc["_created"]}]
    doc["latest_state_date"] = invoice_date
    doc["next_flow_item"] = _flow_item(
        "case--reminders__reminder",
        due,
        "api.wait.waiting_for_invoice_payment",
        moved_to_next_state=False,
    )
    record.first_action = "reminder"
    record.interest_cursor = _midnight(due)


def _close(record: CaseRecord, now: datetime, reason: str, *, write_off: bool = True) -> None:
    """Close the case with ``reason``; with ``write_off``, write off interest and costs left."""
    for kind in ("costs", "interest") if write_off else ():
        if record.remaining[kind] > 0:
            record.doc["transactions"].append(
                {
                    "bank_transaction_date": now,
                    "registration_date": now,
                    "origin": "solicitor_system",
                    "type": kind,
                    "description_locale_tag": "api.transaction.depreciated",
                    "amount": _style(kind, -record.remaining[kind]),
                }
            )
    _refresh_amounts(record)
    _set_status(record, "closed", now)
    record.doc["closed"] = {"close_date": now, "reason": reason}
    flow_item = record.doc.pop("next_flow_item", None)
    if flow_item is not None:
        record.doc["next_flow_item_on_close"] = flow_item
    # A closed case listens for nothing any more (example 05 has no event_listeners).
    record.doc.pop("event_listeners", None)
