"""The credit ledger and the AI usage records."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from models.base import created_at_field


class CreditTransaction(SQLModel, table=True):
    """A signed change of an account's balance. The unique idempotency key makes a second
    charge for the same (run, stage, item) impossible, however often an activity retries."""

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    amount: int  # negative = spent, positive = added
    balance_after: int
    operation: str = Field(max_length=60)  # top_up | reserve | settle | release
    reference: str = Field(default="", max_length=300, index=True)
    idempotency_key: str = Field(max_length=300, unique=True)
    run_id: str | None = Field(default=None, max_length=200, index=True)
    created_at: datetime = created_at_field()


class AIUsage(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    site_id: int | None = Field(default=None, foreign_key="site.id")
    run_id: str | None = Field(default=None, max_length=200, index=True)
    stage: int | None = None
    item_id: int | None = None
    operation: str = Field(max_length=60)
    provider: str = Field(max_length=40)
    model: str = Field(default="", max_length=100)
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    created_at: datetime = created_at_field()
