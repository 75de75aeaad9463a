"""Automation settings per site, runs, and each run's per-stage queues."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, String, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from models.base import (
    created_at_field,
    datetime_field,
    json_dict_field,
    json_list_field,
    json_nullable_field,
    text_field,
)


class AutomationConfig(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    site_id: int = Field(foreign_key="site.id", unique=True)
    enabled: bool = True
    stages: list[int] = json_list_field()  # empty = all seven
    batch_sizes: dict[str, int] = json_dict_field()  # stage number (as text) -> batch size
    # Stage number (as text) -> batches in flight; for AI stages, AI calls in flight.
    concurrency: dict[str, int] = json_dict_field()
    # False: stages overlap (each item moves on when its stage is done); True: one at a time.
    strict_order: bool = False
    schedule_cron: str | None = Field(default=None, max_length=200)
    schedule_timezone: str = Field(default="UTC", max_length=64)
    schedule_paused: bool = False
    updated_at: datetime = created_at_field()


class AutomationRun(SQLModel, table=True):
    """A run of the pipeline for one site. Its id is its Temporal workflow id."""

    __table_args__ = (
        # One active run per site, whoever starts it: the database itself refuses a second.
        Index(
            "uq_run_active_site",
            "site_id",
            unique=True,
            sqlite_where=text("status IN ('running', 'paused')"),
            postgresql_where=text("status IN ('running', 'paused')"),
        ),
    )

    id: str = Field(sa_column=Column(String(200), primary_key=True))
    account_id: int = Field(foreign_key="account.id", index=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    kind: str = Field(default="automation", max_length=20)  # automation | manual
    manual_stage: int | None = None
    trigger: str = Field(default="api", max_length=20)  # manual | scheduled | api | cli
    status: str = Field(default="running", max_length=20, index=True)
    current_stage: int | None = None
    pause_reason: str | None = Field(default=None, max_length=500)
    stages: list[int] = json_list_field()
    stage_results: dict[str, Any] = json_dict_field()
    progress: dict[str, Any] = json_dict_field()  # last progress snapshot (a RunProgress)
    credits_used: int = 0
    error: dict[str, Any] | None = json_nullable_field()
    retry_of: str | None = Field(default=None, max_length=200)
    scheduled_for: datetime | None = datetime_field()
    started_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
    finished_at: datetime | None = datetime_field()


class StageItem(SQLModel, table=True):
    """One item in one stage's queue of one run: its generation status lives here."""

    __table_args__ = (
        UniqueConstraint("run_id", "stage", "item_id"),
        Index("ix_stageitem_run_stage_status", "run_id", "stage", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(sa_column=Column(String(200), nullable=False))
    stage: int
    item_id: int
    item_name: str = Field(default="", max_length=300)
    status: str = Field(default="pending", max_length=20)
    attempts: int = 0
    # The plan that last loaded the item into the workflow's window: a retry of that plan (its
    # answer was lost with a dead worker) answers these items again instead of losing them.
    plan_no: int | None = None
    error_type: str | None = Field(default=None, max_length=100)
    error_message: str | None = text_field(default="")
    retryable: bool | None = None
    # What completing the item made (e.g. {"ideas": 4}), kept so a retried batch reports the
    # results of items an earlier attempt finished.
    result: dict[str, Any] = json_dict_field()
    updated_at: datetime = created_at_field()
