"""The journal of a bulk job: one SQLite file, so that a rerun sends nothing twice.

Every item of a job is keyed by a stable identity, not by its position: the
account, the creditor and the sorted invoice numbers of the registration
(:func:`registration_key`). Each key moves through these states::

    pending ──> sent ──> created     (registration id, case ids, OCR numbers kept)
                  │
                  └────> failed      (error type and reason kept)

``sent`` means "may have reached the API": it is written *before* the request
goes out, so after a crash, a Ctrl-C or an unknown outcome the next run looks
the registration up (``case_registrations.find``) before sending it again.
A second table claims each (account, creditor, invoice number) for one key,
so a later run whose input regroups the same invoices differently is refused
instead of registering those debts a second time.

The bulk creditor actions (creditings, cancellations, invoice registrations)
use the same file format with their own keys (:meth:`Journal.claim_key`,
:meth:`Journal.mark_recorded`): the state machine is the same, and the stored
id is the action's.

SQLite runs in WAL mode with ``synchronous=NORMAL``: each state change is
committed before the job moves on, which survives the process crashing or
being killed (not a power cut of the machine in the same instant). All calls
run in a worker thread (``anyio.to_thread``), one at a time, never on the
event loop.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Any

import anyio
from attrs import frozen

from ._clock import Clock, SystemClock
from .models.case_registration import CaseRegistration, NewCaseRegistration

__all__ = ["Claim", "Journal", "JournalEntry", "JournalState", "registration_key"]

_SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    key TEXT PRIMARY KEY,
    item_index INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'created', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    registration_id TEXT,
    cases TEXT,
    ocr_numbers TEXT,
    ocr_numbers_ocr TEXT,
    error_type TEXT,
    error TEXT,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS invoices (
    scope TEXT NOT NULL,
    invoice_number TEXT NOT NULL,
    key TEXT NOT NULL,
    PRIMARY KEY (scope, invoice_number)
);
CREATE INDEX IF NOT EXISTS items_by_state ON items (state);
"""


class JournalState(StrEnum):
    """Where an item of a journaled job stands."""

    PENDING = "pending"
    SENT = "sent"
    CREATED = "created"
    FAILED = "failed"


