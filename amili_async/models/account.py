"""Accounts: the customer of Amili that creditors belong to (``/accounts``).

A response model only: apart from ``id`` every field may be missing (a
``projection``, an older record) and then reads as ``None``. Unknown fields
are ignored.
"""

from __future__ import annotations

from attrs import frozen

from ._base import EveDocument
from .case import CaseSettings
from .case_registration import RegisteredAddress

__all__ = ["Account"]


@frozen
class Account(EveDocument):
    """A stored account (``GET /accounts``, ``GET /accounts/{id}``).

    Each account has one agreement (``agreement_template``) and at least one
    creditor. Partners create accounts with their first creditor through the
    Partner API; a creditor system only reads its own.
    """

    name: str | None = None
    description: str | None = None
    organization_no: str | None = None
    standard_debt_description: str | None = None
    agreement_template: str | None = None
    agreement_address: RegisteredAddress | None = None
    access_group_template: str | None = None
    partner: str | None = None
    case_settings: CaseSettings | None = None
