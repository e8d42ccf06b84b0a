"""Tables of the indexer: blocks, raw events, the checkpoint and the projections.

Raw events are the source of truth of the store: every projection row is a pure function
of the ordered raw events (see ``projections``), so after a reorg the projections are
rebuilt from the events that remain.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Dialect,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeEngine

from chain.db import Base

HASH = 66  # 0x + 64 hex digits
ADDRESS = 42

AutoId = BigInteger().with_variant(Integer, "sqlite")


class Uint(TypeDecorator[int]):
    """An unsigned integer up to 2**256: NUMERIC(78) on PostgreSQL, decimal text elsewhere.

    Amounts are summed in Python (exactly), never in SQL, so text on SQLite loses nothing.
    """

    impl = String(80)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(78, 0))
        return dialect.type_descriptor(String(80))

    def process_bind_param(self, value: int | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "postgresql":
            return Decimal(int(value))
        return str(int(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:
        return None if value is None else int(value)


class IndexedBlock(Base):
    """A canonical block the indexer stored (every block with events, and each batch's tail)."""

    __tablename__ = "idx_blocks"

    number: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(HASH), unique=True)
    parent_hash: Mapped[str] = mapped_column(String(HASH))
    timestamp: Mapped[int] = mapped_column(BigInteger)


class RawEvent(Base):
    """One decoded log of a followed contract."""

    __tablename__ = "idx_events"
    __table_args__ = (
        UniqueConstraint("block_hash", "tx_hash", "log_index", name="uq_idx_events_log"),
        Index("ix_idx_events_position", "block_number", "log_index"),
        Index("ix_idx_events_asset", "asset_id", "block_number", "log_index"),
        Index("ix_idx_events_actor", "actor_org_id", "block_number"),
        Index("ix_idx_events_kind", "event", "block_number"),
        Index("ix_idx_events_time", "timestamp"),
    )

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    block_number: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[str] = mapped_column(String(HASH))
    tx_hash: Mapped[str] = mapped_column(String(HASH))
    log_index: Mapped[int] = mapped_column(Integer)
    timestamp: Mapped[int] = mapped_column(BigInteger)
    contract: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(ADDRESS))
    event: Mapped[str] = mapped_column(String(64))
    args: Mapped[dict[str, Any]] = mapped_column(JSON)
    subject_id: Mapped[str | None] = mapped_column(String(HASH), index=True)
    actor_org_id: Mapped[str | None] = mapped_column(String(HASH))
    asset_id: Mapped[str | None] = mapped_column(String(HASH))


