"""One service module per resource, mirroring ``amili_async.models``."""

from .case_registrations import CaseRegistrations
from .cases import Cases
from .creditor_payments import CreditorPayments
from .media import Media

__all__ = ["CaseRegistrations", "Cases", "CreditorPayments", "Media"]
