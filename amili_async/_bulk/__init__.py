"""Many requests at once: bulk registration, reading many cases, and following cases.

* :mod:`._jobs`: the job machinery every bulk call shares: :class:`BulkJob`
  (the ``async with`` lifetime), progress, and a bounded pool over a lazy input;
* :mod:`._results`: what a bulk call yields, one value per item;
* :mod:`._registering`: the registration engine behind ``create_many``, with
  its journal;
* :mod:`._actions`: the same for creditings, cancellations and invoice
  registrations (``create_many`` of those services);
* :mod:`._polling`: ``get_many``, ``watch`` and ``wait_for`` on cases.

The engines take what they call back into (the service's bound methods) and
the client's clock as arguments: this package never imports ``services``.
"""

from ._jobs import BulkJob, BulkProgress, ProgressCallback
from ._polling import UntilArg
from ._results import ActionOutcome, CaseResult, CaseUpdate, OutcomeStatus, RegistrationOutcome

__all__ = [
    "ActionOutcome",
    "BulkJob",
    "BulkProgress",
    "CaseResult",
    "CaseUpdate",
    "OutcomeStatus",
    "ProgressCallback",
    "RegistrationOutcome",
    "UntilArg",
]
