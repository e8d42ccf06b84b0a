"""Conditions a write must meet when it is journaled, checked in the database transaction
that journals it: two writes in flight at once cannot both pass a condition that only
one of them may (a catalogue code registered twice), as they could when each checked it
before its write was journaled."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from sqlalchemy.orm import Session


class JournalGuard(ABC):
    """The condition of one write. It is checked after the write's idempotency key (a
    replay is not checked again) and before the write takes a nonce: a refused write is
    answered with the guard's error and nothing of it is journaled.

    The guards of one class in a burst are checked together, in one call of
    :meth:`refusals` (one query for the burst)."""

    @classmethod
    @abstractmethod
    def refusals(
        cls, session: Session, guards: Sequence[JournalGuard]
    ) -> list[BaseException | None]:
        """For each guard of ``guards`` (all of this class, in the burst's order): the error
        its write is refused with, or None. A guard that passes holds what it checked
        against the guards after it in the same call."""
