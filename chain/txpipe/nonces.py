"""Nonces: one row per (chain id, signing account) in ``account_nonces``, advanced in the
write transaction (the row is the lock), and moved forward when the chain is ahead."""

from __future__ import annotations

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from chain.errors import ChainUnavailable
from chain.txpipe.core import PipelineCore
from chain.txpipe.models import AccountNonce, Operation, utcnow

#: advance a nonce row by ``count`` (built once: statement building costs more than the
#: statement's execution)
_NONCES: Table = AccountNonce.__table__  # type: ignore[assignment]
_TAKE = (
    update(_NONCES)
    .where(_NONCES.c.chain_id == bindparam("chain"), _NONCES.c.address == bindparam("sender"))
    .values(next_nonce=_NONCES.c.next_nonce + bindparam("count"), updated_at=bindparam("now"))
    .returning(_NONCES.c.next_nonce)
)


class NonceManager(PipelineCore):
    """Takes and aligns nonces."""

    def _take_nonce(self, session: Session, sender: str, count: int = 1) -> int:
        """Advance the signer's nonce row by ``count`` (the row lock) and return the first
        nonce to use."""
        taken = session.execute(
            _TAKE, {"chain": self.chain_id, "sender": sender, "count": count, "now": utcnow()}
        ).scalar_one_or_none()
        if taken is not None:
            return int(taken) - count
        try:
            chain_nonce = self.rpc.nonce(sender, "pending")
        except Exception as exc:  # the first write of this account needs the chain's nonce
            raise ChainUnavailable(f"the chain node does not answer: {type(exc).__name__}") from exc
        journal_max = session.scalar(
            select(func.max(Operation.nonce)).where(
                Operation.chain_id == self.chain_id, Operation.signer == sender
            )
        )
        start = max(chain_nonce, -1 if journal_max is None else int(journal_max) + 1)
        session.add(AccountNonce(chain_id=self.chain_id, address=sender, next_nonce=start + count))
        session.flush()
        return start

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
