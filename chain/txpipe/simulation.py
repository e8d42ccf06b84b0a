"""Simulation bursts: the writes waiting to be simulated go to the node together.

Every write is simulated (``eth_call`` + ``eth_estimateGas``) before it is journaled. A
few simulations run at a time (``max_concurrent_submits``: Python threads contend for
the GIL); the others used to queue for a turn, one HTTP round trip each. Now whoever gets
a turn takes every simulation queued meanwhile and sends them in one JSON-RPC batch: one
round trip and one response to parse for the lot, each write still getting its own
answer (a revert, an estimate)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: most simulations sent in one JSON-RPC batch
MAX_SIMULATIONS = 64


@dataclass(eq=False)
class Simulation:
    """One call waiting for its simulation."""

    call: dict[str, Any]
    done: threading.Event = field(default_factory=threading.Event)
    outcome: int | Exception | None = None


class SimulationQueue:
    """Queued simulations, run in batches by whoever holds one of ``slots``."""

    def __init__(
        self,
        slots: threading.BoundedSemaphore,
        run: Callable[[list[dict[str, Any]]], list[int | Exception]],
    ) -> None:
        self._slots = slots
        self._run = run
        self._queue: list[Simulation] = []
        self._guard = threading.Lock()

    def estimate(self, call: dict[str, Any]) -> int:
        """The node's gas estimate of ``call``; raises what the node answered for it."""
        mine = Simulation(call)
        with self._guard:
            self._queue.append(mine)
        while not mine.done.is_set():
            with self._slots:
                with self._guard:
                    batch = self._queue[:MAX_SIMULATIONS]
                    del self._queue[:MAX_SIMULATIONS]
                if batch:
                    self._simulate(batch)
            if not batch:  # another turn took this call: it is on its way
                mine.done.wait()
        outcome = mine.outcome
        if isinstance(outcome, Exception):
            raise outcome
        assert outcome is not None
        return outcome

    def _simulate(self, batch: list[Simulation]) -> None:
        try:
            outcomes = self._run([s.call for s in batch])
        except Exception as exc:  # the node does not answer: every call gets that
            outcomes = [exc] * len(batch)
        for simulation, outcome in zip(batch, outcomes, strict=True):
            simulation.outcome = outcome
            simulation.done.set()
