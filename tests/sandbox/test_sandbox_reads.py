"""The read resources and the Partner API's creditor writes, through the SDK, on the sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from sandbox_support import client as raw_client
from sandbox_support import debt, payment, registration

from amili_async import (
    AmiliClient,
    ConflictError,
    Creditor,
    FinanceCategory,
    NewCreditor,
    NotFoundError,
    PermissionDeniedError,
    RequestValidationError,
    UnprocessableEntityError,
)
from amili_async.sandbox.pytest_plugin import SandboxFixture

pytestmark = pytest.mark.anyio

INACTIVE_CREDITOR = "674dbeb208847b9501cc9139"
ADDRESS = {"address_line_1": "Kungsgatan 1", "zip_code": "111 43", "city": "Stockholm"}


@pytest.fixture
async def client(amili_sandbox: SandboxFixture) -> AsyncIterator[AmiliClient]:
    async with amili_sandbox.client as opened:
        yield opened


def customer_with(id_number: str, name: str = "ACME AB", **more: object) -> dict[str, object]:
    """A registration for this customer; its invoice number is the customer's own, since the
    sandbox (like Eve's ``unique`` rule) keeps invoice numbers unique per creditor."""
    body = registration()
    customer = dict(body["customer"])
    customer.update(id_number=id_number, name=name, **more)
    return {**body, "customer": customer, "debts": [debt(f"INV-{id_number}")]}


# --- customers ---------------------------------------------------------------------------------


async def test_registrations_create_one_customer_per_compacted_id_number(
    client: AmiliClient,
) -> None:
    first = await client.case_registrations.create(customer_with("556026-9986"))
    second = await client.case_registrations.create(
        {**customer_with("5560269986", name="ACME Renamed AB"), "debts": [debt("INV-2")]}
    )
    customers = await client.customers.list().collect()
    assert len(customers) == 1
    customer = customers[0]
    assert (customer.name, customer.id_number, customer.is_person) == (
        "ACME AB",
        "5560269986",
        False,
    )
    assert customer.is_active is True
    assert customer.address is not None
    assert customer.address.country == "SE"
    cases = [await client.cases.get(first.cases[0]), await client.cases.get(second.cases[0])]
    assert {case.customer for case in cases} == {customer.id}
    assert "9986" not in repr(customer)
    assert (await client.customers.get(customer.id)) == customer


async def test_customers_are_searchable_by_id_number_name_and_email(client: AmiliClient) -> None:
    await client.case_registrations.create(customer_with("5560269986", email="ab@acme.se"))
    await client.case_registrations.create(
        customer_with("8112189876", name="Anna Andersson", is_company=False)
    )
    by_number = await client.customers.list(where={"id_number": "8112189876"}).collect()
    by_name = await client.customers.list(where={"name": "ACME AB"}).collect()
    by_email = await client.customers.list(where={"email": "ab@acme.se"}).collect()
    assert [c.name for c in by_number] == ["Anna Andersson"]
    assert [c.id_number for c in by_name] == ["5560269986"]
    assert by_email == by_name
    projected = await client.customers.get(by_name[0].id, projection={"name": 1})
    assert (projected.name, projected.email) == ("ACME AB", None)


# --- accounts ----------------------------------------------------------------------------------


async def test_the_account_reads_itself_only(amili_sandbox: SandboxFixture) -> None:
    other = amili_sandbox.sandbox.add_account(name="Other AB")
    async with amili_sandbox.client as client:
        accounts = await client.accounts.list().collect()
        assert [account.id for account in accounts] == [amili_sandbox.sandbox.account_id]
        account = await client.accounts.get(accounts[0].id)
        assert account.agreement_template is not None
        assert account.case_settings is not None
        with pytest.raises(PermissionDeniedError):
            await client.accounts.get(other.id)


# --- creditors: reads and the inactive creditor ------------------------------------------------


async def test_one_active_and_one_inactive_creditor_are_seeded(
    client: AmiliClient, amili_sandbox: SandboxFixture
) -> None:
    creditors = await client.creditors.list(sort="creditor_number").collect()
    assert [(c.id, c.is_active) for c in creditors] == [
        (amili_sandbox.sandbox.creditor_id, True),
        (INACTIVE_CREDITOR, False),
    ]
    active = creditors[0]
    assert active.creditor_number == 2000037
    assert active.payout_details == {"sek": {"bankgiro": "12312312"}}
    assert active.case_config is not None
    assert active.case_config.vat_area == "sweden"
    inactive = await client.creditors.list(where={"is_active": False}).collect()
    assert [c.id for c in inactive] == [INACTIVE_CREDITOR]


async def test_an_inactive_creditor_takes_no_registrations(
    client: AmiliClient, amili_sandbox: SandboxFixture
) -> None:
    added = amili_sandbox.sandbox.add_creditor("Dormant AB", active=False)
    for creditor_id in (amili_sandbox.sandbox.inactive_creditor_id, added.id):
        with pytest.raises(UnprocessableEntityError) as refused:
            await client.case_registrations.create(registration(creditor=creditor_id))
        assert "inactive" in refused.value.issues["creditor"][0]
    assert await client.cases.list().collect() == []


# --- creditors: create, update, delete ---------------------------------------------------------


def new_creditor(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "account": "674dbeaf08847b9501cc9132",
        "name": "New Creditor AB",
        "organization_no": "556026-9986",
        "is_active": True,
        "standard_debt_description": "Consulting",
        "sender_address": ADDRESS,
        "invoice_address": ADDRESS,
        "payout_details": {"sek": {"bankgiro": "5555-5555"}},
    }
    body.update(changes)
    return body


async def test_create_then_read_a_creditor(client: AmiliClient) -> None:
    created = await client.creditors.create(new_creditor())
    assert created.etag is not None
    assert created.name is None
    creditor = await client.creditors.get(created.id)
    assert (creditor.name, creditor.is_active, creditor.creditor_number) == (
        "New Creditor AB",
        True,
        2000039,
    )
    assert creditor.added_to_erp_system is False
    assert creditor.sender_address is not None
    assert creditor.sender_address.city == "Stockholm"
    registered = await client.case_registrations.create(registration(creditor=creditor.id))
    assert (await client.cases.get(registered.cases[0])).creditor_name == "New Creditor AB"


async def test_create_is_checked_before_sending(
    client: AmiliClient, amili_sandbox: SandboxFixture
) -> None:
    with pytest.raises(RequestValidationError) as refused:
        await client.creditors.create(new_creditor(sender_address=None, organization_no="123"))
    assert set(refused.value.issues) == {"sender_address", "organization_no"}
    with pytest.raises(RequestValidationError):
        NewCreditor(account="", name="X")
    assert amili_sandbox.sandbox.request_log == []


async def test_the_server_refuses_what_the_sdk_sends_through(client: AmiliClient) -> None:
    inactive = await client.creditors.create(new_creditor(is_active=False, payout_details=None))
    creditor = await client.creditors.get(inactive.id)
    with pytest.raises(UnprocessableEntityError) as refused:
        await client.creditors.update(creditor, {"is_active": True, "nickname": "x"})
    assert refused.value.issues == {
        "nickname": ("unknown field",),
        "payout_details": ("required when is_active is true",),
    }


async def test_update_with_the_creditor_as_read_then_a_stale_copy_conflicts(
    client: AmiliClient, amili_sandbox: SandboxFixture
) -> None:
    creditor_id = amili_sandbox.sandbox.creditor_id
    read = await client.creditors.get(creditor_id)
    answer = await client.creditors.update(read, {"name": "Renamed AB"})
    assert answer.id == creditor_id
    assert answer.etag is not None
    assert answer.etag != read.etag
    assert (await client.creditors.get(creditor_id)).name == "Renamed AB"

    with pytest.raises(ConflictError) as stale:
        await client.creditors.update(read, {"name": "Again AB"})
    assert stale.value.status_code == 412
    assert "changed since it was read" in str(stale.value)

    again = await client.creditors.update(creditor_id, {"name": "Again AB"}, etag=answer.etag)
    assert again.etag != answer.etag
    assert (await client.creditors.get(creditor_id)).name == "Again AB"


async def test_update_without_an_etag_is_a_428_conflict(
    client: AmiliClient, amili_sandbox: SandboxFixture
) -> None:
    with pytest.raises(ConflictError) as missing:
        await client.creditors.update(amili_sandbox.sandbox.creditor_id, {"name": "X AB"})
    assert missing.value.status_code == 428
    assert "ETag is missing" in str(missing.value)
    assert "If-Match" in missing.value.message


async def test_update_merges_nested_objects_and_takes_a_weak_etag(
    client: AmiliClient, amili_sandbox: SandboxFixture
) -> None:
    read = await client.creditors.get(amili_sandbox.sandbox.creditor_id)
    await client.creditors.update(
        read.id, {"case_config": {"commission_excluded_vat": True}}, etag=f'W/"{read.etag}"'
    )
    config = (await client.creditors.get(read.id)).case_config
    assert config is not None
    assert (config.vat_area, config.commission_excluded_vat) == ("sweden", True)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"creditor_number": 1}, "creditor_number"),
        ({"partner": "618a851643314ff68dcb8895"}, "partner"),
        ({"added_to_erp_system": True}, "added_to_erp_system"),
        ({"account": "674dbeaf08847b9501cc9132"}, "account"),
        ({"agreement_template": "665d9246f611f5df88245746"}, "agreement_template"),
        ({"_etag": "x"}, "_etag"),
        ({"sender_address": {"city": 5}}, "sender_address.city"),
    ],
)
async def test_update_refuses_locked_fields_before_sending(
    client: AmiliClient, amili_sandbox: SandboxFixture, changes: dict[str, object], field: str
) -> None:
    read = await client.creditors.get(amili_sandbox.sandbox.creditor_id)
    sent = len(amili_sandbox.sandbox.request_log)
    with pytest.raises(RequestValidationError) as refused:
        await client.creditors.update(read, changes)
    assert field in refused.value.issues
    assert len(amili_sandbox.sandbox.request_log) == sent


