"""Keyword embeddings kept per keyword and model, so clustering never pays to embed twice

Revision ID: 0006_keyword_embeddings
Revises: 0005_roles_and_quality
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006_keyword_embeddings"
down_revision: str | None = "0005_roles_and_quality"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "keywordembedding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("keyword_id", sa.Integer(), nullable=False),
        sa.Column("model", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("dimensions", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"]),
        sa.ForeignKeyConstraint(["keyword_id"], ["keyword.id"]),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("keyword_id", "model"),
    )
    with op.batch_alter_table("keywordembedding", schema=None) as batch_op:
        batch_op.create_index("ix_keywordembedding_account_id", ["account_id"], unique=False)
        batch_op.create_index("ix_keywordembedding_keyword_id", ["keyword_id"], unique=False)
        batch_op.create_index("ix_keywordembedding_site_id", ["site_id"], unique=False)


def downgrade() -> None:
    op.drop_table("keywordembedding")
