"""Opening a journal file: one owner at a time, whose job it is, and records that went missing.

Three things make a journal safe to resume from, and this module checks them
before the job reads a single entry:

* **One owner.** Opening takes an exclusive OS lock on ``<journal>.lock``
  (:class:`~._filelock.FileLock`). A second job, in this process or another,
  gets :class:`~amili_async.errors.JournalLockedError` at once. The OS drops
  the lock when its process ends however it ends, so a crash leaves nothing
  stale. (SQLite's own locks were the alternative: holding a write
  transaction for the job's life would keep every state change from being
  committed, and ``locking_mode=EXCLUSIVE`` makes a second opener wait and
  then fail with a vague "database is locked", indistinguishable from a
  slow disk.)
* **Whose job.** The ``job`` row records the server's base URL, the account
  and the creditors the journal's items belong to. A journal written against
  one server says nothing about another, so a mismatch is refused with
  :class:`~amili_async.errors.JournalMismatchError`, naming both.
* **Nothing lost.** A journal's records live in the ``-wal`` file until SQLite
  copies them into the main file. The ``job`` row says whether the file was
  closed cleanly; it is set to "open" (and copied into the main file) as the
  journal opens, and back to "closed" as it closes. An existing file that is
  empty, that has no tables, or that was left open while its ``-wal`` file is
  gone has lost records: it is marked *damaged*, and a job refuses it unless
  it looks every item up before sending (``lookup_first=True``). The mark
  stays until such a job runs to the end.

A file SQLite cannot read, a database that is not a journal, and a journal of
a newer format are refused with :class:`~amili_async.errors.JournalError`.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

from attrs import define, field, frozen

from ._filelock import FileLock
from .errors import JournalError, JournalLockedError, JournalMismatchError

__all__ = ["SCHEMA_VERSION", "Header", "JournalFile", "safe_text"]

#: The format this version writes; it reads this one and the ones before.
SCHEMA_VERSION = 2

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
CREATE TABLE IF NOT EXISTS job (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    server TEXT,
    account TEXT,
    creditors TEXT NOT NULL DEFAULT '[]',
    closed_cleanly INTEGER NOT NULL DEFAULT 1,
    damage TEXT
);
"""

_LOOKUP_ADVICE = (
    "rerun with lookup_first=True (--lookup-first on the command line) to look every item "
    "up before sending it, or, if the file never held a journal, delete it"
)


def safe_text(text: str) -> str:
    """``text`` as SQLite can store it: lone surrogates written as ``\\udXXX`` escapes."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


@define
class Header:
    """The ``job`` row: whose job the journal records, and whether records were lost."""

    server: str | None = None
    account: str | None = None
    creditors: list[str] = field(factory=list)
    damage: str | None = None


@frozen
class _Files:
    """What was on disk before SQLite opened (and perhaps replayed) the journal."""

    existed: bool
    empty: bool
    wal: bool

    @classmethod
    def of(cls, path: Path) -> _Files:
        try:
            size: int | None = path.stat().st_size
        except FileNotFoundError:
            size = None
        wal = Path(f"{path}-wal")
        return cls(existed=size is not None, empty=size == 0, wal=wal.exists())


class JournalFile:
    """An open journal: its SQLite connection, its lock and its header. Not thread-safe."""

    def __init__(self, path: Path, db: sqlite3.Connection, lock: FileLock, header: Header) -> None:
        self.path = path
        self.db = db
        self._lock = lock
        self.header = header

    @classmethod
    def open(cls, path: Path) -> JournalFile:
        """Lock, open and check the journal at ``path`` (created if missing): see the module."""
        lock = _lock(path)
        try:
            files = _Files.of(path)
            db = _connect(path)
        except BaseException:
            lock.release()
            raise
        try:
            header = _prepare(db, path, files)
        except BaseException:
            db.close()
            lock.release()
            raise
        return cls(path, db, lock, header)

    def close(self) -> None:
        """Mark the file closed cleanly, copy everything into the main file, and unlock it."""
        try:
            with self.db:
                self.db.execute("UPDATE job SET closed_cleanly = 1")
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            self.db.close()
            self._lock.release()

    # -- whose job --------------------------------------------------------------------------

    def refuse_damage(self) -> None:
        """Raise :class:`JournalError` if records of this journal were lost."""
        if self.header.damage is not None:
            raise JournalError(
                f"the journal {self.path} {self.header.damage}, so it cannot tell what an "
                f"earlier run sent; {_LOOKUP_ADVICE}",
                path=str(self.path),
            )

    def clear_damage(self) -> None:
        """Every item was looked up by a job that ran to the end: the journal is whole again."""
        with self.db:
            self.db.execute("UPDATE job SET damage = NULL")
        self.header.damage = None

    def bind_server(self, server: str) -> None:
        """Record ``server`` as the journal's, or refuse it if the journal has another."""
        given = server.rstrip("/")
        recorded = self.header.server
        if recorded is None:
            with self.db:
                self.db.execute("UPDATE job SET server = ?", (given,))
            self.header.server = given
        elif recorded != given:
            raise JournalMismatchError(
                f"the journal {self.path} records a job on {recorded}, not on {given}: "
                "it says nothing about what that server holds; use another journal file",
                path=str(self.path),
                recorded=recorded,
                given=given,
            )

    def bind_scope(self, account: str, creditor: str) -> None:
        """In the caller's transaction: record the account and creditor, or refuse the account."""
        header = self.header
        account, creditor = safe_text(account), safe_text(creditor)
        if header.account is None:
            self.db.execute("UPDATE job SET account = ?", (account,))
        elif header.account != account:
            raise JournalMismatchError(
                f"the journal {self.path} records a job for account {header.account}, not "
                f"for account {account}: use one journal per account",
                path=str(self.path),
                recorded=header.account,
                given=account,
            )
        if creditor not in header.creditors:
            creditors = json.dumps([*header.creditors, creditor])
            self.db.execute("UPDATE job SET creditors = ?", (creditors,))

    def scope_bound(self, account: str, creditor: str) -> None:
        """After :meth:`bind_scope`'s transaction committed: remember what it recorded."""
        account, creditor = safe_text(account), safe_text(creditor)
        self.header.account = account
        if creditor not in self.header.creditors:
            self.header.creditors.append(creditor)


