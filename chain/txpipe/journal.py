"""The journal (outbox): idempotency and the one database transaction that takes a
nonce, signs and stores the signed raw transaction before anybody is answered."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_account.signers.local import LocalAccount
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from chain.errors import IdempotencyConflict, jsonable
from chain.txpipe.models import PENDING, AccountNonce, Operation, new_id, utcnow
from chain.txpipe.nonces import NonceManager

#: rows a write stores with its operation, in the journal's database transaction (the
#: gateway's record of what it commits to on chain: a document and its salts); called
#: with the new operation (its id set), never for an idempotent replay
JournalRows = Callable[[Operation], Sequence[object]]


def request_hash(body: Any) -> str:
    """A stable sha256 of a request body (canonical JSON) for idempotency checks."""
    canonical = json.dumps(jsonable(body), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class _Duplicate(Exception):
    def __init__(self, op: Operation) -> None:
        super().__init__(op.id)
        self.op = op


@dataclass(eq=False)
class WriteRequest:
    """One simulated write waiting for its signer's next journal batch."""

    signer: LocalAccount
    sender: str
    contract_name: str
    to: str
    function: str
    args: Sequence[Any]
    data: str
    value: int
    gas: int
    fees: dict[str, Any]
    caller: str
    org_id: str | None
    idempotency_key: str | None
    request_hash: str | None
    journal_with: JournalRows | None = None
    done: threading.Event = field(default_factory=threading.Event)
    op: Operation | None = None
    #: the key was used before (``op`` is that operation; nothing was journaled)
    duplicate: bool = False
    error: BaseException | None = None


class Journal(NonceManager):
    """Idempotency look-ups and journaling."""

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
        journal_with: JournalRows | None = None,
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
                            session.expunge(existing)  # keeps its state through the rollback
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
                        id=new_id(),
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
                    if journal_with is not None:
                        session.add_all(journal_with(op))
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

    def _journal_batch(self, sender: str, batch: Sequence[WriteRequest]) -> list[Operation]:
        """Journal a burst of one signer's writes in ONE database transaction: the nonce
        row advanced once (its lock first, as for one write), idempotency keys checked
        under that lock, every transaction signed and stored, one commit. Sets ``op`` (and
        ``duplicate``) on each request; returns the new operations in nonce order.

        Raises what the database raises (the caller falls back to one write at a time)."""
        new: list[Operation] = []
        with self.sessions() as session, session.begin():
            first = self._take_nonce(session, sender)
            if len(batch) > 1:
                session.execute(
                    update(AccountNonce)
                    .execution_options(synchronize_session=False)
                    .where(AccountNonce.chain_id == self.chain_id, AccountNonce.address == sender)
                    .values(next_nonce=AccountNonce.next_nonce + (len(batch) - 1))
                )
            keyed = [(r.caller, r.idempotency_key) for r in batch if r.idempotency_key is not None]
            known: dict[tuple[str, str], Operation] = {}
            if keyed:
                for op in session.scalars(
                    select(Operation).where(
                        Operation.idempotency_key.in_({k for _, k in keyed}),
                        Operation.caller.in_({c for c, _ in keyed}),
                    )
                ):
                    if op.idempotency_key is not None:
                        known[(op.caller, op.idempotency_key)] = op
            nonce = first
            for request in batch:
                pair = (request.caller, request.idempotency_key or "")
                if request.idempotency_key is not None and pair in known:
                    request.op, request.duplicate = known[pair], True
                    continue
                tx = {"chainId": self.chain_id, "nonce": nonce, "to": request.to,
                      "data": request.data, "value": request.value, "gas": request.gas,
                      **request.fees}  # fmt: skip
                signed = request.signer.sign_transaction(tx)
                op = Operation(
                    id=new_id(), caller=request.caller, org_id=request.org_id,
                    chain_id=self.chain_id,
                    signer=sender, contract_name=request.contract_name,
                    contract_address=request.to, function=request.function,
                    args=jsonable(list(request.args)), nonce=nonce, gas_limit=request.gas,
                    raw_tx=bytes(signed.raw_transaction),
                    tx_hash="0x" + bytes(signed.hash).hex(), state=PENDING, broadcasts=0,
                    events=[], idempotency_key=request.idempotency_key,
                    request_hash=request.request_hash,
                )  # fmt: skip
                session.add(op)
                if request.journal_with is not None:
                    session.add_all(request.journal_with(op))
                request.op = op
                new.append(op)
                if request.idempotency_key is not None:
                    known[pair] = op  # the same key twice in one burst: one operation
                nonce += 1
            if nonce != first + len(batch):  # duplicates took no nonce: give them back
                session.execute(
                    update(AccountNonce)
                    .execution_options(synchronize_session=False)
                    .where(AccountNonce.chain_id == self.chain_id, AccountNonce.address == sender)
                    .values(next_nonce=nonce, updated_at=utcnow())
                )
            session.flush()
        return new
