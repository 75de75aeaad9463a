"""Per-account prompt overrides; the defaults live in services/ai/prompts.py."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import created_at_field, datetime_field, text_field


class PromptOverride(SQLModel, table=True):
    """An account's own system prompt and user template for one AI function."""

    # One override per (account, function): saving again replaces it.
    __table_args__ = (UniqueConstraint("account_id", "function"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    function: str = Field(max_length=60)  # a stage name, see services.ai.prompts.PROMPT_FUNCTIONS
    system: str = text_field()
    user_template: str = text_field()
    created_at: datetime = created_at_field()
    updated_at: datetime | None = datetime_field()