async def test_the_sandbox_refuses_a_read_only_change_with_eves_message(
    amili_sandbox: SandboxFixture,
) -> None:
    async with raw_client(amili_sandbox.sandbox) as raw:
        url = f"/creditors/{amili_sandbox.sandbox.creditor_id}"
        etag = (await raw.get(url)).headers["etag"]
        same = await raw.patch(url, json={"creditor_number": 2000037}, headers={"If-Match": etag})
        other = await raw.patch(url, json={"account": "0" * 24}, headers={"If-Match": etag})
    assert same.status_code == 200  # Eve lets a read-only field through unchanged
    assert other.json() == {"_issues": {"account": "field is read-only"}, "_status": "ERR"}


async def test_a_lost_update_answer_is_reconciled_not_resent(
    client: AmiliClient, amili_sandbox: SandboxFixture
) -> None:
    read = await client.creditors.get(amili_sandbox.sandbox.creditor_id)
    amili_sandbox.faults.drop_after_commit(method="PATCH", path="/creditors/*", times=1)
    answer = await client.creditors.update(read, {"name": "Landed AB"})
    assert answer.name == "Landed AB"  # what the read-back found
    patches = [r for r in amili_sandbox.sandbox.request_log if r.method == "PATCH"]
    assert len(patches) == 1


