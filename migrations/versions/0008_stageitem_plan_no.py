"""Queue items remember the plan that loaded them, so a retried plan answers the same window

Revision ID: 0008_stageitem_plan_no
Revises: 0007_clustering_groups
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_stageitem_plan_no"
down_revision: str | None = "0007_clustering_groups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("stageitem", schema=None) as batch_op:
        batch_op.add_column(sa.Column("plan_no", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stageitem", schema=None) as batch_op:
        batch_op.drop_column("plan_no")