class Checkpoint(Base):
    """How far one stream (chain + contract set) is indexed; written with each batch."""

    __tablename__ = "idx_checkpoint"

    stream: Mapped[str] = mapped_column(String(128), primary_key=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    contracts: Mapped[dict[str, Any]] = mapped_column(JSON)
    start_block: Mapped[int] = mapped_column(BigInteger)
    block_number: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[str | None] = mapped_column(String(HASH))
    events: Mapped[int] = mapped_column(BigInteger, default=0)
    reorgs: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[float] = mapped_column(Numeric(20, 6, asdecimal=False))


# ---------------------------------------------------------------- projections


class Position:
    """Where a projected record was created and last changed (block, log index)."""

    first_block: Mapped[int] = mapped_column(BigInteger)
    first_log_index: Mapped[int] = mapped_column(Integer)
    updated_block: Mapped[int] = mapped_column(BigInteger)
    updated_log_index: Mapped[int] = mapped_column(Integer)


class OrgRow(Position, Base):
    __tablename__ = "idx_orgs"

    org_id: Mapped[str] = mapped_column(String(HASH), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    city: Mapped[int] = mapped_column(BigInteger, index=True)
    active: Mapped[bool] = mapped_column(Boolean)
    name_hash: Mapped[str] = mapped_column(String(HASH))
    #: Admission order in the directory (other contracts store it instead of the id).
    org_index: Mapped[int] = mapped_column(BigInteger, index=True)
    key_count: Mapped[int] = mapped_column(Integer)
    #: A registrar's notice window and certificate term (seconds; 0 for other kinds).
    notice_window: Mapped[int] = mapped_column(BigInteger, default=0)
    certificate_term: Mapped[int] = mapped_column(BigInteger, default=0)


class OrgIndexRow(Base):
    """Directory index -> organisation id (recognitions name the recogniser by index)."""

    __tablename__ = "idx_org_indexes"

    org_index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    org_id: Mapped[str] = mapped_column(String(HASH))


class SigningKeyRow(Position, Base):
    """A signing account of an organisation: proposed, live, removed or compromised."""

    __tablename__ = "idx_signing_keys"

    account: Mapped[str] = mapped_column(String(ADDRESS), primary_key=True)
    org_id: Mapped[str] = mapped_column(String(HASH), index=True)
    valid_from: Mapped[int] = mapped_column(BigInteger)
    valid_until: Mapped[int] = mapped_column(BigInteger)
    compromised_at: Mapped[int] = mapped_column(BigInteger)
    #: proposed | live | removed | compromised
    state: Mapped[str] = mapped_column(String(16))
    marked_by_org_id: Mapped[str | None] = mapped_column(String(HASH))


class ProposalRow(Position, Base):
    """A governance proposal of the registrars (k of n)."""

    __tablename__ = "idx_proposals"

    proposal_id: Mapped[str] = mapped_column(String(HASH), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), index=True)
    approvals: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[int] = mapped_column(BigInteger)
    proposer_org_id: Mapped[str] = mapped_column(String(HASH))
    params: Mapped[str] = mapped_column(String(4096))


class GovernanceRow(Position, Base):
    """The directory's governance settings (one row, key "directory")."""

    __tablename__ = "idx_governance"

    key: Mapped[str] = mapped_column(String(16), primary_key=True)
    threshold: Mapped[int] = mapped_column(Integer)
    active_registrars: Mapped[int] = mapped_column(Integer)
    handed_over: Mapped[bool] = mapped_column(Boolean)
    notice_min: Mapped[int] = mapped_column(BigInteger)
    notice_max: Mapped[int] = mapped_column(BigInteger)
    term_min: Mapped[int] = mapped_column(BigInteger)
    term_max: Mapped[int] = mapped_column(BigInteger)


class AssetRow(Position, Base):
    __tablename__ = "idx_assets"
    __table_args__ = (Index("ix_idx_assets_order", "first_block", "first_log_index", "asset_id"),)

    asset_id: Mapped[str] = mapped_column(String(HASH), primary_key=True)
    holder_org_id: Mapped[str] = mapped_column(String(HASH), index=True)
    catalogue_hash: Mapped[str] = mapped_column(String(HASH))
    metadata_hash: Mapped[str] = mapped_column(String(HASH))
    batch_id: Mapped[str] = mapped_column(String(HASH))
    valuation_report_hash: Mapped[str] = mapped_column(String(HASH))
    compliance_report_hash: Mapped[str] = mapped_column(String(HASH))
    current_certificate_id: Mapped[str] = mapped_column(String(HASH))
    pledge_id: Mapped[str] = mapped_column(String(HASH))
    operator_org_id: Mapped[str] = mapped_column(String(HASH))
    disposal_reason_hash: Mapped[str] = mapped_column(String(HASH))
    value_fen: Mapped[int] = mapped_column(Uint)
    city: Mapped[int] = mapped_column(BigInteger, index=True)
    domain_code: Mapped[int] = mapped_column(BigInteger)
    valuation_method: Mapped[int] = mapped_column(BigInteger)
    open_objections: Mapped[int] = mapped_column(BigInteger)
    registered_at: Mapped[int] = mapped_column(BigInteger)
    notice_ends_at: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(32), index=True)
    compliance: Mapped[str] = mapped_column(String(16))
    disputed: Mapped[bool] = mapped_column(Boolean)
    paid_use_approved: Mapped[bool] = mapped_column(Boolean)
    # v2 facts: the parts of "usable" and the dispute's documents
    valued: Mapped[bool] = mapped_column(Boolean)
    certificate_revoked: Mapped[bool] = mapped_column(Boolean)
    certificate_valid_until: Mapped[int] = mapped_column(BigInteger)
    nonce: Mapped[int] = mapped_column(BigInteger)
    dispute_reason_hash: Mapped[str] = mapped_column(String(HASH))
    dispute_resolution_hash: Mapped[str] = mapped_column(String(HASH))
    disposal_requested: Mapped[bool] = mapped_column(Boolean)


