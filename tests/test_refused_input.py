"""Input the API cannot take is refused by name before anything is sent.

Each story hands the client one bad value and checks two things: the typed
error names the field, and no request left the client (a catch-all respx
route that must stay uncalled).
"""

from __future__ import annotations

import copy
import gc
import io
import json
import time
import warnings
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import respx
from support import example, example_bytes

from amili_async import (
    AmiliClient,
    ConfigurationError,
    NewCreditorPayment,
    RequestValidationError,
)
from amili_async._serde import dumps
from amili_async._validation import MAX_QUERY_DEPTH

pytestmark = pytest.mark.anyio

CASE_ID = "68b7f49c7b02934caddab092"
PDF = b"%PDF-1.7\n" + bytes(range(256))
SURROGATE = "\ud800"


@pytest.fixture
def nothing_sent(api: respx.MockRouter) -> Iterator[respx.Route]:
    """A route that answers every request; the tests check it was never called."""
    route = api.route().respond(500)
    yield route
    assert not route.called, f"{route.call_count} request(s) sent for refused input"


def registration() -> dict[str, Any]:
    return example("01-case-registration.request.json")


def payment() -> dict[str, Any]:
    return example("04-creditor-payment.request.json")


def changed(document: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """``document`` with the value at the dotted ``path`` replaced (list indexes as digits)."""
    body = copy.deepcopy(document)
    *parents, last = path.split(".")
    target: Any = body
    for step in parents:
        target = target[int(step)] if isinstance(target, list) else target.setdefault(step, {})
    target[int(last) if isinstance(target, list) else last] = value
    return body


def short(value: object) -> str:
    """A test id: the value's ``repr``, cut short (``10**5000`` has none)."""
    try:
        return repr(value)[:30]
    except (ValueError, RecursionError):
        return f"<{type(value).__name__} too long or deep to show>"


async def refused(call: Awaitable[Any], field: str) -> RequestValidationError:
    with pytest.raises(RequestValidationError) as caught:
        await call
    assert field in caught.value.issues, caught.value.issues
    return caught.value


HUGE_OR_TINY = [
    Decimal("1E-1000030"),
    Decimal("1E+999999"),
    10**5000,
    Decimal("NaN"),
    Decimal("sNaN"),
    Decimal("Infinity"),
    Decimal("-Infinity"),
    Decimal("0.001"),
    Decimal(10) ** 12,
    1e308,
    "1E+999999",
]


@pytest.mark.parametrize("amount", HUGE_OR_TINY, ids=short)
async def test_amounts_beyond_sense_are_refused_quickly(
    nothing_sent: respx.Route, respx_client: AmiliClient, amount: Any
) -> None:
    started = time.perf_counter()
    body = changed(registration(), "debts.0.capital_to_claim", amount)
    await refused(respx_client.case_registrations.create(body), "debts.0.capital_to_claim")
    await refused(respx_client.creditor_payments.create(payment() | {"amount": amount}), "amount")
    fee = changed(registration(), "debts.0.fees_already_claimed.reminder", {"amount": amount})
    fee["debts"][0]["fees_already_claimed"]["reminder"]["fee_registration_date"] = (
        "Mon, 07 Jul 2025 00:00:00 GMT"
    )
    await refused(
        respx_client.case_registrations.create(fee), "debts.0.fees_already_claimed.reminder.amount"
    )
    assert time.perf_counter() - started < 1.0


def test_amounts_at_the_edges_pass() -> None:
    for amount in ("0.01", "1.10", "1.100", "999999999999.99", "2000"):
        base = payment() | {"bank_transaction_date": datetime(2025, 9, 3, tzinfo=UTC)}
        base = {k: v for k, v in base.items() if k != "amount"}
        assert NewCreditorPayment(**base, amount=Decimal(amount)).amount == Decimal(amount)


@pytest.mark.parametrize("days", [10**300, -1, 3651, Decimal("1E+5000"), 1e300, True], ids=short)
async def test_due_days_beyond_ten_years_are_refused(
    nothing_sent: respx.Route, respx_client: AmiliClient, days: Any
) -> None:
    body = changed(registration(), "debts.0.invoice_due_days_after_invoice_date", days)
    await refused(
        respx_client.case_registrations.create(body), "debts.0.invoice_due_days_after_invoice_date"
    )


MINUS_FIVE = timezone(timedelta(hours=-5))


@pytest.mark.parametrize(
    "when",
    [
        datetime(9999, 12, 31, tzinfo=UTC),
        datetime(9999, 12, 31, 23, tzinfo=MINUS_FIVE),  # past year 9999 once in UTC
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))),
        datetime(1899, 12, 31, 23, 59, 59, tzinfo=UTC),
        datetime(2101, 1, 1, tzinfo=UTC),
        datetime(2100, 12, 31, 22, tzinfo=MINUS_FIVE),
        "Fri, 31 Dec 9999 00:00:00 GMT",
        "Mon, 01 Jan 0001 00:00:00 GMT",
        datetime(2025, 7, 7),  # naive
    ],
    ids=str,
)
async def test_dates_the_api_cannot_hold_are_refused(
    nothing_sent: respx.Route, respx_client: AmiliClient, when: Any
) -> None:
    body = changed(registration(), "debts.0.invoice_date", when)
    await refused(respx_client.case_registrations.create(body), "debts.0.invoice_date")
    for field in ("bank_transaction_date", "client_registration_date"):
        await refused(respx_client.creditor_payments.create(payment() | {field: when}), field)


