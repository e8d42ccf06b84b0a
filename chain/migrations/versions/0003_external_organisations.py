"""external organisations: organisations.key_name is nullable

An organisation admitted with a signing address held by another gateway has no
keystore key in this gateway (key_name NULL).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.alter_column("key_name", existing_type=sa.String(length=80), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.alter_column("key_name", existing_type=sa.String(length=80), nullable=False)
