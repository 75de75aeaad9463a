"""Baseline: the schema as create_all made it before migrations existed.

Revision ID: 0001_baseline
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0001_baseline"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("credits_balance", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "stageitem",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(length=200), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("item_name", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error_type", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=False),
        sa.Column("retryable", sa.Boolean(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "stage", "item_id"),
    )
    op.create_index(
        "ix_stageitem_run_stage_status", "stageitem", ["run_id", "stage", "status"], unique=False
    )

    op.create_table(
        "apikey",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("prefix", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("key_hash", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_apikey_account_id"), "apikey", ["account_id"], unique=False)
    op.create_index(op.f("ix_apikey_key_hash"), "apikey", ["key_hash"], unique=True)

    op.create_table(
        "credittransaction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("balance_after", sa.Integer(), nullable=False),
        sa.Column("operation", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("run_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    op.create_index(
        op.f("ix_credittransaction_account_id"), "credittransaction", ["account_id"], unique=False
    )
    op.create_index(
        op.f("ix_credittransaction_reference"), "credittransaction", ["reference"], unique=False
    )
    op.create_index(
        op.f("ix_credittransaction_run_id"), "credittransaction", ["run_id"], unique=False
    )

    op.create_table(
        "promptoverride",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("function", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("system", sa.Text(), nullable=False),
        sa.Column("user_template", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id", "function"),
    )
    op.create_index(
        op.f("ix_promptoverride_account_id"), "promptoverride", ["account_id"], unique=False
    )

    op.create_table(
        "site",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("domain", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("wp_url", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("wp_username", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column(
            "wp_app_password_encrypted",
            sqlmodel.sql.sqltypes.AutoString(length=2000),
            nullable=True,
        ),
        sa.Column("wp_last_sync_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("auto_publish", sa.Boolean(), nullable=False),
        sa.Column("publish_status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_site_account_id"), "site", ["account_id"], unique=False)

    op.create_table(
        "aiusage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("run_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("stage", sa.Integer(), nullable=True),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("operation", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("provider", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("model", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("tokens_in", sa.Integer(), nullable=False),
        sa.Column("tokens_out", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["site.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_aiusage_account_id"), "aiusage", ["account_id"], unique=False)
    op.create_index(op.f("ix_aiusage_run_id"), "aiusage", ["run_id"], unique=False)

    op.create_table(
        "automationconfig",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("stages", sa.JSON(), nullable=False),
        sa.Column("batch_sizes", sa.JSON(), nullable=False),
        sa.Column("concurrency", sa.JSON(), nullable=False),
        sa.Column("schedule_cron", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("schedule_timezone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("schedule_paused", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["site.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("site_id"),
    )
    op.create_index(
        op.f("ix_automationconfig_account_id"), "automationconfig", ["account_id"], unique=False
    )

    op.create_table(
        "automationrun",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("manual_stage", sa.Integer(), nullable=True),
        sa.Column("trigger", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("current_stage", sa.Integer(), nullable=True),
        sa.Column("pause_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("stages", sa.JSON(), nullable=False),
        sa.Column("stage_results", sa.JSON(), nullable=False),
        sa.Column("progress", sa.JSON(), nullable=False),
        sa.Column("credits_used", sa.Integer(), nullable=False),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("retry_of", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("scheduled_for", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["site.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_automationrun_account_id"), "automationrun", ["account_id"], unique=False
    )
    op.create_index(op.f("ix_automationrun_site_id"), "automationrun", ["site_id"], unique=False)
    op.create_index(op.f("ix_automationrun_status"), "automationrun", ["status"], unique=False)
    op.create_index(
        "uq_run_active_site",
        "automationrun",
        ["site_id"],
        unique=True,
        sqlite_where=sa.text("status IN ('running', 'paused')"),
        postgresql_where=sa.text("status IN ('running', 'paused')"),
    )

    op.create_table(
        "cluster",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("intent", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("keywords_count", sa.Integer(), nullable=False),
        sa.Column("volume", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("provider", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("model", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["site.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("site_id", "name"),
    )
    op.create_index(op.f("ix_cluster_account_id"), "cluster", ["account_id"], unique=False)
    op.create_index(op.f("ix_cluster_site_id"), "cluster", ["site_id"], unique=False)
    op.create_index(op.f("ix_cluster_status"), "cluster", ["status"], unique=False)

    op.create_table(
        "contenttaxonomy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("slug", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("type", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("external_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["site.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("site_id", "type", "slug"),
    )
    op.create_index(
        op.f("ix_contenttaxonomy_account_id"), "contenttaxonomy", ["account_id"], unique=False
    )
    op.create_index(
        op.f("ix_contenttaxonomy_site_id"), "contenttaxonomy", ["site_id"], unique=False
    )

    op.create_table(
        "sector",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["site.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("site_id", "name"),
    )
    op.create_index(op.f("ix_sector_account_id"), "sector", ["account_id"], unique=False)
    op.create_index(op.f("ix_sector_site_id"), "sector", ["site_id"], unique=False)

    op.create_table(
        "contentidea",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("outline", sa.JSON(), nullable=False),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("content_structure", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("target_word_count", sa.Integer(), nullable=False),
        sa.Column("primary_keyword", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("provider", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("model", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["cluster_id"],
            ["cluster.id"],
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["site.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_contentidea_account_id"), "contentidea", ["account_id"], unique=False)
    op.create_index(op.f("ix_contentidea_cluster_id"), "contentidea", ["cluster_id"], unique=False)
    op.create_index(op.f("ix_contentidea_site_id"), "contentidea", ["site_id"], unique=False)
    op.create_index(op.f("ix_contentidea_status"), "contentidea", ["status"], unique=False)

    op.create_table(
        "keyword",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("sector_id", sa.Integer(), nullable=True),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("normalized", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("volume", sa.Integer(), nullable=False),
        sa.Column("difficulty", sa.Integer(), nullable=False),
        sa.Column("cpc", sa.Float(), nullable=False),
        sa.Column("intent", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("country", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["cluster_id"],
            ["cluster.id"],
        ),
        sa.ForeignKeyConstraint(
            ["sector_id"],
            ["sector.id"],
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["site.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("site_id", "normalized"),
    )
    op.create_index(op.f("ix_keyword_account_id"), "keyword", ["account_id"], unique=False)
    op.create_index(op.f("ix_keyword_cluster_id"), "keyword", ["cluster_id"], unique=False)
    op.create_index(op.f("ix_keyword_site_id"), "keyword", ["site_id"], unique=False)
    op.create_index(op.f("ix_keyword_status"), "keyword", ["status"], unique=False)

    op.create_table(
        "task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=False),
        sa.Column("idea_id", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("outline", sa.JSON(), nullable=False),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("content_structure", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("target_word_count", sa.Integer(), nullable=False),
        sa.Column("primary_keyword", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["cluster_id"],
            ["cluster.id"],
        ),
        sa.ForeignKeyConstraint(
            ["idea_id"],
            ["contentidea.id"],
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["site.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idea_id"),
    )
    op.create_index(op.f("ix_task_account_id"), "task", ["account_id"], unique=False)
    op.create_index(op.f("ix_task_cluster_id"), "task", ["cluster_id"], unique=False)
    op.create_index(op.f("ix_task_site_id"), "task", ["site_id"], unique=False)
    op.create_index(op.f("ix_task_status"), "task", ["status"], unique=False)

    op.create_table(
        "content",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("cluster_id", sa.Integer(), nullable=True),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("content_html", sa.Text(), nullable=False),
        sa.Column("excerpt", sa.Text(), nullable=False),
        sa.Column("slug", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("meta_title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("meta_description", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("primary_keyword", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("secondary_keywords", sa.JSON(), nullable=False),
        sa.Column("word_count", sa.Integer(), nullable=False),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("content_structure", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("external_id", sa.Integer(), nullable=True),
        sa.Column("external_url", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("external_status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("external_modified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("external_missing", sa.Boolean(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("provider", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("model", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["cluster_id"],
            ["cluster.id"],
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["site.id"],
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["task.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("site_id", "source", "external_id"),
        sa.UniqueConstraint("task_id"),
    )
    op.create_index(op.f("ix_content_account_id"), "content", ["account_id"], unique=False)
    op.create_index(op.f("ix_content_cluster_id"), "content", ["cluster_id"], unique=False)
    op.create_index(op.f("ix_content_external_id"), "content", ["external_id"], unique=False)
    op.create_index(op.f("ix_content_site_id"), "content", ["site_id"], unique=False)
    op.create_index(op.f("ix_content_status"), "content", ["status"], unique=False)

    op.create_table(
        "contenttaxonomylink",
        sa.Column("content_id", sa.Integer(), nullable=False),
        sa.Column("taxonomy_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["content_id"],
            ["content.id"],
        ),
        sa.ForeignKeyConstraint(
            ["taxonomy_id"],
            ["contenttaxonomy.id"],
        ),
        sa.PrimaryKeyConstraint("content_id", "taxonomy_id"),
    )
    op.create_table(
        "image",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("content_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("alt_text", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("file_path", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("external_media_id", sa.Integer(), nullable=True),
        sa.Column("external_url", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("provider", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("model", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["content_id"],
            ["content.id"],
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["site.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("content_id", "kind", "position"),
    )
    op.create_index(op.f("ix_image_account_id"), "image", ["account_id"], unique=False)
    op.create_index(op.f("ix_image_content_id"), "image", ["content_id"], unique=False)
    op.create_index(op.f("ix_image_site_id"), "image", ["site_id"], unique=False)


def downgrade() -> None:
    op.drop_table("image")
    op.drop_table("contenttaxonomylink")
    op.drop_table("content")
    op.drop_table("task")
    op.drop_table("keyword")
    op.drop_table("contentidea")
    op.drop_table("sector")
    op.drop_table("contenttaxonomy")
    op.drop_table("cluster")
    op.drop_table("automationrun")
    op.drop_table("automationconfig")
    op.drop_table("aiusage")
    op.drop_table("site")
    op.drop_table("promptoverride")
    op.drop_table("credittransaction")
    op.drop_table("apikey")
    op.drop_table("stageitem")
    op.drop_table("account")
