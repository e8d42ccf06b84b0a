"""Receipts and reconciliation: settle mined operations, re-send what the node lacks.

A node that restarts from an older state (anvil after ``kill -9`` reloads the state it
saved up to one interval earlier) or a reorg takes mined transactions away. The tracker
remembers the head it saw last; when that block is gone or has another hash, every
operation settled in a block that is no longer on the chain goes back to ``pending``
and the same signed bytes are sent again, so it is on chain exactly once in the end.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, or_, select, update

from chain.errors import revert_from_exception
from chain.txpipe.broadcast import Broadcaster
from chain.txpipe.core import log
from chain.txpipe.models import (
    DROPPED,
    IN_FLIGHT,
    MINED,
    PENDING,
    REVERTED,
    SENT,
    Operation,
    utcnow,
)
from chain.txpipe.rpc import NodeUnreachable, RevertError
from chain.txpipe.tracked import Tracked, TrackedOp, read_in_flight

#: on start, and when the head moved back, settled operations of this many blocks below
#: the head (and any above it) are checked against the chain
ROLLBACK_WINDOW_BLOCKS = 256
#: most blocks whose receipts one poll reads in bulk (new blocks since the last poll)
RECEIPT_SCAN_BLOCKS = 64
#: how far back from the head the tracker looks for the transaction that used a nonce
NONCE_SCAN_BLOCKS = 1024
#: operations settled per database transaction (see ``_apply_receipts``)
SETTLE_CHUNK = 32
#: blocks mined after the tracker first saw a signer's next nonce in flight, without it,
#: before the tracker asks the node whether it still holds that transaction (sooner than
#: ``resend_after``: every later write of the signer waits behind it). One: a node that
#: holds a ready transaction puts it in its next block (one that arrived during the
#: block's assembly is asked about and found known: one eth_getTransactionByHash)
STALL_BLOCKS = 1
#: what an operation taken off the chain forgets: it is in flight again
_UNSETTLED: dict[str, Any] = {
    "state": PENDING, "block_number": None, "block_hash": None, "receipt_status": None,
    "gas_used": None, "events": [],
}  # fmt: skip


class ReceiptTracking(Broadcaster):
    """Tracks receipts of in-flight operations."""

    def poll_once(self) -> int:
        """Track receipts of in-flight operations and re-send what the node lacks.

        Returns how many operations reached a final state.
        """
        self.mark_sent_now()  # what the background sender handed over: the tracker's now
        if not self._watch_head():
            return 0
        read_at = time.monotonic()
        with self.sessions() as session:
            ops = read_in_flight(session, self.chain_id, limit=5000)
        finished = 0
        if ops and self.confirmations == 0:
            mined = self._receipts_of_new_blocks({op.tx_hash.lower() for op in ops})
            if mined:
                finished += self._apply_receipts(
                    [(op, mined[op.tx_hash.lower()]) for op in ops if op.tx_hash.lower() in mined]
                )
                ops = [op for op in ops if op.tx_hash.lower() not in mined]
        by_signer: dict[str, list[Tracked]] = {}
        for op in ops:
            by_signer.setdefault(op.signer, []).append(op)
        #: operations whose nonce the chain has used but whose receipt it does not return
        unanswered: list[TrackedOp] = []
        blocking: dict[str, int] = {}
        for signer, group in by_signer.items():
            try:
                mined_count = self.rpc.nonce(signer, "latest")
            except Exception as exc:
                log.warning("receipt tracker cannot reach the chain: %s", type(exc).__name__)
                return finished
            try:
                used = [op for op in group if op.nonce < mined_count]
                settled_ids = self._settle_many(used)
                finished += len(settled_ids)
                for op in group:
                    if op.nonce < mined_count:
                        if op.id not in settled_ids and self._due(op, "owner"):
                            unanswered.append(op)
                    elif op.nonce == mined_count:
                        stalled = self._stalled(op, blocking) or self._missed_block(op)
                        if (
                            self._resend_if_unknown(op, stalled=stalled, read_at=read_at)
                            and stalled
                        ):
                            # the node lost the signer's next nonce and took it again: what
                            # it took after it may be lost too (one batch; what it holds it
                            # answers as known)
                            later = [o for o in group if o.nonce > op.nonce]
                            log.warning(
                                "nonce %d of %s was not on the node a block after it was "
                                "sent (operation %s): sent again, with its %d later writes",
                                op.nonce, signer, op.id, len(later),
                            )  # fmt: skip
                            self._resend_all(signer, later)
                            break
                    else:
                        self._resend_if_unknown(op, read_at=read_at)
            except NodeUnreachable:  # the node went away during the poll: wait for it
                log.warning("receipt tracker lost the chain node during a poll")
                self._node_down = True
                return finished
        self._blocking_since = blocking
        if unanswered:
            try:
                finished += self._settle_used_nonces(unanswered)
            except NodeUnreachable:
                log.warning("receipt tracker lost the chain node during a poll")
                self._node_down = True
        return finished

    def head_moved(self) -> bool:
        """Whether the node's head number is not the one the last poll saw (one
        ``eth_blockNumber``). False while the node is down or does not answer: the
        tracker's regular polls notice when it is back."""
        seen = self._seen_head
        if seen is None or self._node_down:
            return False
        try:
            return self.rpc.block_number() != seen[0]
        except Exception:
            return False

    def _receipts_of_new_blocks(self, wanted: set[str]) -> dict[str, dict[str, Any]]:
        """Receipts of the wanted transactions in the blocks mined since the last poll
        (at most ``RECEIPT_SCAN_BLOCKS``), one ``eth_getBlockReceipts`` per block. What is
        not found here (older blocks, a node without the method) is asked one by one."""
        if self._seen_head is None:
            return {}
        head = self._seen_head[0]
        scanned = self._receipts_scanned
        start = head if scanned is None or scanned > head else scanned + 1
        start = max(start, head - RECEIPT_SCAN_BLOCKS + 1, 0)
        found: dict[str, dict[str, Any]] = {}
        for number in range(start, head + 1):
            try:
                receipts = self.rpc.block_receipts(number, wanted)
            except Exception:
                return found
            if receipts is None:
                return found
            for receipt in receipts:
                if receipt["transactionHash"] in wanted:
                    found[receipt["transactionHash"]] = receipt
            self._receipts_scanned = number
        return found

    def _apply_receipts(self, pairs: list[tuple[TrackedOp, dict[str, Any]]]) -> int:
        """Settle many mined operations: one database transaction per ``SETTLE_CHUNK``
        (each settles for itself; a chunk left undone is settled by the next poll), so a
        block's settlement holds the store's writer turn a few ms at a time and the
        journal's transactions go in between."""
        rows: list[tuple[str, dict[str, Any]]] = []
        for op, receipt in pairs:
            block = int(receipt["blockNumber"])
            status = int(receipt["status"])
            values: dict[str, Any] = {
                "state": MINED if status == 1 else REVERTED, "updated_at": utcnow(),
                "block_number": block, "block_hash": str(receipt["blockHash"]),
                "receipt_status": status, "gas_used": int(receipt["gasUsed"]),
                "events": self._decoder(op.contract_name).decode_all(receipt["logs"]),
                "error_code": None, "error_detail": None,
            }  # fmt: skip
            if status != 1:
                values["error_code"], values["error_detail"] = self._revert_reason(op, block)
            rows.append((op.id, values))
        if rows:
            table = cast(Table, Operation.__table__)
            columns = list(rows[0][1])
            states = sorted(IN_FLIGHT)  # an executemany takes no IN (...) list
            only_in_flight = {f"in_flight_{i}": state for i, state in enumerate(states)}
            statement = (
                table.update()
                .where(
                    table.c.id == bindparam("op_id"),
                    or_(
                        *(table.c.state == bindparam(f"in_flight_{i}") for i in range(len(states)))
                    ),
                )
                .values({c: bindparam(f"v_{c}", type_=table.c[c].type) for c in columns})
            )
            params = [
                {"op_id": op_id, **only_in_flight, **{f"v_{c}": values[c] for c in columns}}
                for op_id, values in rows
            ]
            for start in range(0, len(params), SETTLE_CHUNK):
                if start:  # the next writer of the store (a journal) goes first
                    time.sleep(0)
                with self._writing() as session:  # one executemany a chunk
                    session.connection().execute(statement, params[start : start + SETTLE_CHUNK])
            _, top = max(rows, key=lambda row: int(row[1]["block_number"]))
            self._note_settled(int(top["block_number"]), str(top["block_hash"]))
            self._note_mined(Counter((op.signer.lower(), int(r["blockNumber"])) for op, r in pairs))
        for op_id, _ in rows:
            self._last_checked.pop(op_id, None)
            self._last_checked.pop(f"owner:{op_id}", None)
        return len(rows)

    def _due(self, op: TrackedOp, what: str) -> bool:
        """True at most once per ``resend_after`` seconds for this operation and check."""
        now = time.monotonic()
        key = f"{what}:{op.id}"
        if now - self._last_checked.get(key, -1e9) < self.resend_after:
            return False
        self._last_checked[key] = now
        return True

    def _watch_head(self) -> bool:
        """Compare the chain with the head seen last; restore what a rollback took away.

        False when the node does not answer (the next poll tries again)."""
        try:
            latest = self.rpc.head()
            head = None if latest is None else (latest.number, latest.hash)
            seen = self._seen_head
            with self._tip_guard:
                tip = self._settled_tip
            moved_back = False
            # the head seen last, and the highest block settled from since: a node that
            # lost only blocks above the head seen last has taken writes away too
            for block in (seen, tip if tip != seen else None):
                if block is not None and head is not None and head != block:
                    now = self.rpc.block_hash(block[0]) if head[0] >= block[0] else None
                    moved_back = moved_back or now is None or now[1] != block[1]
        except Exception as exc:
            if not self._node_down:
                log.warning("receipt tracker cannot reach the chain: %s", type(exc).__name__)
            self._node_down = True
            return False
        if self._node_down:  # back: its pool may have lost what was sent; send again now
            self._node_down = False
            self._last_checked.clear()
            self._receipts_scanned = None
        if moved_back:
            self.rollbacks += 1
            restored = self.restore_lost()
            log.warning("the chain went back below block %d: %d settled operations restored "
                        "for re-send", seen[0] if seen else -1, restored)  # fmt: skip
            self._last_checked.clear()
            self._receipts_scanned = None
        if seen is not None and head != seen:  # a new block (not the first head seen)
            self._head_seen_at = time.monotonic()
        self._seen_head = head
        if latest is not None:
            self.block_pace.saw(latest.number, fill=latest.fill)
        with self._tip_guard:  # the head is at or above the tip and holds it: done with it
            if self._settled_tip == tip and (
                moved_back or tip is None or (head is not None and head[0] >= tip[0])
            ):
                self._settled_tip = None
        return True

    def _note_settled(self, block: int, block_hash: str) -> None:
        """An operation was settled in this block: remember it while it is the highest
        such block (the next :meth:`_watch_head` checks the chain still holds it)."""
        with self._tip_guard:
            if self._settled_tip is None or block >= self._settled_tip[0]:
                self._settled_tip = (block, block_hash.lower())

    def restore_lost(self) -> int:
        """Operations settled in blocks the chain no longer has (or that now have another
        hash), and dropped ones whose nonce is free again, go back to ``pending``.

        Returns how many were restored; the tracker re-sends them in nonce order."""
        head = self.rpc.block_number()
        with self.sessions() as session:
            blocks = session.execute(
                select(Operation.block_number, Operation.block_hash)
                .where(
                    Operation.chain_id == self.chain_id,
                    Operation.state.in_((MINED, REVERTED)),
                    Operation.block_number >= max(0, head - ROLLBACK_WINDOW_BLOCKS),
                )
                .distinct()
            ).all()
            dropped = list(
                session.scalars(
                    select(Operation).where(
                        Operation.chain_id == self.chain_id, Operation.state == DROPPED
                    )
                )
            )
        gone: list[tuple[int, str]] = []
        for number, block_hash in blocks:
            if number is None or block_hash is None:
                continue
            found = self.rpc.block_hash(int(number)) if number <= head else None
            if found is None or found[1] != str(block_hash).lower():
                gone.append((int(number), str(block_hash)))
        restored = 0
        with self._writing() as session:
            for number, block_hash in gone:
                moved = session.execute(
                    update(Operation)
                    .execution_options(synchronize_session=False)
                    .where(
                        Operation.chain_id == self.chain_id,
                        Operation.block_number == number,
                        Operation.block_hash == block_hash,
                        Operation.state.in_((MINED, REVERTED)),
                    )
                    .values(**_UNSETTLED, updated_at=utcnow(), error_code="chain-rolled-back",
                            error_detail=f"block {number} ({block_hash}) left the chain")
                )  # fmt: skip
                restored += int(moved.rowcount)  # type: ignore[attr-defined]
        for op in dropped:
            if self.rpc.nonce(op.signer, "latest") <= op.nonce:
                with self._writing() as session:
                    moved = session.execute(
                        update(Operation)
                        .execution_options(synchronize_session=False)
                        .where(Operation.id == op.id, Operation.state == DROPPED)
                        .values(**_UNSETTLED, updated_at=utcnow(), error_code="chain-rolled-back",
                                error_detail=f"nonce {op.nonce} is free again")
                    )  # fmt: skip
                    restored += int(moved.rowcount)  # type: ignore[attr-defined]
        self.restored += restored
        return restored

    def reconcile(self) -> dict[str, int]:
        """On start: settle what was mined, re-send every journaled transaction the
        chain lacks (in nonce order per signer) and move nonce rows past the chain's."""
        before = self.stats().by_state
        self._last_checked.clear()
        restored = self.restore_lost()
        self._seen_head = self.rpc.block_hash("latest")
        with self.sessions() as session:
            ops = read_in_flight(session, self.chain_id)
        resent = 0
        settled = 0
        for op in ops:
            receipt = self._receipt(op.tx_hash)
            if receipt is not None:
                settled += self._apply_receipt(op, receipt)
                continue
            if self._known(op.tx_hash):
                self._mark(op.id, SENT)
                continue
            with self._account_idle(op.signer):
                state = self._broadcast(op)
            resent += 1 if state == SENT else 0
        self._align_nonce_rows()
        log.info(
            "reconciled %d in-flight operations: %d settled, %d re-sent, %d restored from "
            "blocks the chain lost", len(ops), settled, resent, restored,
        )  # fmt: skip
        return {"in_flight": len(ops), "settled": settled, "resent": resent, "restored": restored,
                **{f"before_{k}": v for k, v in before.items()}}  # fmt: skip

    def _check_one(self, op: TrackedOp) -> None:
        try:
            receipt = self._receipt(op.tx_hash)
        except Exception:  # the tracker reports chain trouble; wait just keeps waiting
            return
        if receipt is not None:
            self._apply_receipt(op, receipt)

    def _settle(self, op: TrackedOp) -> int:
        """Apply the receipt of a transaction the chain holds; 0 while it returns none."""
        receipt = self._receipt(op.tx_hash)
        if receipt is not None:
            return self._apply_receipt(op, receipt)
        return 0

    def _settle_many(self, ops: Sequence[TrackedOp]) -> set[str]:
        """Apply the receipts the chain returns for these operations (their nonces are
        used): asked in one batch and settled in one database transaction (one by one
        when blocks must be confirmed first). The ids of the settled ones."""
        if not ops:
            return set()
        if self.confirmations > 0 or len(ops) == 1:
            return {op.id for op in ops if self._settle(op)}
        receipts = self.rpc.receipts([op.tx_hash for op in ops])
        pairs = [(op, r) for op, r in zip(ops, receipts, strict=True) if r is not None]
        if pairs:
            self._apply_receipts(pairs)
        return {op.id for op, _ in pairs}

    def _settle_used_nonces(self, ops: Sequence[TrackedOp]) -> int:
        """Operations whose nonce the chain has used but whose receipt it does not return.

        An operation is ``dropped`` only when a block on the chain holds *another*
        transaction of its signer with its nonce. When a block holds its own transaction
        the receipt is late: it stays in flight. When no block holds any transaction of
        the signer with that nonce (a node restarted from a state saved halfway through a
        block: its accounts are past transactions its blocks lack), the same signed bytes
        are sent again; a node that still refuses them ("nonce too low") leaves the
        operation in flight with ``error_code`` ``nonce-used-unseen`` for an operator: no
        other transaction is known to have taken its place, and a client told
        ``dropped`` might send the write a second time.
        """
        owners = self._nonce_owners({(op.signer.lower(), op.nonce) for op in ops})
        finished = 0
        for op in ops:
            owner = owners.get((op.signer.lower(), op.nonce))
            if owner is None:  # not decided within the blocks scanned: ask again later
                continue
            tx_hash, block = owner
            if tx_hash is not None and tx_hash != op.tx_hash.lower():
                receipt = self._receipt(op.tx_hash)  # mined meanwhile after all?
                if receipt is not None:
                    finished += self._apply_receipt(op, receipt)
                    continue
                self._finish(op.id, DROPPED, error=(
                    "nonce-reused",
                    f"nonce {op.nonce} of {op.signer} was used by transaction {tx_hash} "
                    f"in block {block}",
                ))  # fmt: skip
                log.warning("operation %s dropped: its nonce %d was used by transaction %s "
                            "in block %s", op.id, op.nonce, tx_hash, block)  # fmt: skip
                finished += 1
            elif tx_hash is None:
                with self._account_idle(op.signer):
                    self._broadcast(op)
                receipt = self._receipt(op.tx_hash)
                if receipt is not None:
                    finished += self._apply_receipt(op, receipt)
                    continue
                if self.rpc.transaction(op.tx_hash) is not None:
                    continue  # the node took the same bytes again: it mines them
                self._mark(op.id, SENT, error=(
                    "nonce-used-unseen",
                    f"the node's nonce of {op.signer} is past {op.nonce} but no block up to "
                    f"{block} holds a transaction of it with that nonce and the node refuses "
                    "this one; it stays in flight (no other transaction is known to have "
                    "taken its nonce)",
                ))  # fmt: skip
                log.warning("operation %s: nonce %d of %s is used on the node but no block "
                            "holds a transaction with it", op.id, op.nonce, op.signer)  # fmt: skip
        return finished

    def _nonce_owners(
        self, wanted: set[tuple[str, int]]
    ) -> dict[tuple[str, int], tuple[str | None, int]]:
        """Which transaction holds each (signer, nonce) on the chain, scanning back from
        the head: ``(hash, block)``, or ``(None, block)`` when a block at or below ``block``
        holds a lower nonce of the signer (nonces only grow, so no block holds this one).
        Pairs not decided within ``NONCE_SCAN_BLOCKS`` blocks are left out."""
        found: dict[tuple[str, int], tuple[str | None, int]] = {}
        open_ = set(wanted)
        head = self.rpc.block_number()
        for number in range(head, max(-1, head - NONCE_SCAN_BLOCKS), -1):
            txs = self.rpc.block_transactions(number)
            if txs is None:
                continue
            lowest: dict[str, int] = {}
            for sender, nonce, tx_hash in txs:
                if (sender, nonce) in open_:
                    found[(sender, nonce)] = (tx_hash, number)
                    open_.discard((sender, nonce))
                lowest[sender] = min(nonce, lowest.get(sender, nonce))
            for sender, nonce in list(open_):
                if sender in lowest and lowest[sender] < nonce:
                    found[(sender, nonce)] = (None, number)
                    open_.discard((sender, nonce))
            if not open_:
                break
            if number == 0:  # the whole chain holds no transaction with these nonces
                for pair in open_:
                    found[pair] = (None, head)
        return found

    def _stalled(self, op: TrackedOp, blocking: dict[str, int]) -> bool:
        """Whether this operation, its signer's next nonce, has stayed unmined for
        ``STALL_BLOCKS`` blocks since it was first seen so (or last asked about): a node
        that lost it (dropped from its pool, restarted) holds every later write of the
        signer until it is sent again. Records it in ``blocking`` for the next poll."""
        head = self._seen_head[0] if self._seen_head is not None else 0
        since = min(self._blocking_since.get(op.id, head), head)  # a head gone back
        stalled = head - since >= STALL_BLOCKS
        blocking[op.id] = head if stalled else since
        return stalled

    def _missed_block(self, op: TrackedOp) -> bool:
        """Whether this operation, its signer's next nonce, was sent (or last asked about)
        before the head block was seen: a node that held it then would have put it in
        that block unless the block was full, so it is asked about now (one
        ``eth_getTransactionByHash`` a signer a block), not a block later. A node can lose
        a write that reached it while it mined a block (anvil 1.7.1 did, about one in a
        thousand writes of a signer sending hundreds a second, and held every later one
        behind it)."""
        touched = self._last_checked.get(op.id)
        return touched is not None and touched < self._head_seen_at

    def _resend_if_unknown(
        self, op: TrackedOp, *, stalled: bool = False, read_at: float | None = None
    ) -> bool:
        """Send the journaled bytes again when the node does not hold them: asked once
        per ``resend_after`` seconds, or now when the operation holds up its signer.
        Whether the node took them again.

        ``read_at``: when the poll read ``op``. A sender that handed it to the node after
        that read (and marked it ``sent`` since) is newer than the read: the node took it
        a moment ago, and it is neither asked about nor sent again now (the poll's state
        is stale: asked, a node that did not find it at that moment would be sent it
        twice). It is asked about once ``resend_after`` passed, as a write read ``sent``."""
        if op.id in self._in_send:  # being sent and marked by the thread that journaled it
            return False
        now = time.monotonic()
        taken_at = self._last_checked.get(op.id)
        if read_at is not None and taken_at is not None and taken_at > read_at:
            return False
        if (
            op.state == SENT
            and not stalled
            and now - self._last_checked.get(op.id, 0.0) < self.resend_after
        ):
            return False
        self._last_checked[op.id] = now
        try:
            known = self._known(op.tx_hash)
        except Exception:
            return False
        if known:
            if op.state == PENDING:  # still, unless its sender marked it meanwhile
                self._mark(op.id, SENT, only_from=(PENDING,))
            return False
        with self._account_idle(op.signer):
            taken = self._broadcast(op) == SENT
        if taken and not stalled:  # a stalled one: the poll's own warning names it
            log.warning("operation %s (nonce %d of %s) was not on the node: sent again",
                        op.id, op.nonce, op.signer)  # fmt: skip
        return taken

    def _resend_all(self, signer: str, ops: Sequence[TrackedOp]) -> None:
        """Send these journaled transactions of one signer again, in nonce order, in one
        batch (the node answers the ones it holds as known)."""
        ops = [op for op in ops if op.id not in self._in_send]
        if ops:
            with self._account_idle(signer):
                self._broadcast_many(ops)

    def _apply_receipt(self, op: TrackedOp, receipt: Any) -> int:
        block = int(receipt["blockNumber"])
        if self.confirmations > 0:
            head = self.rpc.block_number()
            if head - block < self.confirmations:
                return 0
        status = int(receipt["status"])
        events = self._decoder(op.contract_name).decode_all(receipt["logs"])
        error: tuple[str, str] | None = None
        if status != 1:
            error = self._revert_reason(op, block)
        self._finish(
            op.id,
            MINED if status == 1 else REVERTED,
            error=error,
            block_number=block,
            block_hash=str(receipt["blockHash"]),
            receipt_status=status,
            gas_used=int(receipt["gasUsed"]),
            events=events,
        )
        self._note_settled(block, str(receipt["blockHash"]))
        self._last_checked.pop(op.id, None)
        self._last_checked.pop(f"owner:{op.id}", None)
        return 1

    def _revert_reason(self, op: TrackedOp, block: int) -> tuple[str, str]:
        """Replay a reverted transaction against its parent block for the error name."""
        try:
            tx = self.rpc.transaction(op.tx_hash)
            if tx is None:
                raise LookupError(op.tx_hash)
            self.rpc.call(
                {
                    "from": op.signer,
                    "to": op.contract_address,
                    "data": tx["input"],
                    "gas": op.gas_limit,
                },
                max(0, block - 1),
            )
        except RevertError as exc:
            own = self._abis.get(op.contract_name, [])
            revert = revert_from_exception(exc, [own, *self._abis.values()])
            return revert.error_code, revert.detail
        except Exception:  # replay is best effort
            pass
        return "reverted", f"transaction {op.tx_hash} reverted in block {block}"