class ObjectionRow(Position, Base):
    __tablename__ = "idx_objections"

    objection_id: Mapped[str] = mapped_column(String(HASH), primary_key=True)
    asset_id: Mapped[str] = mapped_column(String(HASH), index=True)
    objector_org_id: Mapped[str] = mapped_column(String(HASH))
    reason_hash: Mapped[str] = mapped_column(String(HASH))
    resolution_hash: Mapped[str] = mapped_column(String(HASH))
    lodged_at: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    foreign: Mapped[bool] = mapped_column(Boolean)


class CertificateRow(Position, Base):
    __tablename__ = "idx_certificates"
    __table_args__ = (
        Index("ix_idx_certificates_order", "first_block", "first_log_index", "certificate_id"),
    )

    certificate_id: Mapped[str] = mapped_column(String(HASH), primary_key=True)
    asset_id: Mapped[str] = mapped_column(String(HASH), index=True)
    registrar_org_id: Mapped[str] = mapped_column(String(HASH), index=True)
    holder_org_id: Mapped[str] = mapped_column(String(HASH), index=True)
    city: Mapped[int] = mapped_column(BigInteger, index=True)
    metadata_hash: Mapped[str] = mapped_column(String(HASH))
    replaced_by: Mapped[str] = mapped_column(String(HASH))
    #: The revoked certificate this one re-issues or the one it amends (0 for an initial one).
    supersedes: Mapped[str] = mapped_column(String(HASH))
    issued_at: Mapped[int] = mapped_column(BigInteger)
    valid_until: Mapped[int] = mapped_column(BigInteger)
    revoked_at: Mapped[int] = mapped_column(BigInteger)
    revocation_reason: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)
    recognitions: Mapped[int] = mapped_column(Integer, default=0)


class RecognitionRow(Base):
    """Recognition of a certificate by the organisation with directory index ``org_index``
    (``org_id`` as the directory's OrgAdmitted event named it; zero when unknown)."""

    __tablename__ = "idx_recognitions"

    certificate_id: Mapped[str] = mapped_column(String(HASH), primary_key=True)
    org_index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    org_id: Mapped[str] = mapped_column(String(HASH), index=True)
    active: Mapped[bool] = mapped_column(Boolean)
    recognised_block: Mapped[int] = mapped_column(BigInteger)
    withdrawn_block: Mapped[int | None] = mapped_column(BigInteger)


class AgreementRow(Position, Base):
    __tablename__ = "idx_agreements"

    agreement_id: Mapped[str] = mapped_column(String(HASH), primary_key=True)
    proposer_org_id: Mapped[str] = mapped_column(String(HASH), index=True)
    partner_org_id: Mapped[str] = mapped_column(String(HASH), index=True)
    updated_at: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))


class ApplicationRow(Position, Base):
    __tablename__ = "idx_applications"

    application_id: Mapped[str] = mapped_column(String(HASH), primary_key=True)
    asset_id: Mapped[str] = mapped_column(String(HASH), index=True)
    holder_org_id: Mapped[str] = mapped_column(String(HASH))
    operator_org_id: Mapped[str] = mapped_column(String(HASH))
    scope_hash: Mapped[str] = mapped_column(String(HASH))
    reason_hash: Mapped[str] = mapped_column(String(HASH))
    applied_at: Mapped[int] = mapped_column(BigInteger)
    decided_at: Mapped[int] = mapped_column(BigInteger)
    competent_approved: Mapped[bool] = mapped_column(Boolean)
    data_admin_approved: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16))


