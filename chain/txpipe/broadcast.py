"""Broadcast: send the journaled signed bytes; a failure leaves the operation pending
for the tracker (or ``reconcile``) to send the same bytes again."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Table, bindparam, update

from chain.txpipe.core import log
from chain.txpipe.dispatch import Outgoing, SendQueues
from chain.txpipe.journal import Journal
from chain.txpipe.models import IN_FLIGHT, PENDING, SENT, Operation, utcnow
from chain.txpipe.tracked import TrackedOp

_ALREADY_KNOWN = ("already known", "known transaction", "already imported", "already exists")
_NONCE_TOO_LOW = ("nonce too low", "nonce is too low", "oldnonce", "old nonce")


#: most operations the background sender leaves unmarked before it marks them itself
MARK_SENT_BATCH = 64

_OPERATIONS: Table = Operation.__table__  # type: ignore[assignment]
#: operations the node took: ``sent``, one more broadcast, no error (built once)
_MARK_SENT = (
    update(_OPERATIONS)
    .where(
        _OPERATIONS.c.id.in_(bindparam("ids", expanding=True)),
        _OPERATIONS.c.state.in_(IN_FLIGHT),
    )
    .values(
        state=SENT,
        broadcasts=_OPERATIONS.c.broadcasts + 1,
        error_code=None,
        error_detail=None,
        updated_at=bindparam("now"),
    )
)


class Sendable(Protocol):
    """What a send needs of a journaled transaction (an :class:`Operation` or an
    :class:`Outgoing`); the send sets its ``state``."""

    id: str
    raw_tx: bytes
    state: str


@dataclass(frozen=True)
class Queued:
    """Journaled operations handed to the background sender: the signer, how many were
    queued for it through these (:meth:`SendQueues.put`), and the operations with their
    :class:`Outgoing` (whose ``state`` the send sets)."""

    account: str
    through: int
    ops: list[Operation]
    outgoing: list[Outgoing]


class Broadcaster(Journal):
    """Sends journaled transactions."""

    def _broadcast(self, op: TrackedOp) -> str:
        """Send the journaled bytes; the op's new state (still ``pending`` on failure)."""
        try:
            self.rpc.send_raw(op.raw_tx)
        except Exception as exc:
            message = str(exc).lower()
            if any(m in message for m in _ALREADY_KNOWN):
                self._mark(op.id, SENT)
                return SENT
            if any(m in message for m in _NONCE_TOO_LOW):
                # mined already (ours) or taken by another transaction: the tracker decides
                self._mark(op.id, SENT, error=("nonce-too-low", str(exc)[:500]))
                return SENT
            log.warning("broadcast of operation %s failed (%s); it stays pending for re-send",
                        op.id, type(exc).__name__)  # fmt: skip
            self._mark(op.id, PENDING, error=("broadcast-failed", str(exc)[:500]))
            return PENDING
        self._mark_sent([op.id])
        op.state = SENT
        self._last_checked[op.id] = time.monotonic()  # the tracker asks the node later
        return SENT

    def _broadcast_many(self, ops: Sequence[TrackedOp]) -> None:
        """Send journaled transactions (in nonce order) and mark the ones the node took."""
        self._mark_sent(self._send(ops))

    def _queue_for_send(self, account: str, ops: Sequence[Operation]) -> Queued:
        """Hand journaled operations (in nonce order, under the signer's journal lock) to
        the background sender (:mod:`chain.txpipe.dispatch`); until they are sent and
        marked they are in ``_in_send`` (the tracker leaves them alone). What
        :meth:`_wait_queued_sent` waits for to see them handed to the node."""
        with self._locks_guard:
            if self._outbox is None:
                self._outbox = SendQueues(self._send_queued)
            outbox = self._outbox
        self._in_send.update(op.id for op in ops)
        outgoing = [Outgoing(op.id, op.raw_tx) for op in ops]
        return Queued(account, outbox.put(account, outgoing), list(ops), outgoing)

    def _sending_in_background(self, account: str) -> bool:
        """Whether the background sender has transactions of ``account`` to send (asked
        under its journal lock: a burst journaled now goes after them)."""
        outbox = self._outbox
        return outbox is not None and outbox.busy(account)

    def _wait_queued_sent(self, queued: Queued) -> None:
        """Wait until the background sender handed the node what was ``queued`` (and the
        signer's transactions queued before), then mark what the node took ``sent`` at
        once and say so on the operations: a client answered now gets what the journal
        holds (not ``pending`` until the tracker's next poll)."""
        if self._outbox is not None:
            self._outbox.wait_sent(queued.account, queued.through)
        self.mark_sent_now()
        for op, item in zip(queued.ops, queued.outgoing, strict=True):
            if item.state == SENT:
                op.state = SENT

    def _send_queued(self, account: str, items: list[Outgoing]) -> None:
        """A drain of the background sender: send under the signer's send lock (a re-send
        by the tracker waits for it). What the node took is marked ``sent`` with what
        other drains sent meanwhile (:meth:`mark_sent_now`: one UPDATE for up to
        ``MARK_SENT_BATCH``, not one writer turn of the store per drain); the rest is
        ``pending`` with its error already, the tracker's to send again."""
        taken: list[str] = []
        try:
            with self._sending(account):
                taken = self._send(items)
        finally:
            marked_later = set(taken)
            self._in_send.difference_update(i.id for i in items if i.id not in marked_later)
        with self._unmarked_guard:
            self._unmarked.extend(taken)
            full = len(self._unmarked) >= MARK_SENT_BATCH
        if full:
            self.mark_sent_now()

    def mark_sent_now(self) -> int:
        """Mark ``sent`` (one UPDATE) what the background sender handed to the node since
        the last call; the receipt tracker calls it between its polls. How many."""
        with self._unmarked_guard:
            ids, self._unmarked = self._unmarked, []
        if not ids:
            return 0
        try:
            self._mark_sent(ids)
        except Exception as exc:  # the tracker marks them when it finds the node has them
            log.warning("marking %d operations sent failed (%s); the receipt tracker "
                        "settles them", len(ids), type(exc).__name__)  # fmt: skip
        finally:
            self._in_send.difference_update(ids)
        return len(ids)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every write answered so far was handed to the node and marked (or
        ``timeout`` passes); whether it was. On close: what is left is sent by
        ``reconcile`` on the next start."""
        outbox = self._outbox
        idle = outbox is None or outbox.wait_idle(timeout)
        self.mark_sent_now()
        return idle

    def _send(self, ops: Sequence[Sendable]) -> list[str]:
        """Send journaled transactions in nonce order: one JSON-RPC batch (a lone one
        plainly). Refusals are recorded here (they stay ``pending`` for re-send); returns
        the ids the node took, for :meth:`_mark_sent` (which need not wait for the next
        send: the order of the marks does not matter)."""
        if not ops:
            return []
        try:
            if len(ops) == 1:
                self.rpc.send_raw(ops[0].raw_tx)
                outcomes: list[Exception | None] = [None]
            else:
                outcomes = self.rpc.send_raw_many([op.raw_tx for op in ops])
        except Exception as failure:  # the node does not answer: every one stays pending
            outcomes = [failure] * len(ops)
        taken: list[str] = []
        now = time.monotonic()
        for op, exc in zip(ops, outcomes, strict=True):
            message = "" if exc is None else str(exc).lower()
            if exc is None or any(m in message for m in _ALREADY_KNOWN):
                taken.append(op.id)
                op.state = SENT
                # the node has it: the tracker asks whether it still does only after
                # ``resend_after`` (not with one eth_getTransactionByHash per write at once)
                self._last_checked[op.id] = now
            elif any(m in message for m in _NONCE_TOO_LOW):
                self._mark(op.id, SENT, error=("nonce-too-low", str(exc)[:500]))
                op.state = SENT
            else:
                log.warning("broadcast of operation %s failed (%s); it stays pending for "
                            "re-send", op.id, type(exc).__name__)  # fmt: skip
                self._mark(op.id, PENDING, error=("broadcast-failed", str(exc)[:500]))
        return taken

    def _mark_sent(self, op_ids: list[str]) -> None:
        """The node took these in-flight operations (one statement, one commit)."""
        if not op_ids:
            return
        with self._writing() as session:
            session.execute(_MARK_SENT, {"ids": op_ids, "now": utcnow()})
