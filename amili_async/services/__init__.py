"""One service module per resource, mirroring ``amili_async.models``."""

from .accounts import Accounts
from .case_registrations import CaseRegistrations
from .cases import Cases
from .creditor_cancellations import CreditorCancellations
from .creditor_creditings import CreditorCreditings
from .creditor_payments import CreditorPayments
from .creditors import Creditors
from .customers import Customers
from .finance_payout_specifications import FinancePayoutSpecifications
from .finance_payouts import FinancePayouts
from .invoice_registrations import InvoiceRegistrations
from .media import Media

__all__ = [
    "Accounts",
    "CaseRegistrations",
    "Cases",
    "CreditorCancellations",
    "CreditorCreditings",
    "CreditorPayments",
    "Creditors",
    "Customers",
    "FinancePayoutSpecifications",
    "FinancePayouts",
    "InvoiceRegistrations",
    "Media",
]
