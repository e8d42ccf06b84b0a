"""indexer projections of the v2 contracts

The store now follows the v2 contracts (OrgDirectory, AssetRegistryV2, UseAndFinance,
RevenueSplitV2): new projections (directory indexes, signing keys, proposals, governance,
objections, split accounts), new columns (usability parts, disputes, re-issue links,
registrar terms, payment operator and city) and recognitions keyed by the recogniser's
directory index. The indexed rows of the v1 contracts are a cache of another contract set
(the indexer refuses a store that follows other contracts), so they are cleared: the
indexer fills the store again from the v2 deployment block.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


#: Every table of the indexer as revision 0003 left it (children first).
_V1_INDEXER_TABLES = (
    "idx_recognitions", "idx_certificates", "idx_assets", "idx_orgs", "idx_agreements",
    "idx_applications", "idx_schedules", "idx_payments", "idx_financings", "idx_events",
    "idx_blocks", "idx_checkpoint",
)  # fmt: skip


def _recognitions(org_key: str) -> None:
    """idx_recognitions keyed by (certificate, ``org_key``)."""
    columns: list[sa.schema.SchemaItem] = [
        sa.Column("certificate_id", sa.String(length=66), nullable=False),
        sa.Column("org_id", sa.String(length=66), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("recognised_block", sa.BigInteger(), nullable=False),
        sa.Column("withdrawn_block", sa.BigInteger(), nullable=True),
    ]
    if org_key == "org_index":
        columns.insert(1, sa.Column("org_index", sa.BigInteger(), autoincrement=False,
                                    nullable=False))  # fmt: skip
    op.create_table(
        "idx_recognitions", *columns, sa.PrimaryKeyConstraint("certificate_id", org_key)
    )
    if org_key == "org_index":
        with op.batch_alter_table("idx_recognitions", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_idx_recognitions_org_id"), ["org_id"])


def upgrade() -> None:
    for table in _V1_INDEXER_TABLES:
        op.execute(sa.text(f"DELETE FROM {table}"))
    op.drop_table("idx_recognitions")
    _recognitions("org_index")
    op.create_table(
        "idx_governance",
        sa.Column("key", sa.String(length=16), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("active_registrars", sa.Integer(), nullable=False),
        sa.Column("handed_over", sa.Boolean(), nullable=False),
        sa.Column("notice_min", sa.BigInteger(), nullable=False),
        sa.Column("notice_max", sa.BigInteger(), nullable=False),
        sa.Column("term_min", sa.BigInteger(), nullable=False),
        sa.Column("term_max", sa.BigInteger(), nullable=False),
        sa.Column("first_block", sa.BigInteger(), nullable=False),
        sa.Column("first_log_index", sa.Integer(), nullable=False),
        sa.Column("updated_block", sa.BigInteger(), nullable=False),
        sa.Column("updated_log_index", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "idx_objections",
        sa.Column("objection_id", sa.String(length=66), nullable=False),
        sa.Column("asset_id", sa.String(length=66), nullable=False),
        sa.Column("objector_org_id", sa.String(length=66), nullable=False),
        sa.Column("reason_hash", sa.String(length=66), nullable=False),
        sa.Column("resolution_hash", sa.String(length=66), nullable=False),
        sa.Column("lodged_at", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("foreign", sa.Boolean(), nullable=False),
        sa.Column("first_block", sa.BigInteger(), nullable=False),
        sa.Column("first_log_index", sa.Integer(), nullable=False),
        sa.Column("updated_block", sa.BigInteger(), nullable=False),
        sa.Column("updated_log_index", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("objection_id"),
    )
    with op.batch_alter_table("idx_objections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_idx_objections_asset_id"), ["asset_id"], unique=False)

    op.create_table(
        "idx_org_indexes",
        sa.Column("org_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("org_id", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("org_index"),
    )
    op.create_table(
        "idx_proposals",
        sa.Column("proposal_id", sa.String(length=66), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("approvals", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("proposer_org_id", sa.String(length=66), nullable=False),
        sa.Column("params", sa.String(length=4096), nullable=False),
        sa.Column("first_block", sa.BigInteger(), nullable=False),
        sa.Column("first_log_index", sa.Integer(), nullable=False),
        sa.Column("updated_block", sa.BigInteger(), nullable=False),
        sa.Column("updated_log_index", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("proposal_id"),
    )
    with op.batch_alter_table("idx_proposals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_idx_proposals_status"), ["status"], unique=False)

    op.create_table(
        "idx_signing_keys",
        sa.Column("account", sa.String(length=42), nullable=False),
        sa.Column("org_id", sa.String(length=66), nullable=False),
        sa.Column("valid_from", sa.BigInteger(), nullable=False),
        sa.Column("valid_until", sa.BigInteger(), nullable=False),
        sa.Column("compromised_at", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("marked_by_org_id", sa.String(length=66), nullable=True),
        sa.Column("first_block", sa.BigInteger(), nullable=False),
        sa.Column("first_log_index", sa.Integer(), nullable=False),
        sa.Column("updated_block", sa.BigInteger(), nullable=False),
        sa.Column("updated_log_index", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("account"),
    )
    with op.batch_alter_table("idx_signing_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_idx_signing_keys_org_id"), ["org_id"], unique=False)

    op.create_table(
        "idx_split_accounts",
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("owner", sa.String(length=66), nullable=False),
        sa.Column("account", sa.String(length=42), nullable=False),
        sa.Column("pending_account", sa.String(length=42), nullable=False),
        sa.Column("pending_effective_at", sa.BigInteger(), nullable=False),
        sa.Column("proposed_by", sa.String(length=66), nullable=False),
        sa.Column("first_block", sa.BigInteger(), nullable=False),
        sa.Column("first_log_index", sa.Integer(), nullable=False),
        sa.Column("updated_block", sa.BigInteger(), nullable=False),
        sa.Column("updated_log_index", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("role", "owner"),
    )
    with op.batch_alter_table("idx_assets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("valued", sa.Boolean(), nullable=False))
        batch_op.add_column(sa.Column("certificate_revoked", sa.Boolean(), nullable=False))
        batch_op.add_column(sa.Column("certificate_valid_until", sa.BigInteger(), nullable=False))
        batch_op.add_column(sa.Column("nonce", sa.BigInteger(), nullable=False))
        batch_op.add_column(sa.Column("dispute_reason_hash", sa.String(length=66), nullable=False))
        batch_op.add_column(
            sa.Column("dispute_resolution_hash", sa.String(length=66), nullable=False)
        )
        batch_op.add_column(sa.Column("disposal_requested", sa.Boolean(), nullable=False))

    with op.batch_alter_table("idx_certificates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("supersedes", sa.String(length=66), nullable=False))

    with op.batch_alter_table("idx_orgs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("org_index", sa.BigInteger(), nullable=False))
        batch_op.add_column(sa.Column("key_count", sa.Integer(), nullable=False))
        batch_op.add_column(sa.Column("notice_window", sa.BigInteger(), nullable=False))
        batch_op.add_column(sa.Column("certificate_term", sa.BigInteger(), nullable=False))
        batch_op.create_index(batch_op.f("ix_idx_orgs_org_index"), ["org_index"], unique=False)

    with op.batch_alter_table("idx_payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("operator_org_id", sa.String(length=66), nullable=False))
        batch_op.add_column(sa.Column("city", sa.BigInteger(), nullable=False))


def downgrade() -> None:
    for table in _V1_INDEXER_TABLES:
        op.execute(sa.text(f"DELETE FROM {table}"))
    op.drop_table("idx_recognitions")
    _recognitions("org_id")

    with op.batch_alter_table("idx_payments", schema=None) as batch_op:
        batch_op.drop_column("city")
        batch_op.drop_column("operator_org_id")

    with op.batch_alter_table("idx_orgs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idx_orgs_org_index"))
        batch_op.drop_column("certificate_term")
        batch_op.drop_column("notice_window")
        batch_op.drop_column("key_count")
        batch_op.drop_column("org_index")

    with op.batch_alter_table("idx_certificates", schema=None) as batch_op:
        batch_op.drop_column("supersedes")

    with op.batch_alter_table("idx_assets", schema=None) as batch_op:
        batch_op.drop_column("disposal_requested")
        batch_op.drop_column("dispute_resolution_hash")
        batch_op.drop_column("dispute_reason_hash")
        batch_op.drop_column("nonce")
        batch_op.drop_column("certificate_valid_until")
        batch_op.drop_column("certificate_revoked")
        batch_op.drop_column("valued")

    op.drop_table("idx_split_accounts")
    with op.batch_alter_table("idx_signing_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idx_signing_keys_org_id"))

    op.drop_table("idx_signing_keys")
    with op.batch_alter_table("idx_proposals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idx_proposals_status"))

    op.drop_table("idx_proposals")
    op.drop_table("idx_org_indexes")
    with op.batch_alter_table("idx_objections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idx_objections_asset_id"))

    op.drop_table("idx_objections")
    op.drop_table("idx_governance")