async def test_a_dropped_update_is_sent_again_under_the_same_etag(
    client: AmiliClient, amili_sandbox: SandboxFixture
) -> None:
    read = await client.creditors.get(amili_sandbox.sandbox.creditor_id)
    amili_sandbox.faults.error(502, method="PATCH", path="/creditors/*", times=1)
    await client.creditors.update(read, {"name": "Second Try AB"})
    assert (await client.creditors.get(read.id)).name == "Second Try AB"


async def test_delete_needs_the_etag_and_a_gone_creditor_deletes_fine(
    client: AmiliClient,
) -> None:
    created = await client.creditors.create(new_creditor())
    with pytest.raises(ConflictError) as missing:
        await client.creditors.delete(created.id)
    assert missing.value.status_code == 428
    await client.creditors.delete(created)
    with pytest.raises(NotFoundError):
        await client.creditors.get(created.id)
    await client.creditors.delete(created)  # 204 for an id that is gone
    with pytest.raises(UnprocessableEntityError) as refused:
        await client.case_registrations.create(registration(creditor=created.id))
    assert "creditor" in refused.value.issues


async def test_creditor_ids_and_etags_are_checked(client: AmiliClient) -> None:
    with pytest.raises(RequestValidationError):
        await client.creditors.update("a/b", {"name": "X"}, etag="x")
    with pytest.raises(RequestValidationError):
        await client.creditors.delete(Creditor(id="674dbeb208847b9501cc9138"), etag='""')


