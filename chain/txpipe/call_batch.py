"""Concurrent writes' ``eth_call`` runs sent to the node together, as one JSON-RPC batch.

Each write of a known shape is run once on the node before it is journaled
(:meth:`chain.txpipe.core.PipelineCore._simulate`). Under load many request threads do
this at the same moment; one HTTP round trip each cost every one of them its own request,
answer parsing and wake-ups on the node's answer. Here the first caller to find no batch
on its way sends every call queued by then (up to :data:`MAX_CALLS`), and hands each
caller its own answer: a result, or the very error the call alone would have raised (a
revert, an RPC error, the node unreachable). Calls queued meanwhile go out next, sent by
the first of them, woken for it. A call alone goes out at once: nothing waits for company.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

#: calls one batch carries at most (the rest go in the batch after)
MAX_CALLS = 64

SendCalls = Callable[[Sequence[dict[str, Any]]], Sequence["bytes | Exception"]]


class _Pending:
    __slots__ = ("answered", "error", "result", "tx", "wake")

    def __init__(self, tx: dict[str, Any]) -> None:
        self.tx = tx
        self.wake = threading.Event()
        self.answered = False
        self.result = b""
        self.error: BaseException | None = None


class CoalescedCalls:
    """``call(tx)`` as the node answers it, concurrent calls sent in one batch by
    ``send`` (each call's result, or its error, in the order of the calls)."""

    def __init__(self, send: SendCalls, max_calls: int = MAX_CALLS) -> None:
        self._send = send
        self._max = max(1, max_calls)
        self._guard = threading.Lock()
        self._queue: list[_Pending] = []
        self._sending = False
        #: batches sent and calls they carried (for tests and /metrics)
        self.batches = 0
        self.calls = 0

    def call(self, tx: dict[str, Any]) -> bytes:
        """The node's answer to ``eth_call`` of ``tx``; its error raised as is."""
        me = _Pending(tx)
        with self._guard:
            self._queue.append(me)
            lead = not self._sending
            self._sending = True
        while True:
            if lead:
                self._send_next(me)
            else:
                me.wake.wait()
                me.wake.clear()
            if me.answered:
                if me.error is not None:
                    raise me.error
                return me.result
            lead = True  # still queued after its batch, or woken to send the next one

    def _send_next(self, me: _Pending) -> None:
        """Send the queued calls (up to the limit) and answer each. Then the next batch
        is the caller's to send if its own call is still queued (more than the limit were),
        else the first call still queued is woken to send it; with none queued, no batch is
        on its way."""
        with self._guard:
            batch, self._queue = self._queue[: self._max], self._queue[self._max :]
        try:
            outcomes: Sequence[bytes | BaseException] = self._send([p.tx for p in batch])
            if len(outcomes) != len(batch):
                raise RuntimeError(f"{len(outcomes)} answers to a batch of {len(batch)} calls")
        except BaseException as exc:  # the batch as a whole failed: each call raises it
            outcomes = [exc] * len(batch)
        self.batches += 1
        self.calls += len(batch)
        for pending, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                pending.error = outcome
            else:
                pending.result = outcome
            pending.answered = True
            pending.wake.set()
        with self._guard:
            if not self._queue:
                self._sending = False
            elif me.answered:
                self._queue[0].wake.set()  # it sends the next batch
