"""Credentials: the static key, issued tokens on the sandbox clock, and accounts kept apart."""

from __future__ import annotations

import pytest
from sandbox_support import client, payment, register, registration

from amili_async._serde import parse_http_date
from amili_async.sandbox import Sandbox

pytestmark = pytest.mark.anyio

UNAUTHORIZED = {
    "_status": "ERR",
    "_error": {"code": 401, "message": "Please provide proper credentials"},
}


async def test_missing_wrong_and_expired_credentials(sandbox: Sandbox) -> None:
    async with client(sandbox, key="") as http:
        response = await http.get("/cases")
        assert (response.status_code, response.json()) == (401, UNAUTHORIZED)
    async with client(sandbox, key="sbx_key_wrong") as http:
        assert (await http.post("/case--registrations", json=registration())).status_code == 401
    token, expires = sandbox.issue_token(600)
    assert (expires - sandbox.now).total_seconds() == 600
    async with client(sandbox, key=token) as http:
        assert (await http.get("/cases")).status_code == 200
        sandbox.advance(seconds=599)
        assert (await http.get("/cases")).status_code == 200
        sandbox.advance(seconds=1)
        response = await http.get("/cases")
        assert (response.status_code, response.json()) == (401, UNAUTHORIZED)
    assert sandbox.request_log[-1].status == 401


async def test_header_name_is_case_insensitive(sandbox: Sandbox) -> None:
    async with client(sandbox, key="") as http:
        for name in ("X-API-Key", "x-api-key", "X-Api-Key"):
            response = await http.get("/cases", headers={name: sandbox.api_key})
            assert response.status_code == 200


async def test_tokens_control_endpoint(sandbox: Sandbox) -> None:
    async with client(sandbox) as http:
        issued = await http.post("/_sandbox/tokens", json={"lifetime": 60})
        assert issued.status_code == 201
        token, expires = issued.json()["token"], parse_http_date(issued.json()["expires"])
        assert (expires - sandbox.now).total_seconds() == 60
        assert (await http.post("/_sandbox/tokens", json={"lifetime": -1})).status_code == 400
    async with client(sandbox, key=token) as http:
        assert (await http.get("/cases")).status_code == 200
        refused = await http.post("/_sandbox/tokens", json={"lifetime": 60})
        assert refused.status_code == 403
        sandbox.advance(seconds=61)
        assert (await http.get("/cases")).status_code == 401
    async with client(sandbox, key="") as http:
        assert (await http.post("/_sandbox/tokens", json={"lifetime": 60})).status_code == 401


async def test_clock_control_endpoints(sandbox: Sandbox) -> None:
    async with client(sandbox) as http:
        assert (await http.get("/_sandbox/clock")).json() == {
            "now": "Wed, 03 Sep 2025 07:56:11 GMT"
        }
        moved = await http.post(
            "/_sandbox/clock/advance", json={"days": 1, "hours": 2, "seconds": 3}
        )
        assert moved.json() == {"now": "Thu, 04 Sep 2025 09:56:14 GMT"}
        assert (await http.post("/_sandbox/clock/advance", json={"days": -1})).status_code == 400
        assert (await http.post("/_sandbox/clock/advance", json={"weeks": 1})).status_code == 400


async def test_accounts_are_kept_apart(sandbox: Sandbox) -> None:
    other = sandbox.add_account(name="Other AB")
    other_creditor = sandbox.add_creditor("Other Creditor AB", account_id=other.id)
    assert "sbx_key" not in repr(other)
    assert other.api_key not in repr(other)

    async with client(sandbox) as mine:
        my_case = (await register(mine))["_cases"][0]
    async with client(sandbox, key=other.api_key) as theirs:
        body = registration(account=other.id, creditor=other_creditor.id)
        their = await register(theirs, body)
        assert (await theirs.get(f"/cases/{my_case}")).status_code == 403
        listed = (await theirs.get("/cases")).json()
        assert [item["_id"] for item in listed["_items"]] == their["_cases"]
        assert (await theirs.post("/case--registrations", json=registration())).status_code == 403
        stolen = payment(my_case, 1, account=other.id, creditor=other_creditor.id)
        response = await theirs.post("/creditor--payments", json=stolen)
        assert response.status_code == 422
        assert "must exist" in response.json()["_issues"]["case"]
        upload = await theirs.post(
            f"/media--upload/{my_case}",
            data={"domain": "cases", "dotted_path": "original_invoice"},
            files={"file": ("a.pdf", b"%PDF", "application/pdf")},
        )
        assert upload.status_code == 403
    token, _ = sandbox.issue_token(60, account_id=other.id)
    async with client(sandbox, key=token) as theirs:
        assert (await theirs.get(f"/cases/{my_case}")).status_code == 403


async def test_creditor_must_belong_to_the_account(sandbox: Sandbox) -> None:
    other = sandbox.add_account()
    foreign = sandbox.add_creditor("Foreign AB", account_id=other.id)
    async with client(sandbox) as http:
        response = await http.post("/case--registrations", json=registration(creditor=foreign.id))
        assert response.status_code == 422
        assert "does not belong" in response.json()["_issues"]["creditor"]


async def test_signed_file_links_expire_with_the_sandbox_clock(sandbox: Sandbox) -> None:
    async with client(sandbox) as http:
        case_id = (await register(http))["_cases"][0]
        uploaded = await http.post(
            f"/media--upload/{case_id}",
            data={"domain": "cases", "dotted_path": "original_invoice"},
            files={"file": ("a.png", b"\x89PNG", "image/png")},
        )
        url = uploaded.json()["url"]
    async with client(sandbox, key="") as anonymous:
        assert (await anonymous.get(url)).content == b"\x89PNG"
        assert (await anonymous.get(url.replace("Signature=", "Signature=x"))).status_code == 403
        sandbox.advance(seconds=3601)
        expired = await anonymous.get(url)
        assert expired.status_code == 403
        assert "expired" in expired.json()["_error"]["message"]


def test_secrets_stay_out_of_reprs(sandbox: Sandbox) -> None:
    token, _ = sandbox.issue_token(60)
    text = repr(sandbox) + repr(sandbox.faults) + repr(sandbox.transport())
    assert sandbox.api_key not in text
    assert token not in text
