"""The case tables of ``status``, ``cases list`` and ``watch``: nothing cut off from 80 columns up.

A table is drawn in one of two layouts. When every column fits the console
side by side, each case is one row of eight columns (the wide layout, easy to
grep). When it does not, each case is a few lines in four columns (case and
invoice; status, state and closing; customer and identity number; remaining),
and only the customer column wraps. Ids, statuses and amounts are never
wrapped or shortened. Every cell is plain text: a customer named
``[bold]`` is printed as written, never read as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from attrs import frozen

from amili_async import Case

from ._common import error_message
from ._connect import masked
from ._format import day, money

if TYPE_CHECKING:
    from rich.table import Table
    from rich.text import Text

__all__ = ["CaseCells", "case_table", "light_table", "plain"]

#: The columns of the wide layout: heading and the attribute of :class:`CaseCells`.
_WIDE = (
    ("case", "case"),
    ("status", "status"),
    ("state", "state"),
    ("customer", "customer"),
    ("id number", "id_number"),
    ("invoice", "invoice"),
    ("remaining", "remaining"),
    ("closed", "closed"),
)
#: What each column boundary costs in a light table (collapsed padding and the rule).
_GAP = 2


@frozen
class CaseCells:
    """One case as the tables show it, or why it could not be read (``error``, ``message``)."""

    case: str
    status: str = ""
    state: str = ""
    customer: str = ""
    id_number: str = ""
    invoice: str = ""
    remaining: str = ""
    closed: str = ""
    error: str = ""
    message: str = ""

    @classmethod
    def of(cls, case: Case) -> CaseCells:
        """The cells of a case (identity number masked, amount as ``2,000.00 SEK``)."""
        closed = case.closed
        closing = ""
        if closed is not None:
            closing = f"{day(closed.close_date)} {closed.reason or ''}".strip()
        return cls(
            case=case.id,
            status=str(case.status or ""),
            state=str(case.state or ""),
            customer=case.customer_name or "",
            id_number=masked(case.customer_id_number),
            invoice=(case.debt.invoice_number or "") if case.debt else "",
            remaining=money(case.total_remaining_transaction_amount, case.currency),
            closed=closing,
        )

    @classmethod
    def failed(cls, case_id: str, error: BaseException) -> CaseCells:
        """The cells of a case that could not be read: the error's type and message."""
        return cls(case=case_id, error=type(error).__name__, message=error_message(error))

    def wide(self) -> list[str]:
        """The cells of the wide layout, in column order."""
        if self.error:
            return [self.case, self.error, self.message, "", "", "", "", ""]
        return [getattr(self, name) for _, name in _WIDE]


def plain(value: str, style: str = "") -> Text:
    """A cell that is never read as rich markup."""
    from rich.text import Text

    return Text(value, style=style)


def light_table(title: str, **options: object) -> Table:
    """A table with a rule under the heading and no frame: the least width spent on lines."""
    from rich import box
    from rich.table import Table

    return Table(
        title=title,
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, 1),
        collapse_padding=True,
        **options,  # type: ignore[arg-type]
    )


def case_table(rows: Sequence[CaseCells], *, title: str, width: int) -> Table:
    """The table of ``rows`` for a console ``width`` columns wide (see the module)."""
    if _wide_width(rows) <= width:
        return _wide_table(rows, title)
    return _compact_table(rows, title)


def _wide_width(rows: Sequence[CaseCells]) -> int:
    from rich.cells import cell_len

    widths = [cell_len(heading) for heading, _ in _WIDE]
    for row in rows:
        widths = [
            max(width, cell_len(cell)) for width, cell in zip(widths, row.wide(), strict=True)
        ]
    return sum(widths) + _GAP * (len(widths) - 1)


def _wide_table(rows: Sequence[CaseCells], title: str) -> Table:
    table = light_table(title)
    for heading, _ in _WIDE:
        table.add_column(
            heading, no_wrap=True, justify="right" if heading == "remaining" else "left"
        )
    for row in rows:
        cells = [plain(cell) for cell in row.wide()]
        if row.error:
            cells[1] = plain(row.error, "red")
        table.add_row(*cells)
    return table


def _compact_table(rows: Sequence[CaseCells], title: str) -> Table:
    table = light_table(title)
    table.add_column("case / invoice", no_wrap=True, min_width=24)
    table.add_column("status / state", no_wrap=True)
    table.add_column("customer", overflow="fold", ratio=1, min_width=8)
    table.add_column("remaining", no_wrap=True, justify="right")
    for row in rows:
        if row.error:
            table.add_row(plain(row.case), plain(row.error, "red"), plain(row.message), plain(""))
            continue
        table.add_row(
            _lines(row.case, row.invoice),
            _lines(row.status, row.state, *row.closed.split(" ", 1)),
            _lines(row.customer, row.id_number),
            plain(row.remaining),
        )
    return table


def _lines(first: str, *more: str) -> Text:
    """``first``, then each of ``more`` that is not empty on a line of its own, dimmed."""
    text = plain(first)
    for line in more:
        if line:
            text.append("\n" + line, style="dim")
    return text
