"""The write path: simulate, nonce, sign, journal, broadcast, track. Nothing is lost.

``TxPipeline.submit`` returns only after the signed transaction is committed to the
``operations`` table (the outbox) in the same database transaction that advanced the
signer's nonce row. Broadcasting happens after that commit; when it fails the operation
stays ``pending`` and the receipt tracker (or ``reconcile`` on the next start) sends the
same signed bytes again, so a write that was acknowledged reaches the chain exactly once.

Nonces: one row per (chain id, signing account) in ``account_nonces``. It is advanced with
``UPDATE ... RETURNING``, the first statement of the write transaction, which takes the
row lock on PostgreSQL and SQLite's write lock (the same effect as ``BEGIN IMMEDIATE``),
so several gateway processes can share one signer. Inside a process a per-account
``threading.Lock`` keeps signing and broadcasting in nonce order.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from eth_abi.abi import encode
from eth_account.signers.local import LocalAccount
from eth_utils.abi import function_abi_to_4byte_selector
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3

from chain.clients import ChainHandle
from chain.errors import (
    Backpressure,
    ChainUnavailable,
    ContractRevert,
    IdempotencyConflict,
    LedgerError,
    NotFound,
    abi_type,
    jsonable,
    revert_from_exception,
)
from chain.txpipe.events import EventDecoder
from chain.txpipe.models import (
    DROPPED,
    FAILED,
    IN_FLIGHT,
    MINED,
    PENDING,
    REVERTED,
    SENT,
    TERMINAL,
    AccountNonce,
    Operation,
    utcnow,
)
from chain.txpipe.rpc import NodeUnreachable, RevertError, Web3Rpc, rpc_for

log = logging.getLogger("ledger.txpipe")

AbiEntry = Mapping[str, Any]
Abi = Sequence[AbiEntry]

#: gas estimate margin: estimate * GAS_MARGIN_NUM / GAS_MARGIN_DEN + GAS_MARGIN_ADD
GAS_MARGIN_NUM, GAS_MARGIN_DEN, GAS_MARGIN_ADD = 5, 4, 10_000
_ALREADY_KNOWN = ("already known", "known transaction", "already imported", "already exists")
_NONCE_TOO_LOW = ("nonce too low", "nonce is too low", "oldnonce", "old nonce")


def request_hash(body: Any) -> str:
    """A stable sha256 of a request body (canonical JSON) for idempotency checks."""
    canonical = json.dumps(jsonable(body), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _is_transport_error(exc: BaseException) -> bool:
    """A failure to reach the node (as opposed to the node answering with an error)."""
    try:
        import requests

        if isinstance(exc, requests.RequestException):
            return True
    except ImportError:  # pragma: no cover - requests ships with web3
        pass
    return isinstance(exc, ConnectionError | TimeoutError | OSError)


def _cache_chain_id(handle: ChainHandle) -> None:
    """Let web3 answer eth_chainId from its cache: its validation middleware asks for
    it before every eth_call / eth_estimateGas, doubling the round trips of a write."""
    provider: Any = handle.w3.provider
    if handle.tester is None and hasattr(provider, "cache_allowed_requests"):
        provider.cacheable_requests = {"eth_chainId"}
        provider.cache_allowed_requests = True


@dataclass(frozen=True)
class PipelineStats:
    """Operation counts by state (for /metrics)."""

    by_state: dict[str, int]


class TxPipeline:
    """Journaled contract writes for many signing accounts on one chain.

    Thread-safe: call ``submit`` from request threads; run ``poll_once`` from one
    tracker thread (see :class:`chain.txpipe.tracker.ReceiptTracker`).
    """

    def __init__(
        self,
        handle: ChainHandle,
        sessions: sessionmaker[Session],
        *,
        max_in_flight_per_account: int = 256,
        confirmations: int = 0,
        resend_after_seconds: float = 10.0,
        fee_cache_seconds: float = 2.0,
        max_concurrent_submits: int = 2,
    ) -> None:
        self.handle = handle
        self.sessions = sessions
        self.max_in_flight = max_in_flight_per_account
        self.confirmations = confirmations
        self.resend_after = resend_after_seconds
        self._fee_cache_seconds = fee_cache_seconds
        # Python threads contend for the GIL: a few submits at a time finish sooner than
        # many interleaved ones (each RPC return waits behind the others' CPU work).
        self.max_concurrent_submits = max(1, max_concurrent_submits)
        self._submit_slots = threading.BoundedSemaphore(self.max_concurrent_submits)
        self._fees: tuple[float, dict[str, Any]] | None = None
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._funded: set[str] = set()
        self._abis: dict[str, list[AbiEntry]] = {}
        self._decoders: dict[str, EventDecoder] = {}
        self._last_checked: dict[str, float] = {}
        _cache_chain_id(handle)
        self.rpc = rpc_for(handle)
        self._encoders: dict[tuple[str, str], tuple[bytes, list[str]]] = {}
        # eth-tester runs in this process and is not thread-safe: serialise its calls.
        self._chain_lock: contextlib.AbstractContextManager[Any] = (
            self.rpc.lock if isinstance(self.rpc, Web3Rpc) else contextlib.nullcontext()
        )

    # -- public API ---------------------------------------------------------------

    @property
    def w3(self) -> Web3:
        return self.handle.w3

    @property
    def chain_id(self) -> int:
        return self.handle.chain_id

    def register_abi(self, contract_name: str, abi: Abi, others: Sequence[Abi] = ()) -> None:
        """Make a contract's events and errors known (submit does this itself); ``others``
        are the ABIs of contracts it calls, whose events its transactions also carry (the
        contract's own events win when two share a signature)."""
        if contract_name not in self._abis:
            self._abis[contract_name] = list(abi)
            self._decoders[contract_name] = EventDecoder([abi, *others])

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
    ) -> Operation:
        """Simulate, sign, journal and broadcast ``contract.function(*args)``.

        Returns the journaled :class:`Operation` (``pending`` or ``sent``). Raises
        :class:`ContractRevert` when the simulation reverts (nothing journaled),
        :class:`Backpressure` when the signer has too many transactions in flight,
        :class:`IdempotencyConflict` when ``idempotency_key`` was used with another
        ``request_hash``, :class:`ChainUnavailable` when the node cannot be reached
        before anything was journaled.
        """
        if idempotency_key is not None:
            existing = self._find_idempotent(caller, idempotency_key)
            if existing is not None:
                return self._same_request(existing, request_hash)
        to = Web3.to_checksum_address(address)
        self.register_abi(contract_name, abi, extra_error_abis)
        data = self._encode(contract_name, to, abi, function, args)
        sender = Web3.to_checksum_address(signer.address)
        with self._submit_slots:
            return self._submit(
                signer, sender, contract_name, to, abi, function, args, data, value,
                caller=caller, org_id=org_id, idempotency_key=idempotency_key,
                request_hash=request_hash, extra_error_abis=extra_error_abis,
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
    ) -> Operation:
        self._check_backpressure(sender)
        call: dict[str, Any] = {"from": sender, "to": to, "data": data, "value": value}
        self._ensure_funded(sender)
        gas = self._simulate(call, [abi, *extra_error_abis])
        fees = self._fee_fields()
        with self._account_lock(sender):
            try:
                op = self._journal(
                    signer, sender, contract_name, to, function, args, data, value, gas, fees,
                    caller=caller, org_id=org_id,
                    idempotency_key=idempotency_key, request_hash=request_hash,
                )  # fmt: skip
            except _Duplicate as dup:
                return self._same_request(dup.op, request_hash)
            self._broadcast(op)
        return op

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

    def in_flight(self, signer: str) -> int:
        """Unfinished operations of one signing account."""
        with self.sessions() as session:
            return int(
                session.scalar(
                    select(func.count())
                    .select_from(Operation)
                    .where(
                        Operation.signer == Web3.to_checksum_address(signer),
                        Operation.chain_id == self.chain_id,
                        Operation.state.in_(IN_FLIGHT),
                    )
                )
                or 0
            )

    def stats(self) -> PipelineStats:
        with self.sessions() as session:
            rows = session.execute(
                select(Operation.state, func.count()).group_by(Operation.state)
            ).all()
        return PipelineStats({str(state): int(n) for state, n in rows})

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

    # -- submit steps ------------------------------------------------------------------

    def _encode(
        self, contract_name: str, to: str, abi: Abi, function: str, args: Sequence[Any]
    ) -> str:
        """Calldata: eth_abi directly for a unique function name, web3 otherwise."""
        cached = self._encoders.get((contract_name, function))
        if cached is None:
            entries = [e for e in abi if e.get("type") == "function" and e.get("name") == function]
            if len(entries) == 1:
                entry = entries[0]
                cached = (
                    function_abi_to_4byte_selector(cast(Any, dict(entry))),
                    [abi_type(p) for p in entry.get("inputs", [])],
                )
                self._encoders[(contract_name, function)] = cached
        if cached is not None and len(cached[1]) == len(args):
            try:
                return "0x" + (cached[0] + encode(cached[1], list(args))).hex()
            except Exception:  # loose argument types (hex strings...): let web3 convert
                pass
        contract = self.w3.eth.contract(address=Web3.to_checksum_address(to), abi=list(abi))
        try:
            return str(contract.encode_abi(function, args=list(args)))
        except Exception as exc:
            raise LedgerError(f"cannot encode {contract_name}.{function}: {exc}") from exc

    def _find_idempotent(self, caller: str, key: str) -> Operation | None:
        with self.sessions() as session:
            return session.scalars(
                select(Operation).where(
                    Operation.caller == caller, Operation.idempotency_key == key
                )
            ).first()

    @staticmethod
    def _same_request(op: Operation, request_hash: str | None) -> Operation:
        if op.request_hash != request_hash:
            raise IdempotencyConflict(
                f"Idempotency-Key {op.idempotency_key!r} was used for another request "
                f"(operation {op.id})",
                operation_id=op.id,
            )
        return op

    def _check_backpressure(self, sender: str) -> None:
        in_flight = self.in_flight(sender)
        if in_flight >= self.max_in_flight:
            raise Backpressure(
                f"signing account {sender} has {in_flight} transactions in flight "
                f"(limit {self.max_in_flight}); retry later",
                retry_after=max(1, min(30, in_flight // 100 + 1)),
            )

    def _simulate(self, call: dict[str, Any], abis: Sequence[Abi]) -> int:
        """eth_call then eth_estimateGas from the signer; the gas limit to use."""
        try:
            self.rpc.call(call)
            estimate = self.rpc.estimate_gas(call)
        except RevertError as exc:
            raise revert_from_exception(exc, abis) from exc
        except LedgerError:
            raise
        except Exception as exc:
            if isinstance(exc, NodeUnreachable) or _is_transport_error(exc):
                raise ChainUnavailable(
                    f"the chain node does not answer: {type(exc).__name__}"
                ) from exc
            message = str(exc)
            if "revert" in message.lower():
                raise revert_from_exception(exc, abis) from exc
            raise
        return estimate * GAS_MARGIN_NUM // GAS_MARGIN_DEN + GAS_MARGIN_ADD

    def _fee_fields(self) -> dict[str, Any]:
        now = time.monotonic()
        if self._fees is None or now - self._fees[0] > self._fee_cache_seconds:
            try:
                with self._chain_lock:
                    self._fees = (now, dict(self.handle.fee_fields()))
            except Exception as exc:
                raise ChainUnavailable(f"cannot read fees: {type(exc).__name__}") from exc
        return dict(self._fees[1])

    @contextlib.contextmanager
    def _account_lock(self, address: str) -> Iterator[None]:
        with self._locks_guard:
            lock = self._locks.setdefault(address.lower(), threading.Lock())
        with lock:
            yield

    def _ensure_funded(self, sender: str) -> None:
        if self.handle.tester is None or sender in self._funded:
            return
        with self._account_lock(sender), self._chain_lock:
            self.handle.fund(sender)
        self._funded.add(sender)

    def _take_nonce(self, session: Session, sender: str) -> int:
        """Advance the signer's nonce row (the row lock) and return the nonce to use."""
        taken = session.execute(
            update(AccountNonce)
            .execution_options(synchronize_session=False)
            .where(AccountNonce.chain_id == self.chain_id, AccountNonce.address == sender)
            .values(next_nonce=AccountNonce.next_nonce + 1, updated_at=utcnow())
            .returning(AccountNonce.next_nonce)
        ).scalar_one_or_none()
        if taken is not None:
            return int(taken) - 1
        chain_nonce = self.rpc.nonce(sender, "pending")
        journal_max = session.scalar(
            select(func.max(Operation.nonce)).where(
                Operation.chain_id == self.chain_id, Operation.signer == sender
            )
        )
        start = max(chain_nonce, -1 if journal_max is None else int(journal_max) + 1)
        session.add(AccountNonce(chain_id=self.chain_id, address=sender, next_nonce=start + 1))
        session.flush()
        return start

    def _journal(
        self,
        signer: LocalAccount,
        sender: str,
        contract_name: str,
        to: str,
        function: str,
        args: Sequence[Any],
        data: str,
        value: int,
        gas: int,
        fees: dict[str, Any],
        *,
        caller: str,
        org_id: str | None,
        idempotency_key: str | None,
        request_hash: str | None,
    ) -> Operation:
        for attempt in range(5):
            try:
                with self.sessions() as session, session.begin():
                    nonce = self._take_nonce(session, sender)
                    if idempotency_key is not None:
                        existing = session.scalars(
                            select(Operation).where(
                                Operation.caller == caller,
                                Operation.idempotency_key == idempotency_key,
                            )
                        ).first()
                        if existing is not None:
                            raise _Duplicate(existing)  # rolls the nonce back
                    tx = {
                        "chainId": self.chain_id,
                        "nonce": nonce,
                        "to": to,
                        "data": data,
                        "value": value,
                        "gas": gas,
                        **fees,
                    }
                    signed = signer.sign_transaction(tx)
                    op = Operation(
                        caller=caller,
                        org_id=org_id,
                        chain_id=self.chain_id,
                        signer=sender,
                        contract_name=contract_name,
                        contract_address=to,
                        function=function,
                        args=jsonable(list(args)),
                        nonce=nonce,
                        gas_limit=gas,
                        raw_tx=bytes(signed.raw_transaction),
                        tx_hash="0x" + bytes(signed.hash).hex(),
                        state=PENDING,
                        broadcasts=0,
                        events=[],
                        idempotency_key=idempotency_key,
                        request_hash=request_hash,
                    )
                    session.add(op)
                    session.flush()
                return op
            except IntegrityError:
                # another process created the nonce row or used the idempotency key
                if idempotency_key is not None:
                    existing_op = self._find_idempotent(caller, idempotency_key)
                    if existing_op is not None:
                        raise _Duplicate(existing_op) from None
                if attempt == 4:
                    raise
        raise AssertionError("unreachable")

    # -- broadcast and tracking --------------------------------------------------------

    def _broadcast(self, op: Operation) -> str:
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
        self._mark(op.id, SENT)
        op.state = SENT
        return SENT

    def _mark(self, op_id: str, state: str, error: tuple[str, str] | None = None) -> None:
        """Move an in-flight op to ``state`` (never touches a final one)."""
        values: dict[str, Any] = {"state": state, "updated_at": utcnow()}
        if state == SENT:
            values["broadcasts"] = Operation.broadcasts + 1
        if error is not None:
            values["error_code"], values["error_detail"] = error
        elif state == SENT:
            values["error_code"] = None
            values["error_detail"] = None
        with self.sessions() as session, session.begin():
            session.execute(
                update(Operation)
                .execution_options(synchronize_session=False)
                .where(Operation.id == op_id, Operation.state.in_(IN_FLIGHT))
                .values(**values)
            )

    def _receipt(self, tx_hash: str) -> dict[str, Any] | None:
        return self.rpc.receipt(tx_hash)

    def _known(self, tx_hash: str) -> bool:
        return self.rpc.transaction(tx_hash) is not None

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

    def _decoder(self, contract_name: str) -> EventDecoder:
        if contract_name not in self._decoders:
            try:
                from chain.artifacts import load

                self.register_abi(contract_name, load(contract_name).abi)
            except Exception:
                return EventDecoder()
        return self._decoders[contract_name]

    def _finish(self, op_id: str, state: str, error: tuple[str, str] | None = None,
                **values: Any) -> None:  # fmt: skip
        if error is not None:
            values["error_code"], values["error_detail"] = error
        elif state == MINED:
            values["error_code"] = None
            values["error_detail"] = None
        with self.sessions() as session, session.begin():
            session.execute(
                update(Operation)
                .execution_options(synchronize_session=False)
                .where(Operation.id == op_id, Operation.state.in_(IN_FLIGHT))
                .values(state=state, updated_at=utcnow(), **values)
            )

    def _align_nonce_rows(self) -> None:
        """Move nonce rows forward when the chain's pending nonce is ahead of them."""
        with self.sessions() as session:
            rows = list(
                session.scalars(select(AccountNonce).where(AccountNonce.chain_id == self.chain_id))
            )
        for row in rows:
            try:
                chain_nonce = self.rpc.nonce(row.address, "pending")
            except Exception:
                continue
            if chain_nonce > row.next_nonce:
                with self._account_lock(row.address), self.sessions() as session, session.begin():
                    session.execute(
                        update(AccountNonce)
                        .where(
                            AccountNonce.chain_id == self.chain_id,
                            AccountNonce.address == row.address,
                            AccountNonce.next_nonce < chain_nonce,
                        )
                        .values(next_nonce=chain_nonce, updated_at=utcnow())
                    )


class _Duplicate(Exception):
    def __init__(self, op: Operation) -> None:
        super().__init__(op.id)
        self.op = op


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
