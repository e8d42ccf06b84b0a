"""Operations by state for ``GET /metrics``, at a cost that does not grow with the journal.

A monitoring system scrapes ``/metrics`` every few seconds for as long as the gateway
runs. Counting every state then reads an index entry for every operation ever journaled,
a cost that grows with each write. The in-flight states (``pending``, ``sent``) are what
an operator watches move; they are counted at each scrape along the state index (as many
entries as are in flight). The settled states only grow; they are counted again at most
every ``max_age`` seconds (a minute), so between two counts they may lag by what settled
meanwhile."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy import Select, Table, func, select
from sqlalchemy.orm import Session, sessionmaker

from chain.txpipe.models import IN_FLIGHT, TERMINAL, Operation

#: seconds a count of the settled operations is served before it is counted again
SETTLED_COUNT_SECONDS = 60.0

_OPERATIONS: Table = Operation.__table__  # type: ignore[assignment]


def _by_state(states: tuple[str, ...]) -> Select[str, int]:
    return (
        select(_OPERATIONS.c.state, func.count())
        .where(_OPERATIONS.c.state.in_(states))
        .group_by(_OPERATIONS.c.state)
    )


_IN_FLIGHT = _by_state(IN_FLIGHT)
_SETTLED = _by_state(TERMINAL)


class StateCounts:
    """``counts()``: operations by state, the settled ones counted at most every
    ``max_age`` seconds (the module's docstring)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        max_age: float = SETTLED_COUNT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessions = sessions
        self._max_age = max_age
        self._clock = clock
        self._settled: dict[str, int] = {}
        self._counted_at: float | None = None
        self._guard = threading.Lock()

    def counts(self) -> dict[str, int]:
        """Operations by state (states with none left out)."""
        now = self._clock()
        with self._sessions() as session:
            counts = {str(s): int(n) for s, n in session.execute(_IN_FLIGHT)}
            with self._guard:
                stale = self._counted_at is None or now - self._counted_at >= self._max_age
            if stale:
                settled = {str(s): int(n) for s, n in session.execute(_SETTLED)}
                with self._guard:
                    self._settled, self._counted_at = settled, now
        with self._guard:
            counts.update(self._settled)
        return counts
