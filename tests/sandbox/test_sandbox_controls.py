"""The sandbox's controls under absurd values: a 400 in Eve's shape, and the sandbox still works."""

from __future__ import annotations

import json
import math
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sandbox_support import client, register

from amili_async import ManualClock
from amili_async._serde import parse_http_date
from amili_async.sandbox import Sandbox
from amili_async.sandbox._controls import check_seconds
from amili_async.sandbox._errors import ApiError
from amili_async.sandbox._query import compile_where

pytestmark = pytest.mark.anyio

NOW = "Wed, 03 Sep 2025 07:56:11 GMT"
#: A JSON list nested 50,000 deep: past Python's recursion limit.
DEEP_LIST = "[" * 50_000 + "]" * 50_000


def raw(text: str) -> dict[str, Any]:
    """Keywords for an ``httpx`` POST of ``text`` as JSON (NaN and Infinity included)."""
    return {"content": text.encode(), "headers": {"content-type": "application/json"}}


def deep(levels: int) -> str:
    return '{"a":' * levels + "1" + "}" * levels


def nested_and(levels: int) -> dict[str, Any]:
    query: dict[str, Any] = {"a": 1}
    for _ in range(levels):
        query = {"$and": [query]}
    return query


async def assert_refused_and_still_working(http: httpx.AsyncClient, answer: httpx.Response) -> None:
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["_status"] == "ERR"
    assert body["_error"]["code"] == 400
    assert isinstance(body["_error"]["message"], str)
    assert (await http.get("/cases")).status_code == 200
    assert (await http.get("/_sandbox/clock")).json() == {"now": NOW}
    assert (await http.get("/_sandbox/faults")).json()["rules"] == []


@pytest.mark.parametrize(
    "body",
    [
        '{"seconds": 1e12}',
        '{"days": 1e12}',
        '{"hours": 1e300, "days": 1e300}',
        '{"seconds": 1e400}',
        '{"seconds": -1}',
        '{"seconds": NaN}',
        '{"hours": Infinity}',
        '{"days": -Infinity}',
        '{"seconds": "60"}',
        '{"seconds": true}',
        '{"seconds": [60]}',
        '{"seconds": ' + DEEP_LIST + "}",
        "[1]",
    ],
)
async def test_the_clock_refuses_a_step_it_cannot_take(sandbox: Sandbox, body: str) -> None:
    async with client(sandbox) as http:
        answer = await http.post("/_sandbox/clock/advance", **raw(body))
        await assert_refused_and_still_working(http, answer)
        moved = await http.post("/_sandbox/clock/advance", json={"hours": 1})
        assert moved.json() == {"now": "Wed, 03 Sep 2025 08:56:11 GMT"}


@pytest.mark.parametrize(
    "lifetime", ["1e308", "1e400", "NaN", "Infinity", "-Infinity", "0", "-1", '"600"', "null"]
)
async def test_a_token_lifetime_must_be_finite_positive_and_at_most_ten_years(
    sandbox: Sandbox, lifetime: str
) -> None:
    async with client(sandbox) as http:
        answer = await http.post("/_sandbox/tokens", **raw(f'{{"lifetime": {lifetime}}}'))
        await assert_refused_and_still_working(http, answer)
        issued = await http.post("/_sandbox/tokens", json={"lifetime": 60})
        assert issued.status_code == 201
    async with client(sandbox, key=issued.json()["token"]) as http:
        assert (await http.get("/cases")).status_code == 200


@pytest.mark.parametrize(
    "rule",
    [
        '{"kind": "error", "rate": 5}',
        '{"kind": "error", "rate": NaN}',
        '{"kind": "latency", "seconds": 1e9}',
        '{"kind": "latency", "seconds": NaN}',
        '{"kind": "latency", "seconds": Infinity}',
        '{"kind": "latency", "seconds": 1e400}',
        '{"kind": "error", "times": -1}',
        '{"kind": "error", "times": 0}',
        '{"kind": "error", "times": Infinity}',
        '{"kind": "error", "times": 1e400}',
        '{"kind": "error", "times": 2.5}',
        '{"kind": "error", "status": 1e400}',
        '{"kind": "rate_limit", "retry_after": 1e308}',
        '{"kind": "rate_limit", "retry_after": -5}',
        '{"kind": "error", "path": "/' + "*" * 2000 + '"}',
        '{"kind": "error", "method": ' + DEEP_LIST + "}",
        '{"kind": "teleport"}',
    ],
)
async def test_a_fault_rule_with_absurd_values_is_refused(sandbox: Sandbox, rule: str) -> None:
    async with client(sandbox) as http:
        answer = await http.post("/_sandbox/faults", **raw(rule))
        await assert_refused_and_still_working(http, answer)


@pytest.mark.parametrize(
    "where",
    [
        deep(2_000),
        deep(101),
        json.dumps(nested_and(200)),
        json.dumps({f"key{n}": n for n in range(2_000)}),
        json.dumps({"debts.invoice_number": {"$in": [f"INV-{n}" for n in range(1_001)]}}),
    ],
    ids=["2000-deep", "101-deep", "200-deep-and", "2000-keys", "1001-items"],
)
async def test_a_where_too_deep_or_too_large_is_a_400(sandbox: Sandbox, where: str) -> None:
    async with client(sandbox) as http:
        await register(http)
        answer = await http.get("/case--registrations", params={"where": where})
        await assert_refused_and_still_working(http, answer)
        listed = await http.get("/case--registrations", params={"where": deep(100)})
        assert listed.status_code == 200
        found = await http.get(
            "/case--registrations",
            params={"where": json.dumps({f"key{n}": {"$exists": False} for n in range(500)})},
        )
        assert len(found.json()["_items"]) == 1


