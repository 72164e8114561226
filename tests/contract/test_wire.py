"""What a client sees on the wire, checked on the sandbox (in process and served) and on real Eve.

One behaviour per test; the facts come from ``shared/eve-facts.md`` (§ numbers
below) and Amili's docs. See ``conftest.py`` for the targets and for
``sandbox_differs``.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from targets import Target

pytestmark = pytest.mark.anyio

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "api-examples"
OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")
RFC1123 = re.compile(r"^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$")
META_FIELDS = {"_id", "_created", "_updated", "_etag"}
REGISTRATION_ANSWER = {*META_FIELDS, "_status", "_cases", "_ocr_numbers", "_ocr_numbers_ocr"}
INSERTION_FAILURE = {"code": 422, "message": "Insertion failure: 1 document(s) contain(s) error(s)"}
UNAUTHORIZED = {
    "_status": "ERR",
    "_error": {"code": 401, "message": "Please provide proper credentials"},
}
NOT_FOUND = {
    "_status": "ERR",
    "_error": {
        "code": 404,
        "message": "The requested URL was not found on the server. If you entered the URL "
        "manually please check your spelling and try again.",
    },
}
RATE_LIMITED = {"_status": "ERR", "_error": {"code": 429, "message": "Rate limit exceeded"}}
UNKNOWN_ID = "0123456789abcdef01234567"


def example(name: str) -> Any:
    """A documented payload from ``tests/data/api-examples``."""
    return json.loads((EXAMPLES / name).read_text())


def registration(**debt_changes: Any) -> dict[str, Any]:
    """The documented registration request (01), its one debt changed by ``debt_changes``."""
    body: dict[str, Any] = copy.deepcopy(example("01-case-registration.request.json"))
    body["debts"][0].update(debt_changes)
    return body


async def register(http: httpx.AsyncClient, body: Any = None) -> dict[str, Any]:
    """POST a registration (the documented one by default); return the 201 body."""
    response = await http.post("/case--registrations", json=body or registration())
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def registered_case(http: httpx.AsyncClient) -> str:
    """The id of the case the documented registration creates."""
    case_id: str = (await register(http))["_cases"][0]
    return case_id


# --- POST (eve-facts §2a, §2b) ---------------------------------------------------------------


async def test_post_answers_201_with_meta_fields_and_the_registration_outcome(
    target: Target,
) -> None:
    # Amili answers with _cases/_ocr_numbers/_ocr_numbers_ocr on top of Eve's meta fields
    # (the reference server: on_insert hook + extra_response_fields); HATEOAS is off, so no _links.
    async with target.client() as http:
        response = await http.post(
            "/case--registrations", json=example("01-case-registration.request.json")
        )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == REGISTRATION_ANSWER
    assert body["_status"] == "OK"
    assert OBJECT_ID.match(body["_id"])
    assert [bool(OBJECT_ID.match(case)) for case in body["_cases"]] == [True]
    assert len(body["_ocr_numbers"]) == len(body["_ocr_numbers_ocr"]) == 1
    assert re.fullmatch(r"\d{20}", body["_ocr_numbers_ocr"][0])


async def test_post_dates_are_rfc1123_gmt(target: Target) -> None:
    async with target.client() as http:
        body = await register(http)
    assert RFC1123.match(body["_created"])
    assert RFC1123.match(body["_updated"])


async def test_post_location_is_the_absolute_item_url(target: Target) -> None:
    async with target.client() as http:
        response = await http.post("/case--registrations", json=registration())
    assert response.status_code == 201
    location = httpx.URL(response.headers["location"])
    assert location.is_absolute_url
    assert location == httpx.URL(target.base_url).join(
        f"/case--registrations/{response.json()['_id']}"
    )


async def test_post_sends_no_etag_header(target: Target) -> None:
    # The etag of a new document is only in the body (eve-facts §2a).
    async with target.client() as http:
        response = await http.post("/case--registrations", json=registration())
    assert response.status_code == 201
    assert "etag" not in response.headers


async def test_one_item_list_post_answers_like_a_single_document(target: Target) -> None:
    async with target.client() as http:
        response = await http.post("/case--registrations", json=[registration()])
    assert response.status_code == 201
    assert set(response.json()) == REGISTRATION_ANSWER


@pytest.mark.parametrize("content_type", [None, "text/plain"])
async def test_write_without_json_content_type_is_refused(
    target: Target, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    async with target.client() as http:
        response = await http.post(
            "/case--registrations", content=json.dumps(registration()).encode(), headers=headers
        )
        stored = (await http.get("/case--registrations")).json()["_meta"]["total"]
    assert response.status_code == 400
    assert response.json() == {
        "_status": "ERR",
        "_error": {"code": 400, "message": "Unknown or no Content-Type header supplied"},
    }
    assert stored == 0


async def test_one_item_list_post_that_fails_answers_like_a_single_document(
    target: Target,
) -> None:
    async with target.client() as http:
        response = await http.post(
            "/case--registrations", json=[{**registration(), "first_action": "later"}]
        )
    assert response.status_code == 422
    assert response.json() == {
        "_status": "ERR",
        "_issues": {"first_action": "unallowed value later"},
        "_error": INSERTION_FAILURE,
    }


async def test_bulk_post_location_is_the_first_new_item(target: Target) -> None:
    async with target.client() as http:
        response = await http.post(
            "/case--registrations",
            json=[registration(invoice_number="A-1"), registration(invoice_number="A-2")],
        )
    assert response.status_code == 201
    body = response.json()
    assert body["_status"] == "OK"
    first = body["_items"][0]["_id"]
    assert response.headers["location"] == f"{target.base_url}/case--registrations/{first}"


async def test_form_post_is_read_and_refused_field_by_field(target: Target) -> None:
    # Eve reads a urlencoded form as a dict of strings; the schema then refuses it (422).
    async with target.client() as http:
        response = await http.post("/case--registrations", data={"first_action": "reminder"})
    assert response.status_code == 422
    body = response.json()
    assert body["_error"] == INSERTION_FAILURE
    assert {"account", "creditor", "customer", "debts"} <= set(body["_issues"])


async def test_payment_post_answers_the_payment_status(target: Target) -> None:
    # Amili adds _payment_status to the meta-only answer (04-creditor-payment.response.json).
    async with target.client() as http:
        case_id = await registered_case(http)
        body = {**example("04-creditor-payment.request.json"), "case": case_id}
        response = await http.post("/creditor--payments", json=body)
    assert response.status_code == 201
    answer = response.json()
    assert {*META_FIELDS, "_status", "_payment_status"} <= set(answer)
    assert answer["_payment_status"] == "completed"
    assert "amount" not in answer  # bandwidth saver: the posted fields are not echoed


# --- 422 (eve-facts §2b, §4c) ------------------------------------------------------------------


async def test_bad_top_level_field_gets_422_with_issues_and_error_object(target: Target) -> None:
    body = {**registration(), "first_action": "later"}
    async with target.client() as http:
        response = await http.post("/case--registrations", json=body)
    assert response.status_code == 422
    assert response.json() == {
        "_status": "ERR",
        "_issues": {"first_action": "unallowed value later"},
        "_error": INSERTION_FAILURE,
    }


async def test_bad_debt_gets_422_with_nested_issues(target: Target) -> None:
    async with target.client() as http:
        response = await http.post("/case--registrations", json=registration(invoice_number=12345))
    assert response.status_code == 422
    assert response.json() == {
        "_status": "ERR",
        "_issues": {"debts": {"0": {"invoice_number": "must be of string type"}}},
        "_error": INSERTION_FAILURE,
    }


async def test_rejected_post_stores_nothing(target: Target) -> None:
    async with target.client() as http:
        refused = await http.post("/case--registrations", json=registration(capital_to_claim="x"))
        listed = await http.get("/case--registrations")
    assert refused.status_code == 422
    assert listed.json()["_items"] == []


# --- auth (eve-facts §7) -----------------------------------------------------------------------


@pytest.mark.parametrize("key", [None, "", "not-the-key"], ids=["missing", "empty", "wrong"])
async def test_missing_or_wrong_key_gets_eves_401_body(target: Target, key: str | None) -> None:
    async with target.client(api_key=key) as http:
        response = await http.get("/cases")
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


@pytest.mark.parametrize("key", [None, "not-the-key"], ids=["missing", "wrong"])
async def test_401_carries_www_authenticate(target: Target, key: str | None) -> None:
    # Eve's TokenAuth.authenticate(); an X-API-Key subclass (like Amili's) keeps it.
    async with target.client(api_key=key) as http:
        response = await http.get("/cases")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Basic realm="eve"'


# --- lists (eve-facts §2d, §3) -----------------------------------------------------------------


@pytest.mark.parametrize("value", ["0", "-1", "abc"])
async def test_bad_max_results_falls_back_to_the_default(target: Target, value: str) -> None:
    async with target.client() as http:
        response = await http.get("/cases", params={"max_results": value})
    assert response.status_code == 200
    assert response.json()["_meta"]["max_results"] == 25


@pytest.mark.parametrize(
    ("asked", "given"), [("75", 75), ("100", 100), ("1000", 100), ("7.9", 7), ("1e2", 100)]
)
async def test_max_results_is_capped_at_amilis_limit(
    target: Target, asked: str, given: int
) -> None:
    # Amili documents "max: 100"; plain Eve caps at 50 (PAGINATION_LIMIT, set to 100 here).
    async with target.client() as http:
        response = await http.get("/cases", params={"max_results": asked})
    assert response.status_code == 200
    assert response.json()["_meta"]["max_results"] == given


@pytest.mark.parametrize(("asked", "given"), [("0", 1), ("-2", 2), ("abc", 1), ("2.5", 1)])
async def test_odd_page_values_are_coerced(target: Target, asked: str, given: int) -> None:
    async with target.client() as http:
        response = await http.get("/cases", params={"page": asked})
    assert response.status_code == 200
    assert response.json()["_meta"]["page"] == given


async def test_a_repeated_parameter_counts_once_by_its_first_value(target: Target) -> None:
    async with target.client() as http:
        response = await http.get("/cases", params=[("max_results", "3"), ("max_results", "9")])
    assert response.json()["_meta"]["max_results"] == 3


async def test_page_past_the_end_is_an_empty_200(target: Target) -> None:
    async with target.client() as http:
        await register(http)
        response = await http.get("/cases", params={"page": 99, "max_results": 1})
    assert response.status_code == 200
    body = response.json()
    assert body["_items"] == []
    assert body["_meta"] == {"page": 99, "max_results": 1, "total": 1}


async def test_trailing_slash_is_the_same_collection(target: Target) -> None:
    async with target.client() as http:
        await register(http)
        plain = await http.get("/cases")
        slashed = await http.get("/cases/")
    assert slashed.status_code == 200
    assert slashed.json() == plain.json()


async def test_collection_is_items_and_meta_only(target: Target) -> None:
    # Amili's examples show no _links: the reference server runs with HATEOAS off.
    async with target.client() as http:
        await register(http)
        response = await http.get("/cases")
    assert set(response.json()) == {"_items", "_meta"}


async def test_collection_has_x_total_count(target: Target) -> None:
    async with target.client() as http:
        await register(http)
        await register(http, registration(invoice_number="INV-2025-004"))  # unique per creditor
        response = await http.get("/cases", params={"max_results": 1})
    assert response.headers["x-total-count"] == "2"
    assert response.json()["_meta"]["total"] == 2


async def test_collection_has_no_etag(target: Target) -> None:
    async with target.client() as http:
        await register(http)
        response = await http.get("/cases")
    assert response.status_code == 200
    assert "etag" not in response.headers


async def test_hateoas_links_on_a_middle_page(target: Target) -> None:
    linked = target.variant(hateoas=True)
    async with linked.client() as http:
        for number in range(3):  # invoice numbers are unique per creditor
            await register(http, registration(invoice_number=f"INV-{number}"))
        response = await http.get("/cases", params={"max_results": 1, "page": 2})
    links = response.json()["_links"]
    assert set(links) == {"parent", "self", "next", "last", "prev"}
    assert links["parent"] == {"title": "home", "href": "/"}
    assert links["next"]["href"].startswith("cases?")  # relative to the API root


async def test_without_counting_there_is_no_total(target: Target) -> None:
    # OPTIMIZE_PAGINATION_FOR_SPEED: Eve skips the count; a client must page without a total.
    uncounted = target.variant(optimize_pagination_for_speed=True)
    async with uncounted.client() as http:
        await register(http)
        response = await http.get("/cases")
    assert response.json()["_meta"] == {"page": 1, "max_results": 25}
    assert "x-total-count" not in response.headers


async def test_without_counting_next_is_linked_even_past_the_end(target: Target) -> None:
    # Eve cannot tell the last page without a count, so it always links `next`:
    # a client that follows `next` alone never stops (issue 9 §3).
    uncounted = target.variant(hateoas=True, optimize_pagination_for_speed=True)
    async with uncounted.client() as http:
        await register(http)
        response = await http.get("/cases", params={"page": 5})
    body = response.json()
    assert body["_items"] == []
    assert "next" in body["_links"]


async def test_hateoas_links_are_eves_exactly(target: Target) -> None:
    # Relative hrefs, Eve's parameter order (max_results, where, sort, page, then the rest),
    # values as sent; projection is left out; items link to themselves.
    linked = target.variant(hateoas=True)
    where = '{"status": {"$exists": true}}'
    params = {"projection": '{"status": 1}', "foo": "bar", "where": where, "sort": "-_created"}
    async with linked.client() as http:
        for number in range(3):  # invoice numbers are unique per creditor
            await register(http, registration(invoice_number=f"INV-{number}"))
        response = await http.get("/cases", params={**params, "max_results": "1", "page": "2"})
    body = response.json()
    query = f"max_results=1&where={where}&sort=-_created"
    assert body["_links"] == {
        "parent": {"title": "home", "href": "/"},
        "self": {"title": "cases", "href": f"cases?{query}&page=2&foo=bar"},
        "next": {"title": "next page", "href": f"cases?{query}&page=3&foo=bar"},
        "last": {"title": "last page", "href": f"cases?{query}&page=3&foo=bar"},
        "prev": {"title": "previous page", "href": f"cases?{query}&foo=bar"},
    }
    [item] = body["_items"]
    assert item["_links"] == {"self": {"title": "Case", "href": f"cases/{item['_id']}"}}


async def test_hateoas_links_on_an_empty_list(target: Target) -> None:
    linked = target.variant(hateoas=True)
    async with linked.client() as http:
        response = await http.get("/cases", params={"max_results": "10"})
    assert response.json()["_links"] == {
        "parent": {"title": "home", "href": "/"},
        "self": {"title": "cases", "href": "cases"},
    }


async def test_hateoas_links_on_an_item_and_a_post(target: Target) -> None:
    linked = target.variant(hateoas=True)
    async with linked.client() as http:
        created = await register(http)
        case_id = created["_cases"][0]
        item = (await http.get(f"/cases/{case_id}")).json()
    assert created["_links"] == {
        "self": {"title": "Case--registration", "href": f"case--registrations/{created['_id']}"}
    }
    assert item["_links"] == {
        "self": {"title": "Case", "href": f"cases/{case_id}"},
        "parent": {"title": "home", "href": "/"},
        "collection": {"title": "cases", "href": "cases"},
    }


async def test_without_counting_an_item_links_a_next_page(target: Target) -> None:
    # Eve builds an item's links with its list code and no count: `next` is always there.
    uncounted = target.variant(hateoas=True, optimize_pagination_for_speed=True)
    async with uncounted.client() as http:
        case_id = await registered_case(http)
        item = (await http.get(f"/cases/{case_id}")).json()
    assert item["_links"]["next"] == {"title": "next page", "href": "cases?page=2"}
    assert "last" not in item["_links"]


async def test_collection_last_modified_is_the_newest_on_the_page(target: Target) -> None:
    async with target.client() as http:
        await register(http)
        listed = await http.get("/cases")
        empty = await http.get("/cases", params={"page": "2"})
    [item] = listed.json()["_items"]
    assert listed.headers["last-modified"] == item["_updated"]
    assert "last-modified" not in empty.headers


async def test_home_without_hateoas_is_empty(target: Target) -> None:
    async with target.client() as http:
        response = await http.get("/")
    assert response.status_code == 200
    assert response.json() == {}


# --- projection and where (eve-facts §3, §1) ---------------------------------------------------


async def test_projection_on_an_item_keeps_the_meta_fields(target: Target) -> None:
    async with target.client() as http:
        case_id = await registered_case(http)
        response = await http.get(f"/cases/{case_id}", params={"projection": '{"state": 1}'})
    assert response.status_code == 200
    assert set(response.json()) == {*META_FIELDS, "state"}


async def test_projection_on_a_list(target: Target) -> None:
    async with target.client() as http:
        await register(http)
        response = await http.get(
            "/cases", params={"projection": '{"status": 1, "debt.invoice_number": 1}'}
        )
    [item] = response.json()["_items"]
    assert set(item) == {*META_FIELDS, "status", "debt"}
    assert item["debt"] == {"invoice_number": "INV-2025-003"}


async def test_exclusion_projection_drops_the_field(target: Target) -> None:
    async with target.client() as http:
        case_id = await registered_case(http)
        full = (await http.get(f"/cases/{case_id}")).json()
        response = await http.get(f"/cases/{case_id}", params={"projection": '{"transactions": 0}'})
    assert set(response.json()) == set(full) - {"transactions"}


async def test_where_compares_rfc1123_dates_as_dates(target: Target) -> None:
    async with target.client() as http:
        await register(
            http, registration(invoice_number="OLD", invoice_date="Mon, 07 Jul 2025 00:00:00 GMT")
        )
        await register(
            http, registration(invoice_number="NEW", invoice_date="Mon, 01 Sep 2025 00:00:00 GMT")
        )
        where = {"debt.invoice_date": {"$gte": "Fri, 01 Aug 2025 00:00:00 GMT"}}
        response = await http.get("/cases", params={"where": json.dumps(where)})
    assert response.status_code == 200
    assert [item["debt"]["invoice_number"] for item in response.json()["_items"]] == ["NEW"]


async def test_where_with_an_iso_date_matches_nothing(target: Target) -> None:
    # Only RFC 1123 strings become dates; an ISO string is compared as a string (eve-facts §1).
    async with target.client() as http:
        await register(http)
        where = {"debt.invoice_date": {"$gte": "2025-01-01T00:00:00Z"}}
        response = await http.get("/cases", params={"where": json.dumps(where)})
    assert response.status_code == 200
    assert response.json()["_items"] == []


# --- items (eve-facts §2c, §4b, §5) --------------------------------------------------------------


@pytest.mark.parametrize("item_id", ["not-an-id", "12345", "0123456789ABCDEF01234567", UNKNOWN_ID])
async def test_item_ids_that_are_not_known_24_hex_get_404(target: Target, item_id: str) -> None:
    async with target.client() as http:
        response = await http.get(f"/cases/{item_id}")
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


async def test_item_has_a_quoted_etag(target: Target) -> None:
    async with target.client() as http:
        case_id = await registered_case(http)
        response = await http.get(f"/cases/{case_id}")
    assert response.status_code == 200
    assert response.headers["etag"] == f'"{response.json()["_etag"]}"'


async def test_item_has_last_modified(target: Target) -> None:
    async with target.client() as http:
        case_id = await registered_case(http)
        response = await http.get(f"/cases/{case_id}")
    assert response.headers["last-modified"] == response.json()["_updated"]


async def test_item_if_none_match_gets_304(target: Target) -> None:
    async with target.client() as http:
        case_id = await registered_case(http)
        first = await http.get(f"/cases/{case_id}")
        again = await http.get(
            f"/cases/{case_id}", headers={"If-None-Match": first.headers["etag"]}
        )
    assert again.status_code == 304
    assert again.content == b""


async def test_item_if_modified_since_gets_304(target: Target) -> None:
    async with target.client() as http:
        case_id = await registered_case(http)
        first = await http.get(f"/cases/{case_id}")
        since = first.headers["last-modified"]
        again = await http.get(f"/cases/{case_id}", headers={"If-Modified-Since": since})
        stale = await http.get(
            f"/cases/{case_id}", headers={"If-Modified-Since": "Mon, 01 Jan 2024 00:00:00 GMT"}
        )
    assert again.status_code == 304
    assert again.headers["etag"] == first.headers["etag"]
    assert stale.status_code == 200


async def test_method_not_allowed_gets_405(target: Target) -> None:
    async with target.client() as http:
        response = await http.delete("/cases")
    assert response.status_code == 405
    assert response.json()["_error"]["code"] == 405


# --- If-Match (eve-facts §5); Partner API creditors --------------------------------------------


async def test_patch_without_if_match_gets_428(target: Target) -> None:
    async with target.client() as http:
        response = await http.patch(f"/creditors/{target.creditor_id}", json={"name": "Renamed AB"})
    assert response.status_code == 428
    assert response.json()["_error"] == {
        "code": 428,
        "message": "To edit a document its etag must be provided using the If-Match header",
    }


async def test_patch_with_a_stale_if_match_gets_412(target: Target) -> None:
    async with target.client() as http:
        url = f"/creditors/{target.creditor_id}"
        etag = (await http.get(url)).headers["etag"]
        first = await http.patch(url, json={"name": "Renamed AB"}, headers={"If-Match": etag})
        stale = await http.patch(url, json={"name": "Again AB"}, headers={"If-Match": etag})
    assert first.status_code == 200
    assert first.headers["etag"] != etag
    assert stale.status_code == 412
    assert stale.json()["_error"] == {"code": 412, "message": "Client and server etags don't match"}


async def test_patch_answers_the_meta_fields_and_the_new_etag(target: Target) -> None:
    async with target.client() as http:
        url = f"/creditors/{target.creditor_id}"
        etag = (await http.get(url)).headers["etag"]
        patched = await http.patch(url, json={"name": "Renamed AB"}, headers={"If-Match": etag})
        read = await http.get(url)
    body = patched.json()
    assert patched.status_code == 200
    assert set(body) == {"_updated", "_created", "_etag", "_id", "_status"}
    assert body["_status"] == "OK"
    assert patched.headers["etag"] == f'"{body["_etag"]}"' == read.headers["etag"]
    assert read.json()["name"] == "Renamed AB"


async def test_patch_merges_nested_objects(target: Target) -> None:
    async with target.client() as http:
        url = f"/creditors/{target.creditor_id}"
        etag = (await http.get(url)).headers["etag"]
        first = await http.patch(
            url, json={"case_config": {"vat_area": "sweden"}}, headers={"If-Match": etag}
        )
        second = await http.patch(
            url,
            json={"case_config": {"commission_excluded_vat": True}},
            headers={"If-Match": first.headers["etag"]},
        )
        config = (await http.get(url)).json()["case_config"]
    assert second.status_code == 200
    assert config["vat_area"] == "sweden"
    assert config["commission_excluded_vat"] is True


async def test_patch_of_a_read_only_field_gets_a_bare_422(target: Target) -> None:
    async with target.client() as http:
        url = f"/creditors/{target.creditor_id}"
        etag = (await http.get(url)).headers["etag"]
        refused = await http.patch(url, json={"creditor_number": 1}, headers={"If-Match": etag})
    assert refused.status_code == 422
    # PATCH's 422 has no _error, unlike POST's (eve-facts §2e).
    assert refused.json() == {
        "_issues": {"creditor_number": "field is read-only"},
        "_status": "ERR",
    }


async def test_patch_of_an_unknown_id_gets_404_without_if_match(target: Target) -> None:
    async with target.client() as http:
        response = await http.patch(f"/creditors/{UNKNOWN_ID}", json={"name": "Nobody AB"})
    assert response.status_code == 404


async def test_delete_needs_if_match_and_an_unknown_id_gets_204(target: Target) -> None:
    async with target.client() as http:
        url = f"/creditors/{target.creditor_id}"
        unknown = await http.delete(f"/creditors/{UNKNOWN_ID}")
        without = await http.delete(url)
        stale = await http.delete(url, headers={"If-Match": "0" * 40})
        deleted = await http.delete(
            url, headers={"If-Match": (await http.get(url)).headers["etag"]}
        )
        gone = await http.get(url)
    assert (unknown.status_code, unknown.content) == (204, b"")
    assert without.status_code == 428
    assert stale.status_code == 412
    assert (deleted.status_code, gone.status_code) == (204, 404)


# --- rate limits (eve-facts §6; Amili documents none, this is Eve's limiter) ---------------------

RATE_LIMIT_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")


async def test_successes_carry_the_rate_limit_headers(target: Target) -> None:
    limited = target.variant(rate_limit=(5, 60))
    async with limited.client() as http:
        listed = await http.get("/cases")
        created = await http.post("/case--registrations", json=registration())
    assert (listed.status_code, created.status_code) == (200, 201)
    assert listed.headers["x-ratelimit-limit"] == "5"
    assert [listed.headers["x-ratelimit-remaining"], created.headers["x-ratelimit-remaining"]] == [
        "4",
        "3",
    ]
    reset = int(created.headers["x-ratelimit-reset"])  # absolute epoch seconds, not a delta
    assert limited.now() + 60 - 2 <= reset <= limited.now() + 60 + 1


async def test_429_is_bare(target: Target) -> None:
    limited = target.variant(rate_limit=(1, 60))
    async with limited.client() as http:
        allowed = await http.get("/cases")
        refused = await http.get("/cases")
    assert allowed.status_code == 200
    assert refused.status_code == 429
    assert refused.json() == RATE_LIMITED
    assert "retry-after" not in refused.headers
    assert not [name for name in refused.headers if name.startswith("x-ratelimit-")]


async def test_unauthorized_requests_count_and_carry_the_headers(target: Target) -> None:
    # Eve's limiter runs before auth, keyed by client IP when the auth is a custom header.
    limited = target.variant(rate_limit=(3, 60))
    async with limited.client(api_key=None) as anonymous, limited.client() as http:
        refused = await anonymous.get("/cases")
        allowed = await http.get("/cases")
    assert refused.status_code == 401
    assert refused.headers["x-ratelimit-remaining"] == "2"
    assert allowed.headers["x-ratelimit-remaining"] == "1"


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # Eve waits in real time: one loop will do
async def test_refused_requests_count_and_move_the_window(target: Target) -> None:
    # Every request, a 429 included, counts and moves the window's end to now + window:
    # retrying too early keeps the client blocked past the first answer's Reset.
    limited = target.variant(rate_limit=(1, 2))
    async with limited.client() as http:
        first = await http.get("/cases")
        first_reset = int(first.headers["x-ratelimit-reset"])
        await limited.wait_until(first_reset - 1 + 0.05)  # one second later than the first
        early = await http.get("/cases")
        await limited.wait_until(first_reset + 0.1)  # past the first window's end
        still = await http.get("/cases")
    assert first.status_code == 200
    assert early.status_code == 429
    assert still.status_code == 429


async def test_requests_that_reach_no_endpoint_do_not_count(target: Target) -> None:
    # Eve counts in the endpoint: an unknown URL, a wrong method or a HEAD never gets there.
    limited = target.variant(rate_limit=(5, 60))
    async with limited.client() as http:
        missing = await http.get("/nothing-here")
        wrong = await http.delete("/cases")
        head = await http.head("/cases")
        counted = await http.get("/cases")
    assert (missing.status_code, wrong.status_code, head.status_code) == (404, 405, 200)
    for response in (missing, wrong, head):
        assert "x-ratelimit-remaining" not in response.headers
    assert counted.headers["x-ratelimit-remaining"] == "4"
