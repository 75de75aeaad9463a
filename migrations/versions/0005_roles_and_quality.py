"""Articles' roles in their cluster (hub / supporting / attribute) and the article contract's
verdict per article

Revision ID: 0005_roles_and_quality
Revises: 0004_content_wordpress_version
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_roles_and_quality"
down_revision: str | None = "0004_content_wordpress_version"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE_TABLES = ("contentidea", "task", "content")


def upgrade() -> None:
    for table in ROLE_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            # Existing rows were written before roles: they support their cluster's hub.
            batch_op.add_column(
                sa.Column("role", sa.String(length=20), nullable=False, server_default="supporting")
            )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("role", server_default=None)
    with op.batch_alter_table("content", schema=None) as batch_op:
        batch_op.add_column(sa.Column("quality", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("content", schema=None) as batch_op:
        batch_op.drop_column("quality")
    for table in ROLE_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("role")
