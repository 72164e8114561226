"""What every write of the sandbox works on, handed to each writer as one object."""

from __future__ import annotations

from collections import Counter

import attrs

from ._accounts import Accounts
from ._collections import Cases
from ._ids import IdFactory
from ._lifecycle import Lifecycle

__all__ = ["WriteContext", "Writer"]


@attrs.frozen
class WriteContext:
    """The parts of :class:`~._state.SandboxState` that registrations and payments share.

    ``created`` counts the documents created per collection, stored or not.
    """

    ids: IdFactory
    accounts: Accounts
    cases: Cases
    lifecycle: Lifecycle
    created: Counter[str]


class Writer:
    """Base of the writers: unpacks the shared :class:`WriteContext`.

    A writer's methods run with the state's lock held and the life cycle caught up.
    """

    def __init__(self, context: WriteContext) -> None:
        self._ids = context.ids
        self._accounts = context.accounts
        self._cases = context.cases
        self._lifecycle = context.lifecycle
        self._created = context.created
