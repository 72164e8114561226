"""One poisoned item of a hundred: it fails alone, the other 99 are registered, nothing escapes.

Each poison slips past validation in its own way (a model built without its
checks, an input that raises what nobody expects, an answer that cannot be
read), so that these tests keep hunting for the catch-all even as the request
models learn to refuse more.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
from bulk_support import cases_per_invoice, registration, run_job, tally

from amili_async import (
    AmiliClient,
    NewCaseRegistration,
    OutcomeStatus,
    PreviouslyFailedError,
    RegistrationOutcome,
    ResponseValidationError,
)
from amili_async.models._base import parse_request
from amili_async.sandbox import Sandbox
from amili_async.sandbox.pytest_plugin import SandboxFixture

pytestmark = pytest.mark.anyio

POISONED = 37
#: The invoice number of the poisoned item (``registration(sandbox, POISONED)``'s debt).
MARKER = f"INV-{POISONED:06d}-0"


def unchecked(instance: Any, **changes: Any) -> Any:
    """A copy of an attrs model with ``changes``, bypassing its validation (as a bug might)."""
    copy = object.__new__(type(instance))
    for field in attrs.fields(type(instance)):
        object.__setattr__(copy, field.name, changes.get(field.name, getattr(instance, field.name)))
    return copy


def model(sandbox: Sandbox) -> NewCaseRegistration:
    return parse_request(NewCaseRegistration, registration(sandbox, POISONED))


def surrogate_in_a_model(sandbox: Sandbox) -> Any:
    good = model(sandbox)
    return unchecked(good, customer=unchecked(good.customer, name="Anna \ud800"))


def surrogate_in_a_mapping(sandbox: Sandbox) -> Any:
    item = registration(sandbox, POISONED)
    item["customer"]["name"] = "Anna \udcff"
    return item


def huge_days_in_a_model(sandbox: Sandbox) -> Any:
    good = model(sandbox)
    debt = unchecked(good.debts[0], invoice_due_days_after_invoice_date=10**5000)
    return unchecked(good, debts=(debt,))


def infinite_days_in_a_mapping(sandbox: Sandbox) -> Any:
    item = registration(sandbox, POISONED)
    item["debts"][0]["invoice_due_days_after_invoice_date"] = 1e5000
    return item


def surrogate_in_an_invoice_number(sandbox: Sandbox) -> Any:
    good = model(sandbox)
    return unchecked(good, debts=(unchecked(good.debts[0], invoice_number="INV-\udc80"),))


class Exploding(Mapping[str, Any]):
    """A mapping that raises ``OverflowError`` when read, as a lazy row source might."""

    def __init__(self, inner: dict[str, Any]) -> None:
        self._inner = inner

    def __getitem__(self, key: str) -> Any:
        if key == "debts":
            raise OverflowError("int too large to convert to float")
        return self._inner[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._inner)

    def __len__(self) -> int:
        return len(self._inner)


def overflow_when_read(sandbox: Sandbox) -> Any:
    return Exploding(registration(sandbox, POISONED))


def unreadable_answers(sandbox: Sandbox) -> Any:
    return registration(sandbox, POISONED)  # the transport spoils what the API answers about it


POISONS: dict[str, Callable[[Sandbox], Any]] = {
    "surrogate in a model": surrogate_in_a_model,
    "surrogate in a mapping": surrogate_in_a_mapping,
    "10**5000 days in a model": huge_days_in_a_model,
    "1e5000 days in a mapping": infinite_days_in_a_mapping,
    "surrogate in an invoice number": surrogate_in_an_invoice_number,
    "OverflowError when read": overflow_when_read,
    "unreadable answers": unreadable_answers,
}


class SpoilingTransport(httpx.AsyncBaseTransport):
    """Passes requests on, but answers anything about ``MARKER`` with unreadable bodies."""

    def __init__(self, inner: httpx.AsyncBaseTransport, *, spoil: bool) -> None:
        self.inner = inner
        self.spoil = spoil

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        about_marker = MARKER in request.content.decode() or MARKER in str(request.url)
        if not (self.spoil and about_marker):
            return response
        await response.aread()
        body = b"<html>gateway says hello" if request.method == "POST" else b'{"_items": 7'
        return httpx.Response(response.status_code, content=body, request=request)


def items_with(sandbox: Sandbox, poison: str) -> list[Any]:
    items: list[Any] = [registration(sandbox, n) for n in range(100)]
    items[POISONED] = POISONS[poison](sandbox)
    return items


def make_client(amili_sandbox: SandboxFixture, *, spoil: bool) -> AmiliClient:
    transport = SpoilingTransport(amili_sandbox.sandbox.transport(), spoil=spoil)
    return amili_sandbox.make_client(transport=transport, seed=3)


async def run(client: AmiliClient, items: list[Any], **options: Any) -> list[RegistrationOutcome]:
    async with client:
        return await run_job(client, items, **options)


@pytest.mark.parametrize("poison", list(POISONS))
async def test_one_poisoned_item_fails_alone(amili_sandbox: SandboxFixture, poison: str) -> None:
    sandbox = amili_sandbox.sandbox
    client = make_client(amili_sandbox, spoil=poison == "unreadable answers")

    outcomes = await run(client, items_with(sandbox, poison), concurrency=8)

    assert sorted(outcome.index for outcome in outcomes) == list(range(100))
    assert tally(outcomes) == {"created": 99, "failed": 1}
    [failed] = [outcome for outcome in outcomes if not outcome.ok]
    assert failed.index == POISONED
    assert isinstance(failed.error, Exception)
    if poison == "unreadable answers":
        assert isinstance(failed.error, ResponseValidationError)
    stored = cases_per_invoice(sandbox)
    assert set(stored.values()) == {1}
    assert len(stored) == 99 + (poison == "unreadable answers")  # that one did land


@pytest.mark.parametrize("poison", list(POISONS))
async def test_a_rerun_with_the_journal_does_not_stop_at_the_poisoned_item(
    amili_sandbox: SandboxFixture, tmp_path: Path, poison: str
) -> None:
    sandbox = amili_sandbox.sandbox
    items = items_with(sandbox, poison)
    journal = tmp_path / "job.sqlite"
    spoil = poison == "unreadable answers"
    first = await run(make_client(amili_sandbox, spoil=spoil), items, journal=journal)
    assert tally(first) == {"created": 99, "failed": 1}

    second = await run(make_client(amili_sandbox, spoil=spoil), items, journal=journal)
    assert tally(second) == {"journal": 99, "failed": 1}
    [failed] = [outcome for outcome in second if not outcome.ok]
    if failed.key is not None:  # it was read, so the journal recorded its failure
        assert isinstance(failed.error, PreviouslyFailedError)

    # Retried on request (the server now answers readably): found, or failing alone again.
    third = await run(
        make_client(amili_sandbox, spoil=False), items, journal=journal, retry_failed=True
    )
    counts = tally(third)
    assert counts["journal"] == 99
    if spoil:
        assert counts["already_registered"] == 1  # the earlier send landed: looked up, not resent
    else:
        assert counts["failed"] == 1
    assert set(cases_per_invoice(sandbox).values()) == {1}
    assert all(outcome.status is not OutcomeStatus.CREATED for outcome in third)