async def test_reset_restores_a_sandbox_after_any_of_it(sandbox: Sandbox) -> None:
    async with client(sandbox) as http:
        await register(http)
        await http.post("/_sandbox/clock/advance", **raw('{"seconds": NaN}'))
        await http.post("/_sandbox/faults", json={"kind": "error", "path": "/cases*"})
        await http.post("/_sandbox/faults", **raw('{"kind": "latency", "seconds": 1e9}'))
        assert (await http.get("/cases")).status_code == 503
        assert (await http.post("/_sandbox/reset")).status_code == 204
        assert (await http.get("/cases")).json()["_items"] == []
        assert (await http.get("/_sandbox/faults")).json()["rules"] == []
        assert (await http.get("/_sandbox/clock")).json() == {"now": NOW}
        await register(http)


@pytest.mark.parametrize(
    "step",
    [
        {"seconds": math.nan},
        {"days": math.inf},
        {"hours": -1},
        {"seconds": 1e12},
        {"days": 10**400},
        {"seconds": "60"},
    ],
)
def test_sandbox_advance_raises_value_error_and_moves_nothing(step: dict[str, Any]) -> None:
    sandbox = Sandbox(clock=ManualClock())
    with pytest.raises(ValueError, match=r"seconds|hours|days|clock"):
        sandbox.advance(**step)
    assert sandbox.now == ManualClock().now()


def test_the_clock_goes_up_to_year_9000_and_no_further() -> None:
    sandbox = Sandbox(clock=ManualClock())
    room = sandbox.now.replace(year=9000, month=1, day=1, hour=0, minute=0, second=0) - sandbox.now
    sandbox.advance(seconds=room.total_seconds())
    assert sandbox.now.year == 9000
    with pytest.raises(ValueError, match="cannot pass Wed, 01 Jan 9000"):
        sandbox.advance(seconds=1)


@pytest.mark.parametrize("seconds", [math.nan, math.inf, 1e12 * 365])
def test_a_manual_clock_refuses_a_step_it_cannot_represent(seconds: float) -> None:
    clock = ManualClock()
    with pytest.raises(ValueError, match=r"cannot advance|passes year 9999"):
        clock.advance(seconds)
    assert clock.now() == ManualClock().now()


@pytest.mark.parametrize("lifetime", [math.nan, math.inf, 1e308, 0, -1, "600"])
def test_token_lifetimes_in_python_raise_value_error(lifetime: Any) -> None:
    sandbox = Sandbox(clock=ManualClock())
    with pytest.raises(ValueError, match="lifetime"):
        sandbox.issue_token(lifetime)
    with pytest.raises(ValueError, match="api_token_lifetime"):
        Sandbox(api_token_lifetime=lifetime)
    with pytest.raises(ValueError, match="max_jwt_lifetime"):
        Sandbox(max_jwt_lifetime=lifetime)
    with pytest.raises(ValueError, match="api_token_lifetime"):
        sandbox.api_token_lifetime = lifetime
    assert sandbox.api_token_lifetime == 600


@pytest.mark.parametrize(
    "settings",
    [
        {"kind": "error", "rate": 5},
        {"kind": "error", "rate": math.nan},
        {"kind": "latency", "seconds": 1e9},
        {"kind": "latency", "seconds": math.nan},
        {"kind": "error", "times": -1},
        {"kind": "error", "times": 1.5},
        {"kind": "rate_limit", "retry_after": math.inf},
    ],
)
def test_fault_rules_in_python_raise_value_error(settings: dict[str, Any]) -> None:
    sandbox = Sandbox(clock=ManualClock())
    with pytest.raises(ValueError, match=r"rate|seconds|times|retry_after"):
        sandbox.faults.add(**settings)
    assert sandbox.faults.rules == ()


def test_there_are_at_most_a_thousand_fault_rules() -> None:
    faults = Sandbox(clock=ManualClock()).faults
    for _ in range(1000):
        faults.error(path="/nothing")
    with pytest.raises(ValueError, match="1000 fault rules already"):
        faults.error(path="/nothing")


JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.sampled_from(["$gt", "$in", "$and", "$or", "$not", "$exists", "a", "debts.0", NOW])
    | st.text(max_size=8)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["$gt", "$lt", "$in", "$nin", "$and", "$or", "$nor", "$not", "$eq"])
            | st.sampled_from(["customer.name", "debts.invoice_number", "a.b", "$where", "$regex"])
            | st.text(max_size=6),
            inner,
            max_size=4,
        )
    ),
    max_leaves=30,
)
STORED = {
    "customer": {"name": "ACME", "id_number": "5560269986"},
    "debts": [{"invoice_number": "INV-1", "capital_to_claim": 2000}, {"invoice_number": "INV-2"}],
    "_created": parse_http_date(NOW),
}


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES)
def test_any_where_compiles_to_a_predicate_or_is_a_400(query: object) -> None:
    """A ``where`` either compiles, and its predicate answers True or False, or is a 400."""
    try:
        predicate = compile_where(json.dumps(query))
    except ApiError as error:
        status = error.status
    else:
        status = 200
        assert predicate(STORED) in (True, False)
    assert status in (200, 400)


@given(
    st.none()
    | st.booleans()
    | st.text(max_size=5)
    | st.integers()
    | st.floats()
    | st.decimals()
    | st.lists(st.integers(), max_size=2)
)
def test_a_control_value_is_finite_seconds_in_range_or_a_value_error(value: object) -> None:
    try:
        seconds = check_seconds("seconds", value, maximum=3600.0)
    except ValueError as error:
        reason = str(error)
    else:
        reason = "seconds must be in range"
        assert 0.0 <= seconds <= 3600.0
    assert reason.startswith("seconds must be")
