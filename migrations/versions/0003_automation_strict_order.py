"""A site may keep its stages in strict order (the default now overlaps them)

Revision ID: 0003_automation_strict_order
Revises: 0002_keyword_site_status
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_automation_strict_order"
down_revision: str | None = "0002_keyword_site_status"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("automationconfig", schema=None) as batch_op:
        # Existing sites get the new default (overlap); the server default fills their rows.
        batch_op.add_column(
            sa.Column("strict_order", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("automationconfig", schema=None) as batch_op:
        batch_op.alter_column("strict_order", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("automationconfig", schema=None) as batch_op:
        batch_op.drop_column("strict_order")
