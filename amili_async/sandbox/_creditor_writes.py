"""The Partner API's creditor writes: ``POST /creditors``, ``PATCH`` and ``DELETE /creditors/{id}``.

Edits follow Eve's concurrency control (``IF_MATCH`` and ``ENFORCE_IF_MATCH``
on, Eve's defaults): a ``PATCH`` or ``DELETE`` of a creditor without
``If-Match`` is a 428, with a stale one a 412, each with Eve's message; a
``PATCH`` of an unknown id is a 404 and a ``DELETE`` of one a 204. A
``PATCH`` merges nested objects, answers 200 with the meta fields and the new
``_etag`` (the caller sends the ``ETag`` header), and refuses a change to a
read-only field with Eve's ``"field is read-only"`` in a 422 that, like
Eve's for ``PATCH``, has ``_issues`` but no ``_error``.

Simulated (Amili documents the rules, not the answers): ``account`` and
``agreement_template`` ("only at creation") are refused like read-only
fields; the activation rule (an active creditor needs a standard debt
description, sender and invoice addresses and payout details) answers
``"required when is_active is true"``; deleting a creditor leaves its cases.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .._validation import check_country
from ._accounts import Accounts, SandboxCreditor
from ._directory import DEFAULT_AGREEMENT_TEMPLATE
from ._errors import ApiError, EveJSONResponse, insertion_failure, nested_issues
from ._ids import IdFactory
from ._lifecycle import stamp
from ._schema import Issues, _Checker

__all__ = [
    "ETAG_MISMATCH",
    "IF_MATCH_MISSING",
    "INACTIVE_CREDITOR",
    "CreditorWriter",
    "PatchRefusedError",
]

#: Eve's 428 and 412 messages (``eve/methods/common.py``).
IF_MATCH_MISSING = "To edit a document its etag must be provided using the If-Match header"
ETAG_MISMATCH = "Client and server etags don't match"
#: The 422 issue on ``creditor`` of a registration for an inactive creditor (simulated
#: wording of the docs' rule "while a creditor is inactive, no case registrations can be
#: created for it").
INACTIVE_CREDITOR = "creditor '{}' is inactive: no case registrations can be created for it"

_READ_ONLY = frozenset({"partner", "creditor_number", "added_to_erp_system"})
_CREATION_ONLY = frozenset({"account", "agreement_template"})
_TEXT = (
    "name",
    "account",
    "organization_no",
    "non_swedish_organization_no",
    "description",
    "standard_debt_description",
    "default_letter_locale",
    "agreement_template",
    "partner",
)
_FLAGS = ("is_active", "always_use_standard_debt_description", "added_to_erp_system")
_ADDRESSES = ("agreement_address", "sender_address", "invoice_address")
_FIELDS = frozenset(
    {*_TEXT, *_FLAGS, *_ADDRESSES, "case_config", "payout_details", "creditor_number"}
)
_ADDRESS_FIELDS = frozenset({"address_line_1", "address_line_2", "zip_code", "city", "country"})
_CASE_CONFIG_FLAGS = (
    "commission_excluded_vat",
    "payout_capital_by_invoice",
    "payout_interest_by_invoice",
)
_NEEDED_TO_BE_ACTIVE = (
    "standard_debt_description",
    "sender_address",
    "invoice_address",
    "payout_details",
)
_ANSWER_FIELDS = ("_updated", "_created", "_etag", "_id")


class PatchRefusedError(ApiError):
    """Eve's 422 to a ``PATCH``: ``{"_issues": {...}, "_status": "ERR"}``, no ``_error``."""

    def __init__(self, issues: Mapping[str, str]) -> None:
        super().__init__(422, issues=issues)

    def response(self) -> EveJSONResponse:
        """The bare 422 body Eve's ``patch_internal`` answers with."""
        body = {"_issues": nested_issues(self.issues), "_status": "ERR"}
        return EveJSONResponse(body, status_code=422)