class ScheduleRow(Position, Base):
    __tablename__ = "idx_schedules"

    asset_id: Mapped[str] = mapped_column(String(HASH), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    lower_bounds: Mapped[list[str]] = mapped_column(JSON)
    operator_bps: Mapped[list[int]] = mapped_column(JSON)
    finance_org_id: Mapped[str] = mapped_column(String(HASH))
    effective_block: Mapped[int] = mapped_column(BigInteger)


class PaymentRow(Position, Base):
    __tablename__ = "idx_payments"

    payment_id: Mapped[str] = mapped_column(String(HASH), primary_key=True)
    asset_id: Mapped[str] = mapped_column(String(HASH), index=True)
    settlement: Mapped[str] = mapped_column(String(16))
    payer: Mapped[str] = mapped_column(String(ADDRESS))
    payer_org_id: Mapped[str] = mapped_column(String(HASH), index=True)
    operator_org_id: Mapped[str] = mapped_column(String(HASH))
    city: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(Uint)
    operator_share: Mapped[int] = mapped_column(Uint)
    treasury_share: Mapped[int] = mapped_column(Uint)
    schedule_version: Mapped[int] = mapped_column(BigInteger)
    external_ref: Mapped[str] = mapped_column(String(HASH))
    remitted: Mapped[bool] = mapped_column(Boolean)
    remittance_ref: Mapped[str | None] = mapped_column(String(HASH))
    tx_hash: Mapped[str] = mapped_column(String(HASH))


class FinancingRow(Position, Base):
    """Pledges, credit lines and equity contributions."""

    __tablename__ = "idx_financings"

    financing_id: Mapped[str] = mapped_column(String(HASH), primary_key=True)
    asset_id: Mapped[str] = mapped_column(String(HASH), index=True)
    holder_org_id: Mapped[str] = mapped_column(String(HASH))
    counterparty_org_id: Mapped[str] = mapped_column(String(HASH), index=True)
    document_hash: Mapped[str] = mapped_column(String(HASH))
    amount_fen: Mapped[int] = mapped_column(Uint)
    recorded_at: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16))


class SplitAccountRow(Position, Base):
    """A treasury (per city) or payout (per operator) account and its pending change."""

    __tablename__ = "idx_split_accounts"

    role: Mapped[str] = mapped_column(String(16), primary_key=True)  # treasury | payout
    owner: Mapped[str] = mapped_column(String(HASH), primary_key=True)  # city | operator org
    account: Mapped[str] = mapped_column(String(ADDRESS))
    pending_account: Mapped[str] = mapped_column(String(ADDRESS))
    pending_effective_at: Mapped[int] = mapped_column(BigInteger)
    proposed_by: Mapped[str] = mapped_column(String(HASH))


PROJECTION_TABLES: tuple[type[Base], ...] = (
    OrgRow,
    OrgIndexRow,
    SigningKeyRow,
    ProposalRow,
    GovernanceRow,
    AssetRow,
    ObjectionRow,
    CertificateRow,
    RecognitionRow,
    AgreementRow,
    ApplicationRow,
    ScheduleRow,
    PaymentRow,
    FinancingRow,
    SplitAccountRow,
)
INDEXER_TABLES: tuple[type[Base], ...] = (IndexedBlock, RawEvent, Checkpoint, *PROJECTION_TABLES)


def create_tables(engine: Any) -> None:
    """Create the indexer's tables (idempotent)."""
    tables: list[Table] = [Base.metadata.tables[t.__tablename__] for t in INDEXER_TABLES]
    Base.metadata.create_all(engine, tables=tables)
