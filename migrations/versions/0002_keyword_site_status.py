"""Keywords by site and status (stage 1's query, the API's filter)

Revision ID: 0002_keyword_site_status
Revises: 0001_baseline
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002_keyword_site_status"
down_revision: str | None = "0001_baseline"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("keyword", schema=None) as batch_op:
        batch_op.create_index("ix_keyword_site_status", ["site_id", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("keyword", schema=None) as batch_op:
        batch_op.drop_index("ix_keyword_site_status")
