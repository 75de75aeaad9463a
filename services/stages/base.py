"""What every stage service is: how it picks items, makes them, and words its progress.

A stage works on one item at a time in three steps, so no database transaction is held open
while an AI provider thinks: `load` (read), `agenerate` (the AI call, no database; `generate`
for the stages that work in batches), `save` (write; the caller commits it together with the
item's status and credit settlement).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from sqlalchemy.sql import Select
from sqlmodel import Session, col, select

from contracts.stages import STAGES, Stage, StageInfo
from core.config import Settings
from services.ai.base import AIProvider
from services.ai.schemas import AIResult


@dataclass
class StageContext:
    run_id: str
    account_id: int
    site_id: int
    stage: Stage
    settings: Settings
    provider: AIProvider


@dataclass
class ItemWork:
    """What `load` found for one item: its name and whatever `generate` needs."""

    name: str
    brief: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


class NothingToDo(Exception):  # noqa: N818  (a signal, not a failure)
    """The item's work is already done (an earlier attempt committed it)."""


class StageService:
    """Base of the seven stage services."""

    stage: ClassVar[Stage]
    table: ClassVar[Any]  # the SQLModel table of this stage's items
    name_column: ClassVar[str]

    @property
    def info(self) -> StageInfo:
        return STAGES[self.stage]

    # --- picking items --------------------------------------------------------------------------

    def eligible_query(self, site_id: int) -> Select:  # type: ignore[type-arg]
        """(id, name) of the items a run of this site would pick now, oldest first."""
        raise NotImplementedError

    def names(self, session: Session, site_id: int, ids: list[int]) -> dict[int, str]:
        """Names of the given items that belong to the site (a manual selection)."""
        table = self.table
        rows = session.exec(
            select(table.id, getattr(table, self.name_column)).where(
                col(table.id).in_(ids), table.site_id == site_id
            )
        ).all()
        return {row[0]: row[1] for row in rows}

    def ineligible_reason(self, session: Session, item_id: int) -> str | None:
        """Why a chosen item cannot be processed now (None: it can)."""
        return None

    def skip_message(self, eligible: int) -> str | None:
        """A reason to skip the whole stage (None: run it)."""
        if eligible == 0:
            return f"Nothing to do: no {self.info.item_kind}s waiting"
        return None

    # --- making them ----------------------------------------------------------------------------

    def load(self, session: Session, ctx: StageContext, item_id: int) -> ItemWork:
        raise NotImplementedError

    def generate(self, ctx: StageContext, work: ItemWork) -> AIResult[Any] | None:
        """The work of a batch stage (no database access here). None for stages without AI."""
        return None

    async def agenerate(self, ctx: StageContext, work: ItemWork) -> AIResult[Any] | None:
        """The one AI call of an item stage (no database access here)."""
        raise NotImplementedError

    def save(
        self,
        session: Session,
        ctx: StageContext,
        item_id: int,
        work: ItemWork,
        result: AIResult[Any] | None,
    ) -> dict[str, int]:
        """Write the results (not committed here); returns counters for the stage result."""
        raise NotImplementedError
