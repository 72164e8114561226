"""One service module per resource, mirroring ``amili_async.models``."""

from .case_registrations import CaseRegistrations
from .cases import Cases
from .creditor_cancellations import CreditorCancellations
from .creditor_creditings import CreditorCreditings
from .creditor_payments import CreditorPayments
from .invoice_registrations import InvoiceRegistrations
from .media import Media

__all__ = [
    "CaseRegistrations",
    "Cases",
    "CreditorCancellations",
    "CreditorCreditings",
    "CreditorPayments",
    "InvoiceRegistrations",
    "Media",
]