def registration_key(registration: NewCaseRegistration) -> str:
    """The stable identity of a registration: account, creditor and sorted invoice numbers.

    The same registration gets the same key whatever its position in the input
    or the order of its debts. It holds no personal data.
    """
    return json.dumps(
        [registration.account, registration.creditor, sorted(registration.invoice_numbers)],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _scope(registration: NewCaseRegistration) -> str:
    return json.dumps([registration.account, registration.creditor], separators=(",", ":"))


@frozen
class JournalEntry:
    """One item of the journal as last recorded."""

    key: str
    index: int
    state: JournalState
    attempts: int
    registration_id: str | None = None
    cases: tuple[str, ...] = ()
    ocr_numbers: tuple[str, ...] = ()
    ocr_numbers_ocr: tuple[str, ...] = ()
    error_type: str | None = None
    error: str | None = None

    def registration(self) -> CaseRegistration | None:
        """The stored registration as the journal knows it (ids and OCR numbers only)."""
        if self.state is not JournalState.CREATED or self.registration_id is None:
            return None
        return CaseRegistration(
            id=self.registration_id,
            cases=self.cases,
            ocr_numbers=self.ocr_numbers,
            ocr_numbers_ocr=self.ocr_numbers_ocr,
        )


@frozen
class Claim:
    """What :meth:`Journal.claim` found: the earlier entry, or the key that owns an invoice."""

    previous: JournalEntry | None
    conflict: tuple[str, str] | None = None  # (invoice number, key of the other registration)


def _tuple(text: str | None) -> tuple[str, ...]:
    return tuple(json.loads(text)) if text else ()


def _entry(row: sqlite3.Row) -> JournalEntry:
    return JournalEntry(
        key=row["key"],
        index=row["item_index"],
        state=JournalState(row["state"]),
        attempts=row["attempts"],
        registration_id=row["registration_id"],
        cases=_tuple(row["cases"]),
        ocr_numbers=_tuple(row["ocr_numbers"]),
        ocr_numbers_ocr=_tuple(row["ocr_numbers_ocr"]),
        error_type=row["error_type"],
        error=row["error"],
    )


class Journal:
    """A SQLite journal of one bulk registration job (see the module docs for the states).

    Open it with ``async with Journal(path) as journal:`` and hand it to
    ``create_many(..., journal=journal)``, or simply pass the path there.
    Reusing the same file for a rerun resumes the job. ``clock`` only stamps
    each entry's ``updated_at``.
    """

    def __init__(self, path: str | os.PathLike[str], *, clock: Clock | None = None) -> None:
        self.path = Path(path)
        self._clock: Clock = clock or SystemClock()
        self._db: sqlite3.Connection | None = None
        self._limiter: anyio.CapacityLimiter | None = None

    async def open(self) -> None:
        """Open (or create) the file. Called by ``async with``."""
        if self._db is not None:
            return
        self._limiter = anyio.CapacityLimiter(1)
        self._db = await self._run(self._connect)

    def _connect(self) -> sqlite3.Connection:
        if self.path.parent and not self.path.parent.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        try:
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA busy_timeout=5000")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, _SCHEMA_VERSION):
                raise ValueError(
                    f"{self.path} is a journal of a newer format ({version}); "
                    "use a newer amili-async or another file"
                )
            db.executescript(_SCHEMA)
            db.execute(f"PRAGMA user_version={_SCHEMA_VERSION}")
        except BaseException:
            db.close()
            raise
        return db

    async def aclose(self) -> None:
        """Close the file."""
        db, self._db = self._db, None
        if db is not None:
            await self._run(db.close)

    async def __aenter__(self) -> Journal:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        with anyio.CancelScope(shield=True):
            await self.aclose()

    async def _run(self, function: Any, *args: Any) -> Any:
        return await anyio.to_thread.run_sync(function, *args, limiter=self._limiter)

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("the journal is not open; use `async with Journal(path)`")
        return self._db

    def _now(self) -> str:
        return self._clock.now().isoformat(timespec="seconds")

    # -- the job's side ----------------------------------------------------------------

    async def claim(self, registration: NewCaseRegistration, index: int) -> Claim:
        """Record ``registration`` as part of the job and return what an earlier run left.

        A new key is stored as ``pending`` together with its invoice numbers.
        If one of those invoice numbers already belongs to another key, nothing
        is stored and the conflict is returned.
        """
        key = registration_key(registration)
        scope = _scope(registration)
        invoices = sorted(registration.invoice_numbers)
        return await self._run(self._claim, key, scope, invoices, index)  # type: ignore[no-any-return]

    async def claim_key(self, key: str, index: int) -> Claim:
        """Like :meth:`claim` for an item known by ``key`` alone (a crediting, a cancellation).

        A new key is stored as ``pending``; the entry an earlier run left is returned.
        """
        return await self._run(self._claim, key, "", (), index)  # type: ignore[no-any-return]

    def _claim(self, key: str, scope: str, invoices: Sequence[str], index: int) -> Claim:
        db = self._conn()
        with db:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute("SELECT * FROM items WHERE key = ?", (key,)).fetchone()
            marks = ",".join("?" * len(invoices))
            other = db.execute(
                f"SELECT invoice_number, key FROM invoices "
                f"WHERE scope = ? AND invoice_number IN ({marks}) AND key != ? LIMIT 1",
                (scope, *invoices, key),
            ).fetchone()
            if other is not None:
                return Claim(
                    previous=_entry(row) if row else None,
                    conflict=(other["invoice_number"], other["key"]),
                )
            if row is not None:
                return Claim(previous=_entry(row))
            db.execute(
                "INSERT INTO items (key, item_index, state, updated_at) VALUES (?, ?, ?, ?)",
                (key, index, JournalState.PENDING.value, self._now()),
            )
            db.executemany(
                "INSERT OR IGNORE INTO invoices (scope, invoice_number, key) VALUES (?, ?, ?)",
                [(scope, invoice, key) for invoice in invoices],
            )
            return Claim(previous=None)

    async def mark_sent(self, key: str) -> None:
        """The request may go out from now on: a rerun must look it up before re-sending."""
        await self._run(
            self._update,
            "UPDATE items SET state = ?, attempts = attempts + 1, updated_at = ? WHERE key = ?",
            (JournalState.SENT.value, self._now(), key),
        )

    async def mark_created(self, key: str, registration: CaseRegistration) -> None:
        """The registration is stored on the server; keep its ids."""
        await self._run(
            self._update,
            "UPDATE items SET state = ?, registration_id = ?, cases = ?, ocr_numbers = ?, "
            "ocr_numbers_ocr = ?, error_type = NULL, error = NULL, updated_at = ? WHERE key = ?",
            (
                JournalState.CREATED.value,
                registration.id,
                json.dumps(list(registration.cases)),
                json.dumps(list(registration.ocr_numbers)),
                json.dumps(list(registration.ocr_numbers_ocr)),
                self._now(),
                key,
            ),
        )

    async def mark_recorded(self, key: str, record_id: str) -> None:
        """The item (a crediting, a cancellation, an invoice) is stored; keep its id.

        :attr:`JournalEntry.registration_id` then holds that id.
        """
        await self._run(
            self._update,
            "UPDATE items SET state = ?, registration_id = ?, error_type = NULL, error = NULL, "
            "updated_at = ? WHERE key = ?",
            (JournalState.CREATED.value, record_id, self._now(), key),
        )

    async def mark_failed(self, key: str, error: BaseException) -> None:
        """The item failed and provably did not land; keep the reason."""
        await self._run(
            self._update,
            "UPDATE items SET state = ?, error_type = ?, error = ?, updated_at = ? WHERE key = ?",
            (JournalState.FAILED.value, type(error).__name__, str(error), self._now(), key),
        )

    def _update(self, sql: str, params: Sequence[Any]) -> None:
        db = self._conn()
        with db:
            db.execute(sql, params)

    # -- inspection ----------------------------------------------------------------------

    async def get(self, key: str) -> JournalEntry | None:
        """The entry of ``key``, if the journal has one."""
        return await self._run(self._get, key)  # type: ignore[no-any-return]

    def _get(self, key: str) -> JournalEntry | None:
        row = self._conn().execute("SELECT * FROM items WHERE key = ?", (key,)).fetchone()
        return _entry(row) if row else None

    async def counts(self) -> dict[JournalState, int]:
        """How many items are in each state."""
        return await self._run(self._counts)  # type: ignore[no-any-return]

    def _counts(self) -> dict[JournalState, int]:
        counts = dict.fromkeys(JournalState, 0)
        for row in self._conn().execute("SELECT state, COUNT(*) AS n FROM items GROUP BY state"):
            counts[JournalState(row["state"])] = row["n"]
        return counts

    async def entries(self, state: JournalState | None = None) -> list[JournalEntry]:
        """Every entry (or those in ``state``), in input order. Loads them all: for inspection."""
        return await self._run(self._entries, state)  # type: ignore[no-any-return]

    def _entries(self, state: JournalState | None) -> list[JournalEntry]:
        db = self._conn()
        if state is None:
            rows = db.execute("SELECT * FROM items ORDER BY item_index")
        else:
            rows = db.execute(
                "SELECT * FROM items WHERE state = ? ORDER BY item_index", (state.value,)
            )
        return [_entry(row) for row in rows]

    def __repr__(self) -> str:
        return f"Journal({str(self.path)!r})"