async def test_dates_at_the_edges_of_the_window_are_sent(
    api: respx.MockRouter, respx_client: AmiliClient
) -> None:
    route = api.post("/creditor--payments").respond(
        201, content=example_bytes("04-creditor-payment.response.json")
    )
    for when in (datetime(1900, 1, 1, tzinfo=UTC), datetime(2100, 12, 31, 23, 59, 59, tzinfo=UTC)):
        await respx_client.creditor_payments.create(payment() | {"client_registration_date": when})
    assert b"Fri, 31 Dec 2100 23:59:59 GMT" in route.calls.last.request.content
    assert route.call_count == 2


async def test_a_naive_client_registration_date_is_refused(
    nothing_sent: respx.Route, respx_client: AmiliClient
) -> None:
    naive = datetime(2025, 9, 3, 8)
    error = await refused(
        respx_client.creditor_payments.create(payment() | {"client_registration_date": naive}),
        "client_registration_date",
    )
    assert "aware" in error.issues["client_registration_date"]
    with pytest.raises(RequestValidationError) as caught:
        NewCreditorPayment(
            account="a",
            creditor="c",
            case=CASE_ID,
            amount=Decimal("10"),
            bank_transaction_date=datetime(2025, 9, 3, tzinfo=UTC),
            client_registration_date=naive,
        )
    assert set(caught.value.issues) == {"client_registration_date"}


async def test_a_fee_larger_than_the_capital_is_refused(
    nothing_sent: respx.Route, respx_client: AmiliClient
) -> None:
    body = changed(registration(), "debts.0.fees_included_in_capital_to_claim.invoice_fee", 2000.01)
    error = await refused(
        respx_client.case_registrations.create(body),
        "debts.0.fees_included_in_capital_to_claim.invoice_fee",
    )
    assert "capital_to_claim" in str(error)


REGISTRATION_STRINGS = [
    "account",
    "creditor",
    "currency",
    "first_action",
    "customer.name",
    "customer.id_number",
    "customer.mobile_number",
    "customer.email",
    "customer.address.address_line_1",
    "customer.address.zip_code",
    "customer.address.city",
    "customer.address.country",
    "debts.0.invoice_number",
    "debts.0.debt_description",
    "debts.0.invoice_date",
]
PAYMENT_STRINGS = [
    "account",
    "creditor",
    "case",
    "currency",
    "creditor_payment_reference",
    "origin",
    "bank_transaction_date",
]


@pytest.mark.parametrize("path", REGISTRATION_STRINGS)
async def test_a_lone_surrogate_in_any_registration_string_is_refused(
    nothing_sent: respx.Route, respx_client: AmiliClient, path: str
) -> None:
    for value in (SURROGATE, f"Storgatan {SURROGATE}42", "\udfff"):
        await refused(
            respx_client.case_registrations.create(changed(registration(), path, value)), path
        )


