"""Throttling of failed API-key attempts, per client address and per key prefix.

Each subject (``client`` 192.0.2.7, ``prefix`` 1a2b3c4d) has a generic cell rate
algorithm (GCRA) cell: one number, its *theoretical arrival time* ``tat``. A failed
attempt moves it to ``max(tat, now) + T`` where ``T = 60 / per_minute``; an attempt is
refused while ``tat - now > (burst - 1) * T``, and the refusal says how long to wait
(``Retry-After``). So ``burst`` failures pass at once, then one every ``T`` seconds:
with 10 a minute after a burst of 20, 1,000 guesses take at least 98 minutes.

Only failures count: a correct key costs nothing, and a subject that stops failing is
free again after ``burst * T`` seconds. The cells live in the ``auth_throttle`` table
(:class:`DatabaseCells`, shared by every gateway process on one database; a failure is
one transaction of atomic updates) or in this process (:class:`MemoryCells`). The clock
is injected (wall-clock seconds, so processes agree), which lets tests play hours of
guessing without waiting.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Float, String, case, delete, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from chain.db import Base
from chain.errors import Backpressure
from chain.settings import LedgerSettings

Clock = Callable[[], float]
#: (scope, subject): ("client", "192.0.2.7") or ("prefix", "1a2b3c4d")
Cell = tuple[str, str]
#: how many recorded failures between two sweeps of expired cells (per process)
SWEEP_EVERY = 256


class TooManyAttempts(Backpressure):
    """Too many failed API-key attempts from one client or at one key prefix."""

    code = "too-many-attempts"
    title = "Too many failed API-key attempts"


class AuthThrottleCell(Base):
    """One GCRA cell: a client address or a key prefix and its theoretical arrival time
    (Unix seconds); a cell whose ``tat`` has passed holds nothing and may be deleted."""

    __tablename__ = "auth_throttle"

    scope: Mapped[str] = mapped_column(String(8), primary_key=True)
    subject: Mapped[str] = mapped_column(String(128), primary_key=True)
    tat: Mapped[float] = mapped_column(Float)


class Cells(Protocol):
    def tats(self, cells: Iterable[Cell]) -> dict[Cell, float]:
        """The theoretical arrival time of each cell that has one."""

    def charge(self, cells: Iterable[Cell], now: float, interval: float) -> None:
        """Atomically move each cell to ``max(tat, now) + interval`` (one transaction)."""

    def sweep(self, now: float) -> None:
        """Forget cells whose tat has passed."""


class MemoryCells:
    """Cells in this process only (one gateway process, or tests)."""

    def __init__(self) -> None:
        self._tats: dict[Cell, float] = {}
        self._lock = threading.Lock()

    def tats(self, cells: Iterable[Cell]) -> dict[Cell, float]:
        with self._lock:
            return {c: self._tats[c] for c in cells if c in self._tats}

    def charge(self, cells: Iterable[Cell], now: float, interval: float) -> None:
        with self._lock:
            for cell in cells:
                self._tats[cell] = max(self._tats.get(cell, now), now) + interval

    def sweep(self, now: float) -> None:
        with self._lock:
            for cell in [c for c, tat in self._tats.items() if tat <= now]:
                del self._tats[cell]


class DatabaseCells:
    """Cells in the ``auth_throttle`` table, shared by every process on the database."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def tats(self, cells: Iterable[Cell]) -> dict[Cell, float]:
        wanted = list(cells)
        table = AuthThrottleCell
        with self.sessions() as session:
            rows = session.execute(
                select(table.scope, table.subject, table.tat).where(
                    tuple_(table.scope, table.subject).in_(wanted)
                )
            ).all()
        return {(str(scope), str(subject)): float(tat) for scope, subject, tat in rows}

    def charge(self, cells: Iterable[Cell], now: float, interval: float) -> None:
        table = AuthThrottleCell
        pending = list(cells)
        for _ in range(3):
            with self.sessions() as session, session.begin():
                missing = []
                for scope, subject in pending:
                    tat = session.execute(
                        update(table)
                        .where(table.scope == scope, table.subject == subject)
                        .values(tat=case((table.tat > now, table.tat), else_=now) + interval)
                        .returning(table.tat)
                    ).scalar()
                    if tat is None:
                        missing.append((scope, subject))
            if not missing:
                return
            try:
                with self.sessions() as session, session.begin():
                    session.add_all(
                        table(scope=scope, subject=subject, tat=now + interval)
                        for scope, subject in missing
                    )
                return
            except IntegrityError:  # another process inserted one first: update instead
                pending = missing
        raise RuntimeError(f"could not record a failed attempt for {pending}")

    def sweep(self, now: float) -> None:
        with self.sessions() as session, session.begin():
            session.execute(delete(AuthThrottleCell).where(AuthThrottleCell.tat <= now))


