"""The HTTP API's bodies for runs, estimates and credits. Run progress itself is
`contracts.run.RunProgress`, returned as is."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

from contracts.run import MAX_ITEM_IDS, PauseMode, RunProgress
from contracts.stages import FIRST_STAGE, LAST_STAGE
from contracts.wordpress import PUBLISH_STAGE
from models.schemas import MAX_ID, Id, RequestBody, Short, UtcDatetime

StageNo = Annotated[int, Field(ge=FIRST_STAGE, le=LAST_STAGE)]
# A stage's queue, or the run's publish queue that follows review (auto-publish).
QueueNo = Annotated[
    int,
    Field(ge=FIRST_STAGE, le=PUBLISH_STAGE, description="1-7: a stage; 8: the publish queue"),
]
MAX_MANUAL_IDS = 1000


class RunCreate(RequestBody):
    stages: list[StageNo] | None = Field(
        None,
        min_length=1,
        max_length=7,
        description="Stages to run (default: the site's automation config, else all seven)",
    )


class RunStarted(BaseModel):
    run_id: str = Field(description="The run's id (also its Temporal workflow id)")
    status: str


class RunSummary(BaseModel):
    """A run as recorded in the database (GET /runs/{id} gives its live progress)."""

    id: str
    site_id: int
    kind: str = Field(description="automation | manual")
    manual_stage: int | None
    trigger: str
    status: str
    current_stage: int | None
    pause_reason: str | None
    stages: list[int]
    credits_used: int
    error: dict[str, Any] | None
    retry_of: str | None
    started_at: UtcDatetime
    finished_at: UtcDatetime | None


class PauseRequest(RequestBody):
    mode: PauseMode = Field(
        "drain",
        description="drain: items in flight finish; immediate: they are cancelled and re-queued",
    )


class RetryRequest(RequestBody):
    stage: QueueNo | None = Field(
        None, description="Only this queue's failed items (8: publishing)"
    )
    item_ids: list[Id] | None = Field(None, max_length=MAX_ITEM_IDS, description="Only these items")


class RetryResponse(BaseModel):
    run_id: str = Field(description="The run doing the work: this one, or a new one if it ended")
    new_run: bool
    requeued: int
    stages: list[int]
    progress: RunProgress


class ManualRunRequest(RequestBody):
    ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        min_length=1, max_length=MAX_MANUAL_IDS, description="Ids of the site's items to process"
    )


class EstimateRequest(RequestBody):
    stages: list[StageNo] | None = Field(None, min_length=1, max_length=7)


class StageEstimate(BaseModel):
    stage: int
    name: str
    item_kind: str
    eligible_now: int = Field(description="Items waiting for this stage right now")
    projected: int = Field(description="Items expected once earlier stages of the run have run")
    credits_per_item: int
    credits: int


class RunEstimate(BaseModel):
    stages: list[StageEstimate]
    total_credits: int
    balance: int
    sufficient: bool = Field(description="Whether the balance covers the estimate")


class CreditBalance(BaseModel):
    account_id: int
    balance: int


class CreditTransactionPublic(BaseModel):
    id: int
    amount: int = Field(description="Signed: negative = spent, positive = added")
    balance_after: int
    operation: str
    reference: str
    run_id: str | None
    created_at: UtcDatetime


class TopUpRequest(RequestBody):
    amount: int = Field(ge=1, le=1_000_000)
    idempotency_key: Annotated[Short, Field(min_length=1)] = Field(
        description="Any string unique to this top-up: sending it again adds nothing"
    )


class TopUpResult(BaseModel):
    balance: int
    applied: bool = Field(description="False when this idempotency key was already used")
