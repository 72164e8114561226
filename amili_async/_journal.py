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

A journal belongs to one job at a time, one server and one account, and
notices when its records were lost (see :mod:`._journal_file`): a second job
gets :class:`~amili_async.errors.JournalLockedError`, another server or
account :class:`~amili_async.errors.JournalMismatchError`, an emptied file or
a lost ``-wal`` file :class:`~amili_async.errors.JournalError` unless the job
looks every item up first.

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
from ._journal_file import JournalFile, safe_text
from .errors import JournalLockedError
from .models.case_registration import CaseRegistration, NewCaseRegistration

__all__ = ["Claim", "Journal", "JournalEntry", "JournalState", "registration_key"]


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
    key = json.dumps(
        [registration.account, registration.creditor, sorted(registration.invoice_numbers)],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return safe_text(key)


def _scope(registration: NewCaseRegistration) -> str:
    return safe_text(
        json.dumps([registration.account, registration.creditor], separators=(",", ":"))
    )


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
    Reusing the same file for a rerun resumes the job. While it is open the
    journal is locked: no other job, in this process or another, can use it
    (:class:`~amili_async.errors.JournalLockedError`). Opening refuses a file
    that is not a readable journal with :class:`~amili_async.errors.JournalError`.
    ``clock`` only stamps each entry's ``updated_at``.
    """

    def __init__(self, path: str | os.PathLike[str], *, clock: Clock | None = None) -> None:
        self.path = Path(path)
        self._clock: Clock = clock or SystemClock()
        self._file: JournalFile | None = None
        self._limiter: anyio.CapacityLimiter | None = None
        self._job_running = False
        self._lookup_first = False

    @property
    def is_open(self) -> bool:
        """Whether the file is open (and locked by this object)."""
        return self._file is not None

    async def open(self) -> None:
        """Open (or create) and lock the file. Called by ``async with``."""
        if self._file is not None:
            return
        self._limiter = anyio.CapacityLimiter(1)
        self._file = await self._run(JournalFile.open, self.path)

    async def aclose(self) -> None:
        """Close the file and unlock it."""
        file, self._file = self._file, None
        if file is not None:
            await self._run(file.close)

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

    def _journal_file(self) -> JournalFile:
        if self._file is None:
            raise RuntimeError("the journal is not open; use `async with Journal(path)`")
        return self._file

    def _conn(self) -> sqlite3.Connection:
        return self._journal_file().db

    def _now(self) -> str:
        return self._clock.now().isoformat(timespec="seconds")

    # -- whose job it is ---------------------------------------------------------------

    @property
    def server(self) -> str | None:
        """The base URL of the server the journal's job ran on (``None`` before its first job)."""
        return self._journal_file().header.server

    @property
    def account(self) -> str | None:
        """The account the journal's items belong to (``None`` before its first item)."""
        return self._journal_file().header.account

    @property
    def creditors(self) -> tuple[str, ...]:
        """The creditors seen in the journal's items."""
        return tuple(self._journal_file().header.creditors)

    @property
    def damage(self) -> str | None:
        """Why records of this journal were lost, or ``None`` when it is whole."""
        return self._journal_file().header.damage

    async def begin_job(self, server: str, *, lookup_first: bool) -> None:
        """Make the journal the record of a job on ``server``; called by ``create_many``.

        Refuses a second job while one runs (:class:`~amili_async.errors.JournalLockedError`),
        a journal of another server (:class:`~amili_async.errors.JournalMismatchError`),
        and a journal whose records were lost unless ``lookup_first`` is set
        (:class:`~amili_async.errors.JournalError`).
        """
        file = self._journal_file()
        if self._job_running:
            raise JournalLockedError(
                f"the journal {self.path} is in use by another job of this process; "
                "a journal has one job at a time: wait for it to end, or use another file",
                path=str(self.path),
            )
        if not lookup_first:
            file.refuse_damage()
        await self._run(file.bind_server, server)
        self._job_running = True
        self._lookup_first = lookup_first

    async def end_job(self, *, complete: bool) -> None:
        """The job ended; ``complete`` when every item got its outcome.

        A complete job that looked every item up makes a damaged journal whole again.
        """
        file = self._journal_file()
        self._job_running = False
        if complete and self._lookup_first and file.header.damage is not None:
            await self._run(file.clear_damage)

    # -- the job's side ----------------------------------------------------------------

    async def claim(self, registration: NewCaseRegistration, index: int) -> Claim:
        """Record ``registration`` as part of the job and return what an earlier run left.

        A new key is stored as ``pending`` together with its invoice numbers.
        If one of those invoice numbers already belongs to another key, nothing
        is stored and the conflict is returned.
        """
        return await self._run(self._claim, registration, index)  # type: ignore[no-any-return]

    def _claim(self, registration: NewCaseRegistration, index: int) -> Claim:
        file = self._journal_file()
        with file.db:
            file.db.execute("BEGIN IMMEDIATE")
            file.bind_scope(registration.account, registration.creditor)
            claim = self._claim_registration(registration, index)
        file.scope_bound(registration.account, registration.creditor)
        return claim

    def _claim_registration(self, registration: NewCaseRegistration, index: int) -> Claim:
        key = registration_key(registration)
        scope = _scope(registration)
        invoices = [safe_text(number) for number in sorted(registration.invoice_numbers)]
        return self._claim_row(key, scope, invoices, index)

    async def claim_key(self, key: str, index: int) -> Claim:
        """Like :meth:`claim` for an item known by ``key`` alone (a crediting, a cancellation).

        A new key is stored as ``pending``; the entry an earlier run left is returned.
        """
        return await self._run(self._claim_key_alone, key, index)  # type: ignore[no-any-return]

    def _claim_key_alone(self, key: str, index: int) -> Claim:
        db = self._conn()
        with db:
            db.execute("BEGIN IMMEDIATE")
            return self._claim_row(key, "", (), index)

    def _claim_row(self, key: str, scope: str, invoices: Sequence[str], index: int) -> Claim:
        """Inside a transaction: claim ``key`` with its invoice numbers in ``scope``."""
        db = self._conn()
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
            (
                JournalState.FAILED.value,
                type(error).__name__,
                safe_text(str(error)),
                self._now(),
                key,
            ),
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
