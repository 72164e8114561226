"""A user's own test suite picks up the ``amili_sandbox`` fixture from the installed plugin."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

USER_TESTS = """
import pytest

REGISTRATION = {
    "account": "674dbeaf08847b9501cc9132",
    "creditor": "674dbeb208847b9501cc9138",
    "customer": {
        "name": "ACME Inc.",
        "id_number": "5560269986",
        "is_company": True,
        "address": {"address_line_1": "Storgatan 42", "zip_code": "12345", "city": "Stockholm"},
    },
    "debts": [
        {
            "invoice_number": "INV-1",
            "debt_description": "Services",
            "invoice_date": "Mon, 07 Jul 2025 00:00:00 GMT",
            "capital_to_claim": 2000,
            "invoice_due_days_after_invoice_date": 31,
        }
    ],
}


@pytest.mark.asyncio
async def test_with_pytest_asyncio(amili_sandbox):
    registration = await amili_sandbox.client.case_registrations.create(REGISTRATION)
    amili_sandbox.advance(hours=2)
    case = await amili_sandbox.client.cases.get(registration.cases[0])
    assert case.status == "debt_collection"


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["trio"])
async def test_with_anyio_on_trio(amili_sandbox, anyio_backend):
    amili_sandbox.faults.error(503, retry_after=1, times=2)
    registration = await amili_sandbox.client.case_registrations.create(REGISTRATION)
    assert len(amili_sandbox.sandbox.registrations()) == 1
    assert registration.cases
"""


def test_fixture_works_in_a_users_suite(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=2)