@pytest.mark.parametrize("path", PAYMENT_STRINGS)
async def test_a_lone_surrogate_in_any_payment_string_is_refused(
    nothing_sent: respx.Route, respx_client: AmiliClient, path: str
) -> None:
    await refused(respx_client.creditor_payments.create(changed(payment(), path, "a\udc80b")), path)


BAD_IDS = [
    "",
    ".",
    "..",
    "a/b",
    "../cases",
    "a?b=1",
    "a#b",
    "a%2Fb",
    " a",
    "a b",
    "a\r\nX: 1",
    "a\n",
    "\t",
    f"a{SURROGATE}",
    "ü",
    "x" * 129,
]


@pytest.mark.parametrize("bad_id", BAD_IDS, ids=short)
async def test_ids_that_would_change_the_url_are_refused_by_every_method(
    nothing_sent: respx.Route, respx_client: AmiliClient, tmp_path: Path, bad_id: str
) -> None:
    calls: list[tuple[Callable[[], Awaitable[Any]], str]] = [
        (lambda: respx_client.cases.get(bad_id), "id"),
        (lambda: respx_client.case_registrations.get(bad_id), "id"),
        (lambda: respx_client.creditor_payments.get(bad_id), "id"),
        (lambda: respx_client.cases.wait_for(bad_id, max_wait=1), "id"),
        (lambda: respx_client.media.upload(bad_id, PDF), "reference_id"),
    ]
    for call, field in calls:
        await refused(call(), field)
    async with respx_client.cases.get_many([bad_id]) as results:
        outcomes = [result async for result in results]
    assert isinstance(outcomes[0].error, RequestValidationError)


async def test_usual_ids_pass_the_check(api: respx.MockRouter, respx_client: AmiliClient) -> None:
    case = example("05-case.closed.response.json")
    for good in (CASE_ID, "cust_123456789", "payout-spec.2025~1"):
        api.get(f"/cases/{good}").respond(200, json=case)
        await respx_client.cases.get(good)


async def test_media_types_the_api_does_not_take_are_refused(
    nothing_sent: respx.Route, respx_client: AmiliClient, tmp_path: Path
) -> None:
    for content_type in (
        "text/plain",
        "application/zip",
        "image/webp",
        "application/pdf\r\nX: 1",
        "",
    ):
        await refused(
            respx_client.media.upload(CASE_ID, PDF, content_type=content_type), "content_type"
        )
    notes = tmp_path / "notes.txt"
    notes.write_text("not an invoice")
    error = await refused(respx_client.media.upload(CASE_ID, notes), "content_type")
    assert "text/plain" in error.issues["content_type"]
    await refused(
        respx_client.media.upload(CASE_ID, PDF, filename="a\r\nContent-Type: text/html"), "filename"
    )
    await refused(respx_client.media.upload(CASE_ID, PDF, filename=f"{SURROGATE}.pdf"), "filename")
    await refused(respx_client.media.upload(CASE_ID, PDF, domain=f"cases{SURROGATE}"), "domain")


async def test_accepted_media_types_are_sent_under_their_api_names(
    api: respx.MockRouter, respx_client: AmiliClient, tmp_path: Path
) -> None:
    route = api.post(f"/media--upload/{CASE_ID}").respond(
        201, content=example_bytes("02-media-upload.response.json")
    )
    await respx_client.media.upload(CASE_ID, b"\xff\xd8\xff\xe0", content_type="image/JPG")
    assert b"Content-Type: image/jpeg" in route.calls.last.request.content
    scan = tmp_path / "scan.txt"  # a misleading name; the bytes say PDF
    scan.write_bytes(PDF)
    await respx_client.media.upload(CASE_ID, scan, content_type="application/pdf; version=1.7")
    assert b"Content-Type: application/pdf" in route.calls.last.request.content


