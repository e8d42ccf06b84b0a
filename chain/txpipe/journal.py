"""The journal (outbox): idempotency and the one database transaction that takes a
nonce, signs and stores the signed raw transaction before anybody is answered."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from eth_account.signers.local import LocalAccount
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from chain.errors import IdempotencyConflict, jsonable
from chain.txpipe.guards import JournalGuard
from chain.txpipe.models import PENDING, AccountNonce, Operation, new_id, utcnow
from chain.txpipe.nonces import NonceManager
from chain.txpipe.rows import insert_rows
from chain.txpipe.signing import sign_transaction

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
    #: not run on the node first (the client prefers an answer once it is journaled):
    #: its burst is answered once committed and sent in the background
    answer_when_journaled: bool = False
    #: conditions checked in the journal's transaction (see :mod:`chain.txpipe.guards`)
    guards: Sequence[JournalGuard] = ()
    done: threading.Event = field(default_factory=threading.Event)
    op: Operation | None = None
    #: the key was used before (``op`` is that operation; nothing was journaled)
    duplicate: bool = False
    error: BaseException | None = None


class Journal(NonceManager):
    """Idempotency look-ups and journaling."""

    @staticmethod
    def _guarded(session: Session, requests: Sequence[WriteRequest]) -> None:
        """Refuse (``error`` = the guard's) the requests one of whose guards fails: one
        call of each guard class for the burst, the classes in the order they first appear
        (a request refused by one is not checked by the next)."""
        classes: dict[type[JournalGuard], None] = {}
        for request in requests:
            for guard in request.guards:
                classes.setdefault(type(guard), None)
        for guard_class in classes:
            group = [
                (request, guard)
                for request in requests
                if request.error is None
                for guard in request.guards
                if type(guard) is guard_class
            ]
            if not group:
                continue
            refusals = guard_class.refusals(session, [guard for _, guard in group])
            for (request, _), error in zip(group, refusals, strict=True):
                if error is not None and request.error is None:
                    request.error = error

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
        guards: Sequence[JournalGuard] = (),
    ) -> Operation:
        request = WriteRequest(signer, sender, contract_name, to, function, args, data, value,
                               gas, fees, caller, org_id, idempotency_key, request_hash,
                               guards=guards)  # fmt: skip
        for attempt in range(5):
            try:
                with self._writing() as session:
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
                    self._guarded(session, [request])
                    if request.error is not None:
                        raise request.error  # rolls the nonce back
                    op = self._signed_operation(request, sender, nonce, utcnow())
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
        row advanced once by the burst's size (its lock first, as for one write),
        idempotency keys checked under that lock, every transaction signed, the operations
        and their rows stored with one multi-row INSERT per table, one commit. Sets ``op``
        (and ``duplicate``) on each request; returns the new operations in nonce order.

        Raises what the database raises (the caller falls back to one write at a time)."""
        new: list[Operation] = []
        with self._writing() as session:
            first = self._take_nonce(session, sender, len(batch))
            keyed = [(r.caller, r.idempotency_key) for r in batch if r.idempotency_key is not None]
            known: dict[tuple[str, str], Operation] = {}
            if keyed:
                for found in session.scalars(
                    select(Operation).where(
                        Operation.idempotency_key.in_({k for _, k in keyed}),
                        Operation.caller.in_({c for c, _ in keyed}),
                    )
                ):
                    if found.idempotency_key is not None:
                        known[(found.caller, found.idempotency_key)] = found
            firsts = self._guard_new(session, batch, known)
            rows: list[object] = []
            now = utcnow()
            nonce = first
            for request in batch:
                if request.error is not None:
                    continue
                pair = (request.caller, request.idempotency_key or "")
                if request.idempotency_key is not None and pair in known:
                    request.op, request.duplicate = known[pair], True
                    continue
                earlier = firsts.get(pair) if request.idempotency_key is not None else None
                if earlier is not None and earlier.error is not None:
                    request.error = earlier.error  # its key's first write was refused
                    continue
                op = self._signed_operation(request, sender, nonce, now)
                if request.journal_with is not None:
                    rows.extend(request.journal_with(op))
                request.op = op
                new.append(op)
                if request.idempotency_key is not None:
                    known[pair] = op  # the same key twice in one burst: one operation
                nonce += 1
            if nonce != first + len(batch):  # duplicates, stale ones took no nonce: back
                session.execute(
                    update(AccountNonce)
                    .execution_options(synchronize_session=False)
                    .where(AccountNonce.chain_id == self.chain_id, AccountNonce.address == sender)
                    .values(next_nonce=nonce, updated_at=utcnow())
                )
            insert_rows(session, [*new, *rows])  # operations first: the rows refer to them
        return new

    def _guard_new(
        self,
        session: Session,
        batch: Sequence[WriteRequest],
        known: Mapping[tuple[str, str], Operation],
    ) -> dict[tuple[str, str], WriteRequest]:
        """Check the guards of the burst's writes to be journaled: not refused already, not
        a replay of a journaled key, not a later write of a key used earlier in the burst
        (that one answers the earlier's operation, or its refusal). The first write of each
        key used in the burst, by (caller, key)."""
        firsts: dict[tuple[str, str], WriteRequest] = {}
        checked: list[WriteRequest] = []
        for request in batch:
            if request.error is not None:
                continue
            if request.idempotency_key is not None:
                pair = (request.caller, request.idempotency_key)
                if pair in known or pair in firsts:
                    continue
                firsts[pair] = request
            checked.append(request)
        self._guarded(session, checked)
        return firsts

    def _signed_operation(
        self, request: WriteRequest, sender: str, nonce: int, now: datetime
    ) -> Operation:
        """The request signed with ``nonce``: a new operation (not in any session)."""
        raw_tx, tx_hash = sign_transaction(
            request.signer, chain_id=self.chain_id, nonce=nonce, to=request.to,
            data=request.data, value=request.value, gas=request.gas, fees=request.fees,
        )  # fmt: skip
        return Operation(
            id=new_id(), state=PENDING, caller=request.caller, org_id=request.org_id,
            chain_id=self.chain_id, signer=sender, contract_name=request.contract_name,
            contract_address=request.to, function=request.function,
            args=jsonable(list(request.args)), nonce=nonce, gas_limit=request.gas,
            raw_tx=raw_tx, tx_hash=tx_hash, broadcasts=0, events=[],
            idempotency_key=request.idempotency_key, request_hash=request.request_hash,
            created_at=now, updated_at=now,
        )  # fmt: skip
