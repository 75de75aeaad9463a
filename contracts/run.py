"""The payloads of the run workflows: inputs, signal/update/query arguments and answers.

Everything here is small and holds ids and numbers only, never rows or secrets: the whole
history is visible in the Temporal UI. Only pydantic is imported, so the API, the CLI and the
workflows share these types.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from contracts.stages import ALL_STAGES

AUTOMATION_WORKFLOW = "AutomationRunWorkflow"
# Handler names (the public contract with the API, the CLI and operators in the Temporal UI).
SIGNAL_PAUSE = "pause"
SIGNAL_RESUME = "resume"
UPDATE_PAUSE = "pause_run"
UPDATE_RESUME = "resume_run"
UPDATE_RETRY_FAILED = "retry_failed"
QUERY_PROGRESS = "progress"
QUERY_STAGE_QUEUE = "stage_queue"

PauseMode = Literal["drain", "immediate"]
QueueStatus = Literal["pending", "processing", "completed", "failed"]


class RunOptions(BaseModel):
    """How a run is shaped; the API fills it from the site's AutomationConfig."""

    stages: list[int] = Field(default_factory=lambda: list(ALL_STAGES))
    batch_sizes: dict[int, int] = Field(default_factory=dict)
    concurrency: dict[int, int] = Field(default_factory=dict)
    heartbeat_timeout_seconds: float = 30.0
    # Backoff of a failed batch's retries (transient errors); Retry-After overrides it.
    retry_initial_seconds: float = 2.0
    retry_maximum_seconds: float = 120.0
    retry_maximum_attempts: int = 10


class ManualSelection(BaseModel):
    """A manual AI run: one stage on items a user picked."""

    stage: int
    item_ids: list[int]


class RunInput(BaseModel):
    # Informational: the workflow id is the run id (a schedule's runs get generated ids).
    run_id: str = ""
    account_id: int
    site_id: int
    trigger: str = "api"
    options: RunOptions = Field(default_factory=RunOptions)
    manual: ManualSelection | None = None
    retry_of: str | None = None
    # Set by continue-as-new only: the run's state carried over intact.
    state: RunState | None = None


class PauseInput(BaseModel):
    """`pause` works from the Temporal UI with no input or `{}`: every field has a default."""

    mode: PauseMode = "drain"
    reason: str | None = None


class ResumeInput(BaseModel):
    pass


class RetryInput(BaseModel):
    """Which failed items to put back in their stage's queue (all of them by default)."""

    stage: int | None = None
    item_ids: list[int] | None = None


class RetryResult(BaseModel):
    requeued: int
    stages: list[int]


class StageQueueInput(BaseModel):
    stage: int | None = None  # default: the current stage
    status: QueueStatus = "pending"
    offset: int = Field(0, ge=0)
    limit: int = Field(50, ge=1, le=500)


class QueueItem(BaseModel):
    id: int
    name: str
    status: str
    attempts: int = 0
    error_type: str | None = None
    error_message: str | None = None


class StageQueuePage(BaseModel):
    stage: int
    status: str
    total: int
    offset: int
    limit: int
    items: list[QueueItem]
    # False when the workflow only keeps a bounded sample for this status (completed items,
    # failures past the first few hundred); the API's queue endpoint reads the full list.
    complete: bool = True


class ErrorInfo(BaseModel):
    error_type: str
    error_message: str
    phase: str | None = None
    timestamp: datetime | None = None
    retryable: bool = False
    action: Literal["retry", "top_up", "fix_input"] = "retry"


class StageProgress(BaseModel):
    stage: int
    name: str
    status: str  # pending | running | completed | skipped | cancelled
    pending: int = 0
    processing: int = 0
    completed: int = 0
    failed: int = 0
    message: str = ""
    result: dict[str, int] = Field(default_factory=dict)
    phase: str | None = None
    current_item: str | None = None
    items_total: int = 0
    items_processed: int = 0
    estimated_seconds_remaining: int | None = None
    error: ErrorInfo | None = None


class RunProgress(BaseModel):
    """The progress contract of DESIGN §5."""

    run_id: str
    kind: str = "automation"
    site_id: int | None = None
    status: str
    paused: bool = False
    pause_reason: str | None = None
    current_stage: int | None = None
    percentage: float = 0.0
    stages: list[StageProgress] = Field(default_factory=list)
    credits_used: int = 0
    error: ErrorInfo | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None


# --- state carried over continue-as-new -------------------------------------------------------


