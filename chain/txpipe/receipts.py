"""Receipts and reconciliation: settle mined operations, re-send what the node lacks."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select

from chain.errors import revert_from_exception
from chain.txpipe.broadcast import Broadcaster
from chain.txpipe.core import log
from chain.txpipe.models import DROPPED, IN_FLIGHT, MINED, PENDING, REVERTED, SENT, Operation
from chain.txpipe.rpc import RevertError


class ReceiptTracking(Broadcaster):
    """Tracks receipts of in-flight operations."""

    def poll_once(self) -> int:
        """Track receipts of in-flight operations and re-send what the node lacks.

        Returns how many operations reached a final state.
        """
        with self.sessions() as session:
            ops = list(
                session.scalars(
                    select(Operation)
                    .where(Operation.state.in_(IN_FLIGHT), Operation.chain_id == self.chain_id)
                    .order_by(Operation.signer, Operation.nonce)
                    .limit(5000)
                )
            )
        finished = 0
        by_signer: dict[str, list[Operation]] = {}
        for op in ops:
            by_signer.setdefault(op.signer, []).append(op)
        for signer, group in by_signer.items():
            try:
                mined_count = self.rpc.nonce(signer, "latest")
            except Exception as exc:
                log.warning("receipt tracker cannot reach the chain: %s", type(exc).__name__)
                return finished
            for op in group:
                if op.nonce < mined_count:
                    finished += self._settle(op, dropped_if_missing=True)
                else:
                    self._resend_if_unknown(op)
        return finished

    def reconcile(self) -> dict[str, int]:
        """On start: settle what was mined, re-send every journaled transaction the
        chain lacks (in nonce order per signer) and move nonce rows past the chain's."""
        before = self.stats().by_state
        self._last_checked.clear()
        with self.sessions() as session:
            ops = list(
                session.scalars(
                    select(Operation)
                    .where(Operation.state.in_(IN_FLIGHT), Operation.chain_id == self.chain_id)
                    .order_by(Operation.signer, Operation.nonce)
                )
            )
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
            with self._account_lock(op.signer):
                state = self._broadcast(op)
            resent += 1 if state == SENT else 0
        self._align_nonce_rows()
        log.info(
            "reconciled %d in-flight operations: %d settled, %d re-sent", len(ops), settled, resent
        )
        return {"in_flight": len(ops), "settled": settled, "resent": resent,
                **{f"before_{k}": v for k, v in before.items()}}  # fmt: skip

    def _check_one(self, op: Operation) -> None:
        try:
            receipt = self._receipt(op.tx_hash)
        except Exception:  # the tracker reports chain trouble; wait just keeps waiting
            return
        if receipt is not None:
            self._apply_receipt(op, receipt)

    def _settle(self, op: Operation, *, dropped_if_missing: bool) -> int:
        receipt = self._receipt(op.tx_hash)
        if receipt is not None:
            return self._apply_receipt(op, receipt)
        if dropped_if_missing:
            self._finish(op.id, DROPPED, error=(
                "nonce-reused", f"nonce {op.nonce} of {op.signer} was used by another transaction"
            ))  # fmt: skip
            return 1
        return 0

    def _resend_if_unknown(self, op: Operation) -> None:
        now = time.monotonic()
        if op.state == SENT and now - self._last_checked.get(op.id, 0.0) < self.resend_after:
            return
        self._last_checked[op.id] = now
        try:
            known = self._known(op.tx_hash)
        except Exception:
            return
        if known:
            if op.state == PENDING:
                self._mark(op.id, SENT)
            return
        with self._account_lock(op.signer):
            self._broadcast(op)

    def _apply_receipt(self, op: Operation, receipt: Any) -> int:
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
        self._last_checked.pop(op.id, None)
        return 1

    def _revert_reason(self, op: Operation, block: int) -> tuple[str, str]:
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
