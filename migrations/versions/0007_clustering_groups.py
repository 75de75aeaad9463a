"""Clustering groups: a run's clustering kept between its steps (grouped, named call by call, saved)

Revision ID: 0007_clustering_groups
Revises: 0006_keyword_embeddings
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007_clustering_groups"
down_revision: str | None = "0006_keyword_embeddings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "clusteringgroup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("group_no", sa.Integer(), nullable=False),
        sa.Column("call_no", sa.Integer(), nullable=True),
        sa.Column("keyword_ids", sa.JSON(), nullable=False),
        sa.Column("seed_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("existing_cluster_id", sa.Integer(), nullable=True),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("intent", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "group_no"),
    )
    with op.batch_alter_table("clusteringgroup", schema=None) as batch_op:
        batch_op.create_index("ix_clusteringgroup_run_id", ["run_id"], unique=False)


def downgrade() -> None:
    op.drop_table("clusteringgroup")