# --- finance -----------------------------------------------------------------------------------


async def test_payouts_appear_as_payments_settle_and_reconcile_with_their_lines(
    client: AmiliClient, amili_sandbox: SandboxFixture
) -> None:
    registered = await client.case_registrations.create(
        registration(debts=[debt("INV-1"), debt("INV-2", capital=1000.0)])
    )
    first, second = registered.cases
    amili_sandbox.advance(hours=2)  # into debt collection; 14.0 and 7.0 interest booked
    await client.creditor_payments.create(payment(first, 500))  # capital only
    await client.creditor_payments.create(payment(second, 1007))  # capital, then interest

    payouts = await client.finance_payouts.list(sort="finance_category").collect()
    assert {p.finance_category for p in payouts} == {
        FinanceCategory.CAPITAL,
        FinanceCategory.INTEREST,
        FinanceCategory.CREDITOR_COMMISSION,
    }
    by_category = {p.finance_category: p for p in payouts}
    assert by_category[FinanceCategory.CAPITAL].amount == Decimal(1500)
    assert by_category[FinanceCategory.INTEREST].amount == Decimal(7)
    commission = by_category[FinanceCategory.CREDITOR_COMMISSION]
    assert (commission.amount, commission.vat_amount, commission.total_amount) == (
        Decimal(75),
        Decimal("18.75"),
        Decimal("93.75"),
    )
    for payout in payouts:
        lines = await client.finance_payout_specifications.list(payout=payout.id).collect()
        assert lines
        assert {line.payout for line in lines} == {payout.id}
        assert sum(line.amount or 0 for line in lines) == payout.amount
        assert sum(line.total_amount or 0 for line in lines) == payout.total_amount
        assert {line.payout_date for line in lines} == {payout.payout_date}
    capital_lines = await client.finance_payout_specifications.list(
        payout=by_category[FinanceCategory.CAPITAL].id, where={"case": second}
    ).collect()
    assert [(line.invoice_number, line.amount) for line in capital_lines] == [
        ("INV-2", Decimal(1000))
    ]


async def test_a_payout_is_paid_on_its_payout_date(
    client: AmiliClient, amili_sandbox: SandboxFixture
) -> None:
    registered = await client.case_registrations.create(registration())
    await client.creditor_payments.create(payment(registered.cases[0], 100))
    (payout,) = await client.finance_payouts.list().collect()
    assert payout.payout_status == "pending"
    assert payout.payout_date is not None
    assert payout.payout_date.weekday() == 4
    amili_sandbox.sandbox.clock.advance(0, days=9)
    assert (await client.finance_payouts.get(payout.id)).payout_status == "paid"
    paid = await client.finance_payouts.list(where={"payout_status": "paid"}).collect()
    assert [p.id for p in paid] == [payout.id]


async def test_no_commission_before_collection_starts(client: AmiliClient) -> None:
    registered = await client.case_registrations.create(registration())
    await client.creditor_payments.create(payment(registered.cases[0], 100))
    categories = {p.finance_category async for p in client.finance_payouts.list()}
    assert categories == {FinanceCategory.CAPITAL}


async def test_payout_filter_combines_with_where_and_is_checked(client: AmiliClient) -> None:
    with pytest.raises(RequestValidationError):
        client.finance_payout_specifications.list(payout="a", where={"payout": "b"})
    with pytest.raises(RequestValidationError):
        client.finance_payout_specifications.list(payout="a", where="[1]")
    with pytest.raises(RequestValidationError):
        client.finance_payout_specifications.list(payout=" ")
    assert (
        await client.finance_payout_specifications.list(
            payout="0123456789abcdef01234567", where='{"finance_category": "capital"}'
        ).collect()
        == []
    )
