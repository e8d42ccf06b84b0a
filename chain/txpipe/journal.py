"""The journal (outbox): idempotency and the one database transaction that takes a
nonce, signs and stores the signed raw transaction before anybody is answered."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from eth_account.signers.local import LocalAccount
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from chain.errors import IdempotencyConflict, jsonable
from chain.txpipe.models import PENDING, Operation
from chain.txpipe.nonces import NonceManager


def request_hash(body: Any) -> str:
    """A stable sha256 of a request body (canonical JSON) for idempotency checks."""
    canonical = json.dumps(jsonable(body), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class _Duplicate(Exception):
    def __init__(self, op: Operation) -> None:
        super().__init__(op.id)
        self.op = op


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
