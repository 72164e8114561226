"""amili-async: the async Python SDK for the Amili debt-collection API.

::

    from amili_async import AmiliClient

    async with AmiliClient(api_key="...") as client:
        registration = await client.case_registrations.create({...})
        await client.media.upload(registration.cases[0], "invoice.pdf")
        case = await client.cases.get(registration.cases[0])

Runs on asyncio and trio. ``amili_async.sandbox`` (the ``sandbox`` extra) is
an offline simulator of the API for demos and tests.
"""

from . import errors
from ._api_code import ApiCodeAuth
from ._auth import AccessToken, RefreshingTokenProvider, StaticKey, TokenProvider
from ._bulk import (
    BulkJob,
    BulkProgress,
    CaseResult,
    CaseUpdate,
    OutcomeStatus,
    RegistrationOutcome,
)
from ._client import DEFAULT_BASE_URL, AmiliClient
from ._clock import Clock, ManualClock, SystemClock
from ._journal import Journal, JournalEntry, JournalState
from ._pagination import AsyncPager, Page
from ._ratelimit import RateLimit
from ._retry import RetryPolicy
from ._validation import compact_id_number, mask_id_number
from ._version import __version__
from .errors import (
    AmiliError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    ConnectError,
    NotFoundError,
    OutcomeUnknownError,
    PermissionDeniedError,
    PreviouslyFailedError,
    RateLimitError,
    RequestTimeoutError,
    RequestValidationError,
    ServerError,
    TransportError,
    UnprocessableEntityError,
    WaitTimeoutError,
)
from .models import (
    Address,
    Case,
    CaseDebt,
    CaseRegistration,
    CaseSettings,
    CaseState,
    CaseStatus,
    Closed,
    CloseReason,
    CreditorPayment,
    Customer,
    Debt,
    FeesAlreadyClaimed,
    FeesIncludedInCapital,
    FirstAction,
    InterestRateSettings,
    Limitation,
    MediaUpload,
    NewCaseRegistration,
    NewCreditorPayment,
    NextFlowItem,
    OriginalInvoice,
    PaymentStatus,
    ReminderFee,
    ServiceEntry,
    StateChange,
    StatusChange,
    Transaction,
    TransactionOrigin,
    TransactionType,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "APIStatusError",
    "AccessToken",
    "Address",
    "AmiliClient",
    "AmiliError",
    "ApiCodeAuth",
    "AsyncPager",
    "AuthenticationError",
    "BadRequestError",
    "BulkJob",
    "BulkProgress",
    "Case",
    "CaseDebt",
    "CaseRegistration",
    "CaseResult",
    "CaseSettings",
    "CaseState",
    "CaseStatus",
    "CaseUpdate",
    "Clock",
    "CloseReason",
    "Closed",
    "ConfigurationError",
    "ConflictError",
    "ConnectError",
    "CreditorPayment",
    "Customer",
    "Debt",
    "FeesAlreadyClaimed",
    "FeesIncludedInCapital",
    "FirstAction",
    "InterestRateSettings",
    "Journal",
    "JournalEntry",
    "JournalState",
    "Limitation",
    "ManualClock",
    "MediaUpload",
    "NewCaseRegistration",
    "NewCreditorPayment",
    "NextFlowItem",
    "NotFoundError",
    "OriginalInvoice",
    "OutcomeStatus",
    "OutcomeUnknownError",
    "Page",
    "PaymentStatus",
    "PermissionDeniedError",
    "PreviouslyFailedError",
    "RateLimit",
    "RateLimitError",
    "RefreshingTokenProvider",
    "RegistrationOutcome",
    "ReminderFee",
    "RequestTimeoutError",
    "RequestValidationError",
    "RetryPolicy",
    "ServerError",
    "ServiceEntry",
    "StateChange",
    "StaticKey",
    "StatusChange",
    "SystemClock",
    "TokenProvider",
    "Transaction",
    "TransactionOrigin",
    "TransactionType",
    "TransportError",
    "UnprocessableEntityError",
    "WaitTimeoutError",
    "__version__",
    "compact_id_number",
    "errors",
    "mask_id_number",
]
