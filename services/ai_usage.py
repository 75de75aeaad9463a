"""The `AIUsage` row of an AI result: what one call (or a batch's calls) spent, per run, stage
and item, for the progress contract's cost and the ledger's audits."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from contracts.stages import STAGES
from models import AIUsage
from services.ai.schemas import AIResult
from services.stages.base import StageContext


def record_usage(
    session: Session, ctx: StageContext, item_id: int | None, result: AIResult[Any] | None
) -> None:
    """Added to `session`, so it commits with the result it paid for (or not at all)."""
    if result is None:
        return
    u = result.usage
    session.add(
        AIUsage(
            account_id=ctx.account_id,
            site_id=ctx.site_id,
            run_id=ctx.run_id,
            stage=int(ctx.stage),
            item_id=item_id,
            operation=STAGES[ctx.stage].name,
            provider=u.provider,
            model=u.model,
            tokens_in=u.tokens_in,
            tokens_out=u.tokens_out,
            cost_usd=u.cost_usd,
        )
    )
