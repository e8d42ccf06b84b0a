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
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from chain.txpipe.models import PENDING

log = logging.getLogger("ledger.txpipe")

#: threads that run drains (one signer's at a time each)
SEND_WORKERS = 2


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
    queued for it since its last call."""

    def __init__(
        self, send: Callable[[str, list[Outgoing]], None], workers: int = SEND_WORKERS
    ) -> None:
        self._send = send
        self._workers = max(1, workers)
        self._queued: dict[str, list[Outgoing]] = {}
        #: signers with a drain queued or running (one each)
        self._draining: set[str] = set()
        self._changed = threading.Condition()
        self._ready: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        #: per signer: transactions queued so far, and handed to the node (or failed)
        self._put: dict[str, int] = {}
        self._done: dict[str, int] = {}

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
            if len(self._threads) < self._workers:
                thread = threading.Thread(
                    target=self._work, name=f"txpipe-send-{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
        self._ready.put(account)
        return through

    def busy(self, account: str) -> bool:
        """Whether ``account`` has transactions queued or being sent (asked under its
        journal lock, nothing is queued for it meanwhile: when not, everything queued
        for it before was handed to the node)."""
        with self._changed:
            return account in self._draining

    def wait_sent(self, account: str, through: int) -> None:
        """Wait until the drains of ``account`` handed the node everything up to what
        :meth:`put` returned as ``through`` (a send that failed counts: its transactions
        are the receipt tracker's to send again)."""
        with self._changed:
            self._changed.wait_for(lambda: self._done.get(account, 0) >= through)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until everything queued was sent (or ``timeout`` passes); whether it was."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._draining, timeout)

    @property
    def queued(self) -> int:
        """Transactions queued and not yet taken by a drain."""
        with self._changed:
            return sum(len(items) for items in self._queued.values())

    def _work(self) -> None:
        while True:
            self._drain(self._ready.get())

    def _drain(self, account: str) -> None:
        while True:
            with self._changed:
                items = self._queued.pop(account, [])
                if not items:
                    self._draining.discard(account)
                    self._changed.notify_all()
                    return
            try:
                self._send(account, items)
            except Exception:  # they stay pending: the receipt tracker sends them again
                log.exception("sending %d journaled transactions of %s failed", len(items),
                              account)  # fmt: skip
            finally:
                with self._changed:
                    self._done[account] = self._done.get(account, 0) + len(items)
                    self._changed.notify_all()
