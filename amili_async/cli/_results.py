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
from attrs import define, field, frozen

from amili_async import ActionOutcome, OutcomeStatus, RegistrationOutcome, mask_id_number

from ._common import error_message, issue_text
from ._format import amount_json
from ._report import Summary
from ._rows import RowError

__all__ = ["ActionResultLine", "ErrorRecord", "Recorder", "ResultLine", "ResultsFile"]


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
            issues={str(key): issue_text(value) for key, value in issues.items()}
            if issues
            else None,
        )


class _Line:
    """What every results line can do: be a row that could not be read, and be written."""

    __slots__ = ()

    @classmethod
    def of_unreadable(cls, row_error: RowError) -> Any:
        """The line of a row that could not be read: failed, and never sent."""
        return cls(  # type: ignore[call-arg]
            lines=(row_error.line,),
            outcome=OutcomeStatus.FAILED.value,
            error=ErrorRecord(type="RowError", message=row_error.reason),
        )

    def render(self) -> str:
        """The JSON line (without its newline)."""
        return json.dumps(attrs.asdict(self), ensure_ascii=False)  # type: ignore[arg-type]


@frozen
class ResultLine(_Line):
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


@frozen
class ActionResultLine(_Line):
    """One line of the results of ``credit``, ``cancel`` or ``invoices register``.

    ``case`` and ``invoice_number`` as the row named them (for an invoice, its
    case once registered); ``id`` the stored action's; ``status`` its business
    status (``completed``, ``warning``, ``error``) and ``status_reason_locale``
    why; ``settled_amount`` what a crediting credited.
    """

    lines: tuple[int, ...]
    outcome: str
    from_journal: bool = False
    case: str | None = None
    invoice_number: str | None = None
    id: str | None = None
    status: str | None = None
    status_reason_locale: str | None = None
    settled_amount: str | None = None
    error: ErrorRecord | None = None

    @classmethod
    def of_outcome(cls, outcome: ActionOutcome[Any], lines: tuple[int, ...]) -> ActionResultLine:
        """The line of an action the job reported on, sent from the row at ``lines``."""
        item: Mapping[str, Any] = outcome.item if isinstance(outcome.item, Mapping) else {}
        result = outcome.result
        case = getattr(result, "case", None) or item.get("case")
        settled = getattr(result, "settled_amount", None)
        status = getattr(result, "status", None)
        return cls(
            lines=lines,
            outcome=outcome.status.value,
            from_journal=outcome.from_journal,
            case=str(case) if case is not None else None,
            invoice_number=item.get("invoice_number"),
            id=outcome.result_id,
            status=str(status) if status is not None else None,
            status_reason_locale=getattr(result, "status_reason_locale", None),
            settled_amount=amount_json(settled),
            error=ErrorRecord.of(outcome.error) if outcome.error is not None else None,
        )


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

    def write(self, line: ResultLine | ActionResultLine) -> None:
        """Add one line."""
        if self._handle is not None:
            self._handle.write(line.render() + "\n")


@define
class Recorder:
    """Records each outcome, with the lines it was read from, in the summary and the results.

    ``line_type`` is the results file's schema (its ``of_outcome`` makes an
    outcome's line); rows the job's input found unreadable are queued in
    ``unreadable`` and recorded in file order.
    """

    summary: Summary
    results: ResultsFile
    line_type: type[ResultLine] | type[ActionResultLine]
    #: The lines of each item in flight, by its index in the job.
    lines_of: dict[int, tuple[int, ...]] = field(factory=dict)
    #: Rows that could not be read, not recorded yet.
    unreadable: list[RowError] = field(factory=list)

    def record(self, outcome: Any) -> None:
        """Record one outcome, then the rows found unreadable meanwhile."""
        lines = self.lines_of.pop(outcome.index, ())
        self.summary.add(outcome, lines)
        self.results.write(self.line_type.of_outcome(outcome, lines))
        self.record_unreadable()

    def record_unreadable(self) -> None:
        """Record the unreadable rows met so far, in file order."""
        while self.unreadable:
            row_error = self.unreadable.pop(0)
            self.summary.add_unreadable(row_error)
            self.results.write(self.line_type.of_unreadable(row_error))