async def test_a_text_mode_file_is_refused(
    nothing_sent: respx.Route, respx_client: AmiliClient, tmp_path: Path
) -> None:
    invoice = tmp_path / "invoice.pdf"
    invoice.write_bytes(PDF)
    with invoice.open("r", encoding="latin-1") as text:
        error = await refused(respx_client.media.upload(CASE_ID, text), "file")  # type: ignore[arg-type]
    assert "'rb'" in error.issues["file"]
    await refused(respx_client.media.upload(CASE_ID, io.StringIO("%PDF")), "file")  # type: ignore[arg-type]
    closed = invoice.open("rb")
    closed.close()
    await refused(respx_client.media.upload(CASE_ID, closed), "file")
    with invoice.open("ab") as write_only:
        await refused(respx_client.media.upload(CASE_ID, write_only), "file")  # type: ignore[arg-type]


def nested(depth: int) -> dict[str, Any]:
    """A filter ``depth`` objects deep."""
    where: dict[str, Any] = {"status": "closed"}
    for _ in range(depth - 1):
        where = {"$not": where}
    return where


@pytest.mark.parametrize(
    "where",
    [
        nested(5000),
        "[" * 5000 + "]" * 5000,
        '{"a":' * 3000 + "1" + "}" * 3000,
        nested(MAX_QUERY_DEPTH + 1),
        {"debts.invoice_number": {"$in": [f"INV-{n:06d}" for n in range(2000)]}},
        "[" + "1," * 10_000 + "1]",
        {"amount": Decimal("1E+999999999")},
        {"amount": float("nan")},
        {"name": SURROGATE},
        {SURROGATE: 1},
        '{"name": "' + SURROGATE + '"}',
        {"when": datetime(2025, 1, 1)},
        {"what": object()},
        "[1, 2]",
    ],
    ids=short,
)
async def test_where_too_deep_too_large_or_unsendable_is_refused(
    nothing_sent: respx.Route, respx_client: AmiliClient, where: Any
) -> None:
    started = time.perf_counter()
    with pytest.raises(RequestValidationError) as caught:
        respx_client.cases.list(where=where)
    assert "where" in caught.value.issues
    assert time.perf_counter() - started < 1.0


async def test_a_where_nested_to_the_limit_is_sent(
    api: respx.MockRouter, respx_client: AmiliClient
) -> None:
    route = api.get("/cases").respond(200, json={"_items": []})
    await respx_client.cases.list(where=nested(MAX_QUERY_DEPTH)).collect()
    await respx_client.cases.list(where=json.dumps(nested(MAX_QUERY_DEPTH))).collect()
    assert route.call_count == 2


async def test_unsendable_sort_and_projection_are_refused(
    nothing_sent: respx.Route, respx_client: AmiliClient
) -> None:
    for sort in (f"-{SURROGATE}", "-_created\r\nX: 1", "a" * 9000):
        with pytest.raises(RequestValidationError, match="sort"):
            respx_client.cases.list(sort=sort)
    with pytest.raises(RequestValidationError, match="projection"):
        await respx_client.cases.get(CASE_ID, projection={SURROGATE: 1})


@pytest.mark.parametrize(
    "key", ["", "   ", "\n", "sk_live_ABC\n", " sk_live_ABC", "sk_livé", "sk\x00ABC", 123, b"k"]
)
def test_an_unusable_api_key_is_a_configuration_error_that_hides_it(key: Any) -> None:
    with pytest.raises(ConfigurationError) as caught:
        AmiliClient(api_key=key)
    if isinstance(key, str) and key.strip():
        assert key.strip() not in str(caught.value)


async def test_leaving_a_list_early_leaves_nothing_to_finalise(
    api: respx.MockRouter, respx_client: AmiliClient
) -> None:
    case = example("05-case.closed.response.json")
    api.get("/cases").respond(200, json={"_items": [case, case | {"_id": "b" * 24}]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async for _ in respx_client.cases.list():
            break
        pages = respx_client.cases.list().pages()
        async for _ in pages:
            break
        del pages
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


@pytest.mark.parametrize("number", [Decimal("1E+999999"), Decimal("1E-1000030")], ids=short)
def test_the_encoder_refuses_to_write_a_number_millions_of_digits_long(number: Decimal) -> None:
    started = time.perf_counter()
    with pytest.raises(ValueError, match="this long"):
        dumps({"amount": number})
    assert time.perf_counter() - started < 0.5
    assert dumps({"amount": Decimal("1E+20")}) == b'{"amount":100000000000000000000}'
