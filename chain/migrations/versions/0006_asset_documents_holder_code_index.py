"""asset_documents: one index on (holder, catalogue code, domain)

The duplicate-code check of a registration looks a holder's code up by all three; with
only the holder's index, SQLite walked every asset the holder had registered.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_asset_documents_holder_code",
        "asset_documents",
        ["holder_org_id", "catalogue_code", "domain_code"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_asset_documents_holder_code", table_name="asset_documents")