def _lock(path: Path) -> FileLock:
    lock = FileLock(path.with_name(path.name + ".lock"))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise JournalError(
            f"cannot create the folder {path.parent} for the journal {path}: "
            f"{error.strerror or error}",
            path=str(path),
        ) from None
    try:
        acquired = lock.acquire()
    except OSError as error:
        raise JournalError(
            f"cannot open the journal's lock file {lock.path}: {error.strerror or error}",
            path=str(path),
        ) from None
    if not acquired:
        holder = lock.holder()
        by = f"process {holder}" if holder and int(holder) != os.getpid() else "this process"
        raise JournalLockedError(
            f"the journal {path} is in use by another job ({by}); a journal has one job at a "
            "time, so that no item is sent twice: wait for that job to end, or use another "
            "journal file",
            path=str(path),
        )
    return lock


def _connect(path: Path) -> sqlite3.Connection:
    try:
        db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    except sqlite3.Error as error:
        raise JournalError(f"cannot open the journal {path}: {error}", path=str(path)) from None
    db.row_factory = sqlite3.Row
    return db


def _prepare(db: sqlite3.Connection, path: Path, files: _Files) -> Header:
    """Check the file, create or upgrade its tables, mark it open; its header."""
    try:
        return _checked(db, path, files)
    except sqlite3.DatabaseError as error:
        raise JournalError(
            f"{path} cannot be read as a journal (SQLite: {error}): it is damaged or not a "
            "journal; use another file",
            path=str(path),
        ) from None


def _checked(db: sqlite3.Connection, path: Path, files: _Files) -> Header:
    db.execute("PRAGMA busy_timeout=5000")
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise JournalError(
            f"{path} is a journal of a newer amili-async (format {version}; this one reads up "
            f"to {SCHEMA_VERSION}): upgrade amili-async, or use another file",
            path=str(path),
        )
    if tables and "items" not in tables:
        raise JournalError(
            f"{path} is an SQLite database but not an amili-async journal; use another file",
            path=str(path),
        )
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(_SCHEMA)
    header = _header(db, files, fresh=not tables)
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    with db:
        db.execute("UPDATE job SET closed_cleanly = 0")
    # Into the main file now: if the -wal file is lost from here on, the next open knows.
    db.execute("PRAGMA wal_checkpoint(FULL)")
    return header


def _header(db: sqlite3.Connection, files: _Files, *, fresh: bool) -> Header:
    """The ``job`` row, created if missing, with any loss of records noted in it."""
    damage: str | None = None
    if files.existed and fresh:
        damage = (
            "is empty (zero bytes)"
            if files.empty
            else "has no tables (the -wal file that held them was probably lost)"
        )
    row = db.execute("SELECT * FROM job").fetchone()
    with db:
        if row is None:
            db.execute("INSERT INTO job (id, damage) VALUES (1, ?)", (damage,))
            return Header(damage=damage)
        if not row["closed_cleanly"] and not files.wal:
            damage = (
                "was not closed cleanly and its -wal file is missing: its last records are lost"
            )
        if row["damage"] is None and damage is not None:
            db.execute("UPDATE job SET damage = ?", (damage,))
    return Header(
        server=row["server"],
        account=row["account"],
        creditors=list(json.loads(row["creditors"] or "[]")),
        damage=row["damage"] or damage,
    )
