"""Shared column helpers for the tables."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Text
from sqlmodel import Field


def utcnow() -> datetime:
    return datetime.now(UTC)


def created_at_field() -> Any:
    return Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))


def datetime_field(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


def json_list_field() -> Any:
    return Field(default_factory=list, sa_column=Column(JSON, nullable=False))


def json_dict_field() -> Any:
    return Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


def json_nullable_field() -> Any:
    return Field(default=None, sa_column=Column(JSON, nullable=True))


def text_field(default: str = "") -> Any:
    return Field(default=default, sa_column=Column(Text, nullable=False))