class ItemRef(BaseModel):
    id: int
    name: str = ""


class FailedItem(BaseModel):
    id: int
    name: str = ""
    attempts: int = 1
    error_type: str = "Error"
    error_message: str = ""
    retryable: bool = False


class StageState(BaseModel):
    stage: int
    status: str = "pending"
    planned: bool = False
    total: int = 0  # items in this run's queue for the stage (the database's count)
    pending: list[ItemRef] = Field(default_factory=list)  # loaded, not yet dispatched
    pending_total: int = 0  # pending in the database, including those not loaded yet
    completed: int = 0
    failed: list[FailedItem] = Field(default_factory=list)  # first MAX_FAILED_KEPT
    failed_total: int = 0
    recent_completed: list[ItemRef] = Field(default_factory=list)  # last few
    result: dict[str, int] = Field(default_factory=dict)
    message: str = ""
    last_error: ErrorInfo | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None


class RunState(BaseModel):
    begun: bool = False
    stage_order: list[int] = Field(default_factory=list)
    position: int = 0
    rewind_to: int | None = None
    stages: dict[int, StageState] = Field(default_factory=dict)
    paused: bool = False
    pause_reason: str | None = None
    credits_used: int = 0
    error: ErrorInfo | None = None
    batch_counter: int = 0
    continued: int = 0
    # Articles stage 7 approved (auto-publish on), to publish once the stage is done.
    to_publish: list[int] = Field(default_factory=list)
    started_at: datetime | None = None


RunInput.model_rebuild()


# --- activity payloads ------------------------------------------------------------------------


class BeginRunInput(BaseModel):
    run_id: str
    account_id: int
    site_id: int
    trigger: str
    kind: str
    stages: list[int]
    manual_stage: int | None = None
    retry_of: str | None = None
    scheduled_for: datetime | None = None


class BeginRunResult(BaseModel):
    accepted: bool
    reason: str | None = None  # why not (another active run)


class PlanStageInput(BaseModel):
    run_id: str
    account_id: int
    site_id: int
    stage: int
    window: int
    manual_item_ids: list[int] | None = None
    first: bool = True  # False: only load more pending items already enqueued


class PlanStageResult(BaseModel):
    total: int  # items in this run's queue for the stage
    pending_total: int
    completed: int = 0
    failed: int = 0
    items: list[ItemRef] = Field(default_factory=list)  # the next pending window
    skip_message: str | None = None
    # Items of a manual selection that are not eligible, failed at once with a reason.
    rejected: list[FailedItem] = Field(default_factory=list)


class BatchInput(BaseModel):
    run_id: str
    account_id: int
    site_id: int
    stage: int
    batch_no: int
    item_ids: list[int]


class ItemOutcome(BaseModel):
    id: int
    status: Literal["completed", "failed", "requeued"]
    result: dict[str, int] = Field(default_factory=dict)
    error: ErrorInfo | None = None
    attempts: int = 1


class BatchResult(BaseModel):
    outcomes: list[ItemOutcome]
    credits_charged: int = 0
    # Set when the account ran out of credits: the batch stopped and left the rest pending.
    insufficient_credits: ErrorInfo | None = None


class MarkItemsInput(BaseModel):
    """Settle a batch's items after its activity ended without a result: `pending` puts back
    those not finished (after a cancel), `failed` fails them (after the last retry), and with
    `only_from_failed` failed items go back to pending (retry). Answers the items' statuses."""

    run_id: str
    stage: int
    item_ids: list[int]
    status: str
    error: ErrorInfo | None = None
    only_from_failed: bool = False
    all_failed: bool = False  # with only_from_failed: every failed item of the stage


class SettledItems(BaseModel):
    """Item ids by generation status, and what the completed ones made."""

    statuses: dict[str, list[int]] = Field(default_factory=dict)
    results: dict[int, dict[str, int]] = Field(default_factory=dict)
    errors: dict[int, ErrorInfo] = Field(default_factory=dict)  # of the failed ones
    # A retry: the items this call moved from failed to pending (the first few, and how many).
    changed: list[ItemRef] = Field(default_factory=list)
    changed_count: int = 0


class RecordRunInput(BaseModel):
    run_id: str
    status: str
    current_stage: int | None = None
    pause_reason: str | None = None
    progress: dict[str, Any] = Field(default_factory=dict)
    error: ErrorInfo | None = None
    finished: bool = False


class RecordRunResult(BaseModel):
    credits_used: int


class RunRef(BaseModel):
    run_id: str
