"""The write path: simulate, nonce, sign, journal, broadcast, track. Nothing is lost.

``TxPipeline.submit`` returns only after the signed transaction is committed to the
``operations`` table (the outbox) in the same database transaction that advanced the
signer's nonce row. Broadcasting happens after that commit (with ``send_in_background``
by a background sender, :mod:`chain.txpipe.dispatch`: the write is answered once journaled);
when it fails the operation stays ``pending`` and the receipt tracker (or ``reconcile`` on
the next start) sends the same signed bytes again, so a write that was acknowledged
reaches the chain exactly once.

Nonces: one row per (chain id, signing account) in ``account_nonces``. It is advanced with
``UPDATE ... RETURNING``, the first statement of the write transaction, which takes the
row lock on PostgreSQL and SQLite's write lock (the same effect as ``BEGIN IMMEDIATE``),
so several gateway processes can share one signer. Inside a process a per-account
``threading.Lock`` keeps signing and broadcasting in nonce order.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

from eth_account.signers.local import LocalAccount
from sqlalchemy.exc import DBAPIError

from chain.errors import ChainUnavailable, ContractRevert, NotFound
from chain.txpipe import preference as preferences
from chain.txpipe.broadcast import Queued
from chain.txpipe.core import Abi, PipelineStats
from chain.txpipe.guards import JournalGuard
from chain.txpipe.journal import JournalRows, WriteRequest, _Duplicate, request_hash
from chain.txpipe.models import (
    DROPPED,
    FAILED,
    MINED,
    PENDING,
    REVERTED,
    SENT,
    TERMINAL,
    Operation,
)
from chain.txpipe.receipts import ReceiptTracking
from chain.txpipe.rpc import checksummed
from chain.txpipe.store import is_store_fault, store_unavailable

#: most writes of one signer journaled in one database transaction and sent in one batch
MAX_BATCH = 128


class TxPipeline(ReceiptTracking):
    """Journaled contract writes for many signing accounts on one chain.

    Thread-safe: call ``submit`` from request threads; run ``poll_once`` from one
    tracker thread (see :class:`chain.txpipe.tracker.ReceiptTracker`).

    The steps live in their own modules: :mod:`chain.txpipe.core` (simulation, fees,
    state writes), :mod:`chain.txpipe.nonces`, :mod:`chain.txpipe.journal`,
    :mod:`chain.txpipe.broadcast` and :mod:`chain.txpipe.receipts`.
    """

    def submit(
        self,
        signer: LocalAccount,
        contract_name: str,
        address: str,
        abi: Abi,
        function: str,
        args: Sequence[Any],
        *,
        caller: str,
        org_id: str | None,
        idempotency_key: str | None = None,
        request_hash: str | None = None,
        value: int = 0,
        extra_error_abis: Sequence[Abi] = (),
        journal_with: JournalRows | None = None,
        guards: Sequence[JournalGuard] = (),
    ) -> Operation:
        """Simulate, sign, journal and broadcast ``contract.function(*args)``.

        ``journal_with(op)`` gives rows stored in the database transaction that journals
        the new operation (committed with it, before it is broadcast; not called for an
        idempotent replay). ``guards``: conditions checked in that transaction
        (:mod:`chain.txpipe.guards`: the signer still the organisation's, a catalogue code
        not registered...; the first refusal raised, nothing journaled).

        Returns the journaled :class:`Operation` (``pending`` or ``sent``). Raises
        :class:`ContractRevert` when the simulation reverts (nothing journaled),
        :class:`Backpressure` when the signer has too many transactions in flight,
        :class:`IdempotencyConflict` when ``idempotency_key`` was used with another
        ``request_hash``, :class:`ChainUnavailable` when the node cannot be reached
        before anything was journaled.
        """
        try:
            if idempotency_key is not None:
                existing = self._find_idempotent(caller, idempotency_key)
                if existing is not None:
                    return self._same_request(existing, request_hash)
            return self._admit(
                signer, contract_name, address, abi, function, args, caller=caller,
                org_id=org_id, idempotency_key=idempotency_key, request_hash=request_hash,
                value=value, extra_error_abis=extra_error_abis, journal_with=journal_with,
                guards=guards,
            )  # fmt: skip
        except DBAPIError as exc:
            if is_store_fault(exc):
                raise store_unavailable(exc) from exc
            raise

    def _admit(
        self,
        signer: LocalAccount,
        contract_name: str,
        address: str,
        abi: Abi,
        function: str,
        args: Sequence[Any],
        *,
        caller: str,
        org_id: str | None,
        idempotency_key: str | None,
        request_hash: str | None,
        value: int,
        extra_error_abis: Sequence[Abi],
        journal_with: JournalRows | None,
        guards: Sequence[JournalGuard],
    ) -> Operation:
        to = checksummed(address)
        self.register_abi(contract_name, abi, extra_error_abis)
        data = self._encode(contract_name, to, abi, function, args)
        sender = checksummed(signer.address)
        return self._submit(
                signer, sender, contract_name, to, abi, function, args, data, value,
            caller=caller, org_id=org_id, idempotency_key=idempotency_key,
            request_hash=request_hash, extra_error_abis=extra_error_abis,
            journal_with=journal_with, guards=guards,
        )  # fmt: skip

    def _submit(
        self,
        signer: LocalAccount,
        sender: str,
        contract_name: str,
        to: str,
        abi: Abi,
        function: str,
        args: Sequence[Any],
        data: str,
        value: int,
        *,
        caller: str,
        org_id: str | None,
        idempotency_key: str | None,
        request_hash: str | None,
        extra_error_abis: Sequence[Abi],
        journal_with: JournalRows | None = None,
        guards: Sequence[JournalGuard] = (),
    ) -> Operation:
        self._check_backpressure(sender)
        call: dict[str, Any] = {"from": sender, "to": to, "data": data, "value": value}
        self._ensure_funded(sender)
        preference = preferences.current()
        unrun = None if preference is None else self._gas_without_run(sender, to, data)
        try:
            if unrun is not None:  # answered once journaled: not run on the node first
                gas, fees = unrun, self._fee_fields()
            else:
                gas = self._simulate(call, [abi, *extra_error_abis])
                fees = self._fee_fields()
                self._remember_gas(contract_name, function, gas)
        except ChainUnavailable:
            if not self.journal_when_node_down:
                raise
            gas, fees = self._unsimulated_terms(contract_name, function)
        request = WriteRequest(
            signer, sender, contract_name, to, function, args, data, value, gas, fees,
            caller, org_id, idempotency_key, request_hash, journal_with,
            answer_when_journaled=unrun is not None, guards=guards,
        )  # fmt: skip
        self._journal_and_send(request)
        if request.error is not None:
            raise request.error
        assert request.op is not None
        if preference is not None and unrun is not None and not request.duplicate:
            preference.applied = True
        if request.duplicate:
            return self._same_request(request.op, request_hash)
        return request.op

    def _journal_and_send(self, request: WriteRequest) -> None:
        """Queue the write for its signer; whoever holds the signer's journal lock
        journals every queued write in one database transaction (committed before
        anything is sent). Returns when this write was handled.

        With ``send_in_background``, or when a write of the burst is to be answered once
        journaled, the burst is answered once committed and its transactions are queued,
        in nonce order, for the background sender (:mod:`chain.txpipe.dispatch`).
        Otherwise they are sent in one JSON-RPC batch under the signer's send lock, taken
        before the journal lock is let go (bursts go out in nonce order while the next one
        is journaled), and answered after; while the background sender still has earlier
        transactions of the signer, the burst is queued behind them and answered once
        the sender handed it to the node."""
        account = request.sender.lower()
        with self._queue_guard:
            self._queues.setdefault(account, []).append(request)
        while not request.done.is_set():
            with self._account_lock(request.sender):
                if request.done.is_set():
                    break
                with self._queue_guard:
                    queued = self._queues.get(account, [])
                    batch, self._queues[account] = queued[:MAX_BATCH], queued[MAX_BATCH:]
                if batch:
                    new = self._journal_burst(request.sender, batch)
                    sending, handed = self._hand_on(request.sender, batch, new)
            if not batch:  # another thread took this write: it is being journaled
                request.done.wait()
                break
            self._finish_burst(account, batch, new, sending, handed)

    def _run_batch(self, sender: str, batch: list[WriteRequest]) -> None:
        """Journal one burst, send it or queue it, and answer it (the caller holds the
        signer's journal lock)."""
        new = self._journal_burst(sender, batch)
        sending, handed = self._hand_on(sender, batch, new)
        self._finish_burst(sender.lower(), batch, new, sending, handed)

    def _hand_on(
        self, sender: str, batch: list[WriteRequest], new: list[Operation]
    ) -> tuple[threading.Lock | None, Queued | None]:
        """Under the signer's journal lock: queue a journaled burst for the background
        sender, or take the signer's send lock to send it (see ``_journal_and_send``).
        The send lock taken, or what to wait for the background sender to hand over."""
        account = sender.lower()
        if self.send_in_background or any(r.answer_when_journaled for r in batch):
            self._queue_for_send(account, new)
            return None, None
        if self._sending_in_background(account):  # after those, in nonce order
            return None, self._queue_for_send(account, new)
        self._in_send.update(op.id for op in new)
        sending = self._sending(sender)
        sending.acquire()
        return sending, None

    def _finish_burst(
        self, account: str, batch: list[WriteRequest], new: list[Operation],
        sending: threading.Lock | None, queued: Queued | None,
    ) -> None:  # fmt: skip
        """After the journal lock: send the burst (under ``sending``) or wait for the
        background sender to hand it over (``queued``), and answer it."""
        if queued is not None:
            self._wait_queued_sent(queued)
        if sending is None:
            self._answer(batch)
        else:
            self._send_and_settle(batch, new, sending)

    @staticmethod
    def _answer(batch: list[WriteRequest]) -> None:
        for request in batch:
            request.done.set()

    def _send_and_settle(
        self, batch: list[WriteRequest], new: list[Operation], sending: threading.Lock
    ) -> None:
        """Send a journaled burst under the signer's send lock (taken by the caller, let
        go here), then mark what the node took and answer every request. Until then its
        operations are ``pending`` in the database and in ``_in_send``: the tracker
        leaves them to this thread."""
        try:
            try:
                taken = self._send_burst(batch, new)
            finally:
                sending.release()
            self._settle_burst(batch, taken)
        finally:
            self._in_send.difference_update(op.id for op in new)

    def _journal_burst(self, sender: str, batch: list[WriteRequest]) -> list[Operation]:
        """Journal a burst: one transaction, or one write at a time when that fails (each
        with its own answer). The new operations, in nonce order."""
        new: list[Operation] = []
        try:
            try:
                new = self._journal_batch(sender, batch)
            except Exception:  # a key used meanwhile by another process, a store fault...:
                new = []  # ...one write at a time, each with its own answer
                for request in batch:
                    request.op, request.duplicate, request.error = None, False, None
                    try:
                        request.op = self._journal(
                            request.signer, sender, request.contract_name, request.to,
                            request.function, request.args, request.data, request.value,
                            request.gas, request.fees, caller=request.caller,
                            org_id=request.org_id, idempotency_key=request.idempotency_key,
                            request_hash=request.request_hash,
                            journal_with=request.journal_with, guards=request.guards,
                        )  # fmt: skip
                        new.append(request.op)
                    except _Duplicate as dup:
                        request.op, request.duplicate = dup.op, True
                    except BaseException as exc:
                        request.error = exc
            self.batches += 1
            self.burst_writes += len(batch)
            self._count_journaled(sender, len(new))
        except Exception as exc:  # each request of the burst answers it
            for request in batch:
                if request.error is None and not request.duplicate:
                    request.error = exc
        return new

    def _send_burst(self, batch: list[WriteRequest], new: list[Operation]) -> list[str]:
        """Send the burst's new operations (the caller holds the signer's send lock); the
        ids the node took. A failure is every request's answer (and ends the burst)."""
        try:
            return self._send(new)
        except Exception as exc:
            self._fail_burst(batch, exc)
            return []

    def _settle_burst(self, batch: list[WriteRequest], taken: list[str]) -> None:
        """Mark what the node took ``sent`` (after the send lock is let go: the next burst
        is sent meanwhile) and answer every request of the burst."""
        try:
            self._mark_sent(taken)
        except Exception as exc:
            self._fail_burst(batch, exc)
        finally:
            self._answer(batch)

    @staticmethod
    def _fail_burst(batch: list[WriteRequest], exc: Exception) -> None:
        """Each request of the burst answers ``exc`` (the thread running the burst goes
        on with its own request)."""
        for request in batch:
            if request.error is None and not request.duplicate:
                request.error = exc

    def get(self, op_id: str) -> Operation:
        """The operation with this id; :class:`NotFound` otherwise."""
        with self.sessions() as session:
            op = session.get(Operation, op_id)
        if op is None:
            raise NotFound(f"no operation {op_id}")
        return op

    def find(self, op_id: str) -> Operation | None:
        with self.sessions() as session:
            return session.get(Operation, op_id)

    def wait(self, op_id: str, timeout: float) -> Operation:
        """Wait until the operation is final or ``timeout`` passes; return it either way."""
        deadline = time.monotonic() + timeout
        delay = 0.02
        while True:
            op = self.get(op_id)
            if op.state in TERMINAL:
                return op
            self._check_one(op)
            op = self.get(op_id)
            if op.state in TERMINAL or time.monotonic() >= deadline:
                return op
            time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
            delay = min(delay * 1.5, 0.25)


__all__ = [
    "DROPPED",
    "FAILED",
    "MINED",
    "PENDING",
    "REVERTED",
    "SENT",
    "ContractRevert",
    "PipelineStats",
    "TxPipeline",
    "request_hash",
]
