"""Tables of the transaction pipeline: the operation journal (outbox) and nonce rows."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from chain.db import Base

#: states an operation moves through; ``pending`` and ``sent`` are in flight
PENDING = "pending"  # journaled (signed, nonce taken); broadcast not confirmed yet
SENT = "sent"  # the node accepted the raw transaction
MINED = "mined"  # included with status 1 (and the configured confirmations)
REVERTED = "reverted"  # included with status 0
FAILED = "failed"  # the node refuses the transaction for good
DROPPED = "dropped"  # its nonce was used by another transaction
IN_FLIGHT = (PENDING, SENT)
TERMINAL = (MINED, REVERTED, FAILED, DROPPED)
STATES = (*IN_FLIGHT, *TERMINAL)


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


class Operation(Base):
    """One contract write: journaled with its signed raw transaction before anyone is told."""

    __tablename__ = "operations"
    __table_args__ = (
        UniqueConstraint("caller", "idempotency_key", name="uq_operations_idempotency"),
        UniqueConstraint("chain_id", "signer", "nonce", name="uq_operations_signer_nonce"),
        Index("ix_operations_signer_state", "signer", "state"),
        #: the in-flight reads (the tracker's, a signer's in-flight count) by chain and
        #: state: with only the two above, SQLite took the (chain, signer, nonce) key and
        #: walked every operation a signer or the chain ever had, on every poll
        Index("ix_operations_in_flight", "chain_id", "state", "signer", "nonce"),
        Index("ix_operations_state", "state"),
        Index("ix_operations_tx_hash", "tx_hash"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    state: Mapped[str] = mapped_column(String(16), default=PENDING)
    caller: Mapped[str] = mapped_column(String(64))
    org_id: Mapped[str | None] = mapped_column(String(66), index=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    signer: Mapped[str] = mapped_column(String(42))
    contract_name: Mapped[str] = mapped_column(String(80))
    contract_address: Mapped[str] = mapped_column(String(42))
    function: Mapped[str] = mapped_column(String(120))
    args: Mapped[Any] = mapped_column(JSON)
    nonce: Mapped[int] = mapped_column(BigInteger)
    gas_limit: Mapped[int] = mapped_column(BigInteger)
    raw_tx: Mapped[bytes] = mapped_column(LargeBinary)
    tx_hash: Mapped[str] = mapped_column(String(66))
    broadcasts: Mapped[int] = mapped_column(Integer, default=0)
    block_number: Mapped[int | None] = mapped_column(BigInteger)
    block_hash: Mapped[str | None] = mapped_column(String(66))
    receipt_status: Mapped[int | None] = mapped_column(Integer)
    gas_used: Mapped[int | None] = mapped_column(BigInteger)
    events: Mapped[Any] = mapped_column(JSON, default=list)
    error_code: Mapped[str | None] = mapped_column(String(120))
    error_detail: Mapped[str | None] = mapped_column(Text)
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    @property
    def in_flight(self) -> bool:
        return self.state in IN_FLIGHT

    @property
    def succeeded(self) -> bool:
        return self.state == MINED

    def to_public(self) -> dict[str, Any]:
        """The operation as the API shows it (no raw transaction)."""
        return {
            "id": self.id,
            "state": self.state,
            "org_id": self.org_id,
            "contract": {"name": self.contract_name, "address": self.contract_address},
            "function": self.function,
            "args": self.args,
            "signer": self.signer,
            "nonce": self.nonce,
            "chain_id": self.chain_id,
            "tx_hash": self.tx_hash,
            "block_number": self.block_number,
            "block_hash": self.block_hash,
            "gas_used": self.gas_used,
            "events": self.events or [],
            "error": (
                {"code": self.error_code, "detail": self.error_detail} if self.error_code else None
            ),
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
        }


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite returns naive datetimes; they were stored as UTC
        value = value.replace(tzinfo=UTC)
    return value.isoformat().replace("+00:00", "Z")


class AccountNonce(Base):
    """The next nonce of one signing account on one chain (the row is the lock)."""

    __tablename__ = "account_nonces"

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    address: Mapped[str] = mapped_column(String(42), primary_key=True)
    next_nonce: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
