"""Sending in the background: a write is answered once it is journaled; its signed bytes
go to the node from here, in nonce order per signer.

The journal commit is what a write's acknowledgement rests on (the operation, its nonce
and its signed bytes are durable then, and ``reconcile`` sends them on the next start
when this process dies first). What the node says about the bytes is the receipt
tracker's business either way, so a client need not wait for the send: while anvil or a
geth node mines a block it holds its state, and every send then waits for the block.

Per signer, the bursts its journal lock let through are queued in that (nonce) order and
sent by one drain at a time, which takes every burst queued meanwhile in one JSON-RPC
batch. Drains run on a few daemon threads shared by every signer.

A signer's drains start at least ``spacing`` apart (20 ms): a send that would follow the
last one sooner is due when that time is up, and takes everything queued meanwhile.
Writes arriving a few milliseconds apart then share one request to the node instead of
one each (each request costs the gateway a thread wake-up, an HTTP round trip and a JSON
answer, and the node as much again), for at most ``spacing`` more on their way to a
block. No answer waits for it: a write answered once journaled is answered before its
send, and a burst that must go after the signer's queued transactions
(:meth:`SendQueues.wait_sent`) makes the signer's drain due at once.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from chain.txpipe.models import PENDING

log = logging.getLogger("ledger.txpipe")

#: threads that run drains (one signer's at a time each)
SEND_WORKERS = 2
#: seconds at least between the starts of two drains of one signer (the module's docstring)
SEND_SPACING = 0.02


@dataclass(eq=False)
class Outgoing:
    """A journaled transaction on its way to the node (not the operation a client got
    back: the send marks this one ``sent``)."""

    id: str
    raw_tx: bytes
    state: str = PENDING


class SendQueues:
    """Per signer, journaled transactions waiting to be sent, in the order they were
    put; ``send(account, items)`` is called for one signer at a time, with everything
    queued for it since its last call.

    A signer with something queued is due for a drain: at once when it has not sent for
    ``spacing`` seconds (or someone waits for its sends), else when that time is up. The
    worker threads take the signers in the order they fall due; a signer waiting out its
    spacing holds no thread."""

    def __init__(
        self,
        send: Callable[[str, list[Outgoing]], None],
        workers: int = SEND_WORKERS,
        spacing: float = SEND_SPACING,
    ) -> None:
        self._send = send
        self._workers = max(1, workers)
        self._spacing = spacing
        self._queued: dict[str, list[Outgoing]] = {}
        #: signers with a drain due or running (one each)
        self._draining: set[str] = set()
        lock = threading.Lock()
        #: what was sent (for :meth:`wait_sent` and :meth:`wait_idle`)
        self._changed = threading.Condition(lock)
        #: a drain fell due or became urgent (for one idle worker; the same lock)
        self._due_changed = threading.Condition(lock)
        #: (when due, order of arrival, signer): the drains not taken by a worker yet
        self._due: list[tuple[float, int, str]] = []
        self._arrivals = itertools.count()
        self._threads: list[threading.Thread] = []
        #: per signer: transactions queued so far, and handed to the node (or failed)
        self._put: dict[str, int] = {}
        self._done: dict[str, int] = {}
        #: per signer: when its last drain began to send, and who waits for its sends
        self._last_send: dict[str, float] = {}
        self._waiting: dict[str, int] = {}

    def put(self, account: str, items: Sequence[Outgoing]) -> int:
        """Queue ``items`` (in nonce order) for ``account``. Call it in nonce order: under
        the signer's journal lock. How many were queued for ``account`` so far, these
        included (see :meth:`wait_sent`)."""
        with self._changed:
            through = self._put.get(account, 0) + len(items)
            self._put[account] = through
            if not items:
                return through
            self._queued.setdefault(account, []).extend(items)
            if account in self._draining:  # its drain takes them on its next round
                return through
            self._draining.add(account)
            self._schedule(account)
            if len(self._threads) < self._workers:
                thread = threading.Thread(
                    target=self._work, name=f"txpipe-send-{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
        return through

    def _schedule(self, account: str) -> None:
        """Under the lock: ``account``'s next drain, due once its spacing is up."""
        last = self._last_send.get(account)
        due = time.monotonic() if last is None else last + self._spacing
        heapq.heappush(self._due, (due, next(self._arrivals), account))
        self._due_changed.notify()  # one idle worker looks again (not every one)

    def busy(self, account: str) -> bool:
        """Whether ``account`` has transactions queued or being sent (asked under its
        journal lock, nothing is queued for it meanwhile: when not, everything queued
        for it before was handed to the node)."""
        with self._changed:
            return account in self._draining

    def wait_sent(self, account: str, through: int) -> None:
        """Wait until the drains of ``account`` handed the node everything up to what
        :meth:`put` returned as ``through`` (a send that failed counts: its transactions
        are the receipt tracker's to send again). Its drain waiting out its spacing is
        due at once."""
        with self._changed:
            self._waiting[account] = self._waiting.get(account, 0) + 1
            self._due_changed.notify()
            try:
                self._changed.wait_for(lambda: self._done.get(account, 0) >= through)
            finally:
                self._waiting[account] -= 1
                if not self._waiting[account]:
                    del self._waiting[account]

    def wait_idle(self, timeout: float) -> bool:
        """Wait until everything queued was sent (or ``timeout`` passes); whether it was."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._draining, timeout)

    @property
    def queued(self) -> int:
        """Transactions queued and not yet taken by a drain."""
        with self._changed:
            return sum(len(items) for items in self._queued.values())

    def _next_due(self) -> str:
        """Under the lock: wait for a signer whose drain is due and take it (one
        somebody waits for first)."""
        while True:
            now = time.monotonic()
            for index, (_, _, account) in enumerate(self._due):
                if self._waiting.get(account):
                    self._due[index] = self._due[-1]
                    self._due.pop()
                    heapq.heapify(self._due)
                    return account
            if self._due and self._due[0][0] <= now:
                return heapq.heappop(self._due)[2]
            self._due_changed.wait(self._due[0][0] - now if self._due else None)

    def _work(self) -> None:
        while True:
            with self._changed:
                account = self._next_due()
                items = self._queued.pop(account, [])
                self._last_send[account] = time.monotonic()
            try:
                self._send(account, items)
            except Exception:  # they stay pending: the receipt tracker sends them again
                log.exception("sending %d journaled transactions of %s failed", len(items),
                              account)  # fmt: skip
            finally:
                with self._changed:
                    self._done[account] = self._done.get(account, 0) + len(items)
                    if self._queued.get(account):
                        self._schedule(account)  # queued while it was sent
                    else:
                        self._queued.pop(account, None)
                        self._draining.discard(account)
                    self._changed.notify_all()