@dataclass(frozen=True)
class Refusal:
    """Why an attempt is refused now: the cell's scope and the seconds to wait."""

    scope: str
    retry_after: int


class AttemptLimiter:
    """Failed-attempt limits per client address and per key prefix (GCRA, see the module)."""

    def __init__(
        self,
        cells: Cells,
        *,
        per_minute: float,
        burst: int,
        clock: Clock = time.time,
    ) -> None:
        if per_minute <= 0 or burst < 1:
            raise ValueError("per_minute must be positive and burst at least 1")
        self.cells = cells
        self.per_minute = per_minute
        self.burst = burst
        self.clock = clock
        self.interval = 60.0 / per_minute
        self._failures = 0
        self._count_lock = threading.Lock()

    @classmethod
    def from_settings(
        cls, settings: LedgerSettings, sessions: sessionmaker[Session], clock: Clock = time.time
    ) -> AttemptLimiter:
        cells: Cells = (
            DatabaseCells(sessions) if settings.auth_throttle_store == "database" else MemoryCells()
        )
        return cls(
            cells,
            per_minute=settings.auth_failures_per_minute,
            burst=settings.auth_failure_burst,
            clock=clock,
        )

    @property
    def tolerance(self) -> float:
        """How far a cell's tat may run ahead of now while attempts still pass."""
        return (self.burst - 1) * self.interval

    def check(self, client: str, prefix: str) -> Refusal | None:
        """None when an attempt from ``client`` at ``prefix`` may go ahead now; otherwise
        the scope that refuses it and the whole seconds until it may."""
        now = self.clock()
        tats = self.cells.tats(_cells(client, prefix))
        worst: Refusal | None = None
        for (scope, _subject), tat in sorted(tats.items()):
            ahead = tat - now - self.tolerance
            if ahead > 0:
                wait = max(1, math.ceil(ahead - 1e-9))
                if worst is None or wait > worst.retry_after:
                    worst = Refusal(scope, wait)
        return worst

    def refuse_if_limited(self, client: str, prefix: str) -> None:
        """Raise :class:`TooManyAttempts` (429, ``Retry-After``) when :meth:`check` refuses."""
        refusal = self.check(client, prefix)
        if refusal is not None:
            raise TooManyAttempts(
                f"too many failed API-key attempts for this {refusal.scope}; "
                f"retry after {refusal.retry_after} s",
                retry_after=refusal.retry_after,
                scope=refusal.scope,
            )

    def failed(self, client: str, prefix: str) -> None:
        """Record one failed attempt against both cells."""
        now = self.clock()
        self.cells.charge(_cells(client, prefix), now, self.interval)
        with self._count_lock:
            self._failures += 1
            sweep = self._failures % SWEEP_EVERY == 0
        if sweep:
            self.cells.sweep(now)


def _cells(client: str, prefix: str) -> tuple[Cell, Cell]:
    return ("client", client[:128]), ("prefix", prefix[:128])
