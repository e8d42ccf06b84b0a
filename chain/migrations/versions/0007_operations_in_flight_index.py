"""operations: one index on (chain, state, signer, nonce)

The receipt tracker reads a chain's in-flight operations in nonce order per signer, and
admission counts a signer's in-flight operations. With the indexes on (signer, state)
and (state) beside the unique key (chain, signer, nonce), SQLite took the unique key for
both and read every operation the chain or the signer ever had, several times a second.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_operations_in_flight",
        "operations",
        ["chain_id", "state", "signer", "nonce"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_operations_in_flight", table_name="operations")