class CreditorWriter:
    """Creates, patches and deletes creditor documents; the caller holds the state's lock."""

    def __init__(self, ids: IdFactory, accounts: Accounts) -> None:
        self._ids = ids
        self._accounts = accounts
        self._docs = accounts.creditor_docs

    def create(self, account_id: str, body: Any, now: datetime) -> dict[str, Any]:
        """``POST /creditors``: check, store, answer the meta fields. Raises ``ApiError``."""
        if not isinstance(body, dict):
            raise ApiError(400, "The request body must be a JSON object")
        issues = _creditor_issues(body, stored=None)
        self._accounts.check_account(account_id, body, issues)
        _activation_issues(body, issues)
        if issues:
            raise ApiError(422, insertion_failure(1), issues=issues)
        doc: dict[str, Any] = copy.deepcopy(body)
        doc.setdefault("is_active", False)
        doc.setdefault("agreement_template", DEFAULT_AGREEMENT_TEMPLATE)
        doc.update(
            _id=self._ids.object_id(now),
            creditor_number=self._accounts.next_creditor_number(),
            added_to_erp_system=False,
            _created=now,
        )
        stamp(doc, now, algorithm="sha1")
        self._docs.add(doc)
        creditor = SandboxCreditor(doc["_id"], account_id, doc["name"])
        self._accounts.register_creditor(creditor)
        return _answer(doc)

    def patch(
        self, account_id: str, creditor_id: str, if_match: str | None, body: Any, now: datetime
    ) -> dict[str, Any]:
        """``PATCH /creditors/{id}``: the answer (with the new ``_etag``). Raises ``ApiError``."""
        if not isinstance(body, dict):
            raise ApiError(400, "The request body must be a JSON object")
        stored = self._docs.owned(account_id, creditor_id)
        _check_if_match(stored, if_match)
        issues = _creditor_issues(body, stored=stored)
        merged = _merged(stored, body)
        _activation_issues(merged, issues)
        if issues:
            raise PatchRefusedError(issues)
        stored.clear()
        stored.update(merged)
        stamp(stored, now, algorithm="sha1")
        return _answer(stored)

    def delete(self, account_id: str, creditor_id: str, if_match: str | None) -> None:
        """``DELETE /creditors/{id}``: gone afterwards; an unknown id is fine (Eve's 204)."""
        if self._docs.stored_by_id(creditor_id) is None:
            return
        stored = self._docs.owned(account_id, creditor_id)
        _check_if_match(stored, if_match)
        self._docs.remove(creditor_id)
        self._accounts.forget_creditor(creditor_id)


def _check_if_match(stored: Mapping[str, Any], if_match: str | None) -> None:
    """Eve's rule: 428 without ``If-Match``; 412 unless it is the stored ``_etag``.

    Quotes and a ``W/`` prefix are dropped; ``*`` is not special.
    """
    if not if_match:
        raise ApiError(428, IF_MATCH_MISSING)
    if if_match.strip().removeprefix("W/").replace('"', "") != stored["_etag"]:
        raise ApiError(412, ETAG_MISMATCH)


def _creditor_issues(body: Mapping[str, Any], *, stored: Mapping[str, Any] | None) -> Issues:
    """Cerberus-style issues of a creditor body; ``stored`` is the creditor a PATCH changes.

    A POST needs ``name`` and ``account`` (and whole addresses); a PATCH
    needs nothing, as Eve validates it with ``update=True``.
    """
    check = _Checker()
    creating = stored is None
    check.unknown(body, _FIELDS, "")
    locked = _READ_ONLY if creating else _READ_ONLY | _CREATION_ONLY
    for name in locked & set(body):
        if body[name] != (stored or {}).get(name):
            check.add(name, "field is read-only")
    for name in _TEXT:
        check.string(body, name, name, required=creating and name in ("name", "account"))
    for name in _FLAGS:
        check.boolean(body, name, name, required=False)
    for name in _ADDRESSES:
        address = check.mapping(body, name, name, required=False)
        if address is not None:
            _check_address(check, address, name, required=creating)
    config = check.mapping(body, "case_config", "case_config", required=False)
    if config is not None:
        known = frozenset({"vat_area", "letter_config", *_CASE_CONFIG_FLAGS})
        check.unknown(config, known, "case_config.")
        check.string(config, "vat_area", "case_config.vat_area", required=False)
        for flag in _CASE_CONFIG_FLAGS:
            check.boolean(config, flag, f"case_config.{flag}", required=False)
        check.mapping(config, "letter_config", "case_config.letter_config", required=False)
    if "payout_details" in body:
        check.add("payout_details", _payout_details_problem(body["payout_details"]))
    numbers = _merged(stored or {}, body)
    if numbers.get("organization_no") and numbers.get("non_swedish_organization_no"):
        check.add("non_swedish_organization_no", "must not be present with 'organization_no'")
    return check.issues


def _check_address(check: _Checker, address: Mapping[str, Any], path: str, required: bool) -> None:
    check.unknown(address, _ADDRESS_FIELDS, f"{path}.")
    for key in ("address_line_1", "zip_code", "city"):
        check.string(address, key, f"{path}.{key}", required=required)
    check.string(address, "address_line_2", f"{path}.address_line_2", required=False)
    check.string(address, "country", f"{path}.country", required=False, check=check_country)


def _payout_details_problem(details: object) -> str | None:
    if not isinstance(details, dict):
        return "must be of dict type"
    for accounts in details.values():
        if not isinstance(accounts, dict) or not accounts:
            return "each currency needs at least one account type"
        if not all(isinstance(number, str) and number for number in accounts.values()):
            return "account numbers must be non-empty strings"
    return None


def _activation_issues(doc: Mapping[str, Any], issues: Issues) -> None:
    """The docs' activation rule (simulated wording)."""
    if doc.get("is_active") is True:
        for name in _NEEDED_TO_BE_ACTIVE:
            if not doc.get(name) and name not in issues:
                issues[name] = "required when is_active is true"


def _merged(stored: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """``stored`` with ``changes`` applied; nested objects merged, as Eve's PATCH does."""
    merged = dict(stored)
    for key, value in changes.items():
        current = merged.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            merged[key] = _merged(current, value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _answer(doc: Mapping[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = {field: doc[field] for field in _ANSWER_FIELDS}
    answer["_status"] = "OK"
    return answer
