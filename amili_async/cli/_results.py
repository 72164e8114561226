"""``register --results``: one JSON line per registration, or per row that could not be read.

:class:`ResultLine` is the one schema of every line (its fields are the keys,
in order) and :meth:`ResultLine.render` the one way to write it. A row that
could not be read is a ``failed`` line whose error type is ``RowError``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import attrs
from attrs import frozen

from amili_async import OutcomeStatus, RegistrationOutcome, mask_id_number

from ._common import error_message
from ._rows import RowError

__all__ = ["ErrorRecord", "ResultLine", "ResultsFile"]


@frozen
class ErrorRecord:
    """Why a line failed: the error's type name, its message and its per-field issues."""

    type: str
    message: str
    issues: dict[str, str] | None = None

    @classmethod
    def of(cls, error: BaseException) -> ErrorRecord:
        """The record of an SDK error (``issues`` only for errors that carry them)."""
        issues = getattr(error, "issues", None)
        return cls(
            type=type(error).__name__,
            message=error_message(error),
            issues={str(key): str(value) for key, value in issues.items()} if issues else None,
        )


@frozen
class ResultLine:
    """One line of the results file: the fields are its keys, in order."""

    lines: tuple[int, ...]
    outcome: str
    from_journal: bool = False
    customer: str = ""
    invoice_numbers: tuple[Any, ...] = ()
    registration_id: str | None = None
    case_ids: tuple[str, ...] = ()
    ocr_numbers: tuple[str, ...] = ()
    error: ErrorRecord | None = None

    @classmethod
    def of_outcome(cls, outcome: RegistrationOutcome, lines: tuple[int, ...]) -> ResultLine:
        """The line of a registration the job reported on, sent from the rows at ``lines``."""
        item: Mapping[str, Any] = outcome.item if isinstance(outcome.item, Mapping) else {}
        customer = item.get("customer")
        id_number = customer.get("id_number") if isinstance(customer, Mapping) else None
        registration = outcome.registration
        return cls(
            lines=lines,
            outcome=outcome.status.value,
            from_journal=outcome.from_journal,
            customer=mask_id_number(str(id_number or "")),
            invoice_numbers=tuple(
                debt.get("invoice_number")
                for debt in item.get("debts", [])
                if isinstance(debt, Mapping)
            ),
            registration_id=registration.id if registration else None,
            case_ids=tuple(registration.cases) if registration else (),
            ocr_numbers=tuple(registration.ocr_numbers_ocr) if registration else (),
            error=ErrorRecord.of(outcome.error) if outcome.error is not None else None,
        )

    @classmethod
    def of_unreadable(cls, row_error: RowError) -> ResultLine:
        """The line of a row that could not be read: failed, and never sent."""
        return cls(
            lines=(row_error.line,),
            outcome=OutcomeStatus.FAILED.value,
            error=ErrorRecord(type="RowError", message=row_error.reason),
        )

    def render(self) -> str:
        """The JSON line (without its newline)."""
        return json.dumps(attrs.asdict(self), ensure_ascii=False)


class ResultsFile:
    """The ``--results`` file, written line by line; with no path, lines go nowhere."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._handle: IO[str] | None = None

    def __enter__(self) -> ResultsFile:
        if self._path is not None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            # Line-buffered: every line is in the file as soon as it is written (Ctrl-C, kill).
            self._handle = self._path.open("w", encoding="utf-8", buffering=1)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._handle is not None:
            self._handle.close()

    def write(self, line: ResultLine) -> None:
        """Add one line."""
        if self._handle is not None:
            self._handle.write(line.render() + "\n")
