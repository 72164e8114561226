"""Grouping ``register``'s rows into registrations: one per customer, account and creditor.

The rows of one customer need not be next to each other, yet the file is
never held in memory: it is read twice, streaming both times. The first pass
(:func:`first_pass`) keeps, per customer, only the line number of their last row;
the second (:func:`groups`) collects each customer's rows and yields the
registration as soon as their last row is read.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, TypeAlias

from attrs import define, field, frozen

from amili_async import compact_id_number

from ._columns import column, registration
from ._rows import RowError, read_rows

__all__ = ["Group", "Plan", "Source", "first_pass", "groups"]

#: Account, creditor and compact id number: the rows that share it are one registration.
_Key: TypeAlias = tuple[str, str, str]


@frozen
class Source:
    """The file to read, and the account and creditor of rows that name none."""

    path: Path
    file_format: str
    account: str | None
    creditor: str | None

    def key(self, row: Mapping[str, Any], line: int) -> _Key:
        """The registration a row belongs to."""
        account = str(column(row, "account") or self.account or "")
        creditor = str(column(row, "creditor") or self.creditor or "")
        compact = compact_id_number(str(column(row, "customer_id_number") or ""))
        if not compact:
            return account, creditor, f"#line{line}"  # a group of its own, refused later
        return account, creditor, compact


@define
class Plan:
    """What the first pass learned: each customer's last line, and the rows with no scope."""

    last_line: dict[_Key, int] = field(factory=dict)
    unscoped: int = 0

    @property
    def registrations(self) -> int:
        """How many registrations the second pass will yield."""
        return len(self.last_line)


@define
class Group:
    """One customer's registration and the line numbers of its rows, in file order."""

    lines: tuple[int, ...]
    registration: dict[str, Any]


def first_pass(source: Source) -> Plan:
    """First pass: note each customer's last line, and count rows without account or creditor."""
    result = Plan()
    for line, row in read_rows(source.path, source.file_format):
        if isinstance(row, RowError):
            continue
        key = source.key(row, line)
        result.last_line[key] = line
        if not key[0] or not key[1]:
            result.unscoped += 1
    return result


def groups(source: Source, plan: Plan, unreadable: list[RowError]) -> Iterator[Group]:
    """Second pass: yield each customer's registration as soon as their last row is read.

    Rows that cannot be read are appended to ``unreadable`` as they are met.
    """
    open_groups: dict[_Key, list[tuple[int, dict[str, Any]]]] = {}
    for line, row in read_rows(source.path, source.file_format):
        if isinstance(row, RowError):
            unreadable.append(row)
            continue
        key = source.key(row, line)
        rows = open_groups.setdefault(key, [])
        rows.append((line, row))
        if plan.last_line.get(key) == line:
            del open_groups[key]
            yield _group(source, rows)
    for rows in open_groups.values():  # the file changed between the passes
        yield _group(source, rows)


def _group(source: Source, rows: list[tuple[int, dict[str, Any]]]) -> Group:
    return Group(
        tuple(number for number, _ in rows),
        registration([data for _, data in rows], source.account, source.creditor),
    )
