"""What WordPress holds of a published article: its fingerprint after igny8's last publish,
and the version an editor changed there (with when)

Revision ID: 0004_content_wordpress_version
Revises: 0003_automation_strict_order
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_content_wordpress_version"
down_revision: str | None = "0003_automation_strict_order"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("content", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wp_fingerprint", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("wp_changed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("wp_version", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("content", schema=None) as batch_op:
        batch_op.drop_column("wp_version")
        batch_op.drop_column("wp_changed_at")
        batch_op.drop_column("wp_fingerprint")
