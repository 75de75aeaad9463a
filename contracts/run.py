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
# Ids in one payload (a retry's selection, a batch, items settled at once): at most ~70 KB of
# JSON, well under Temporal's 256 KB payload warning.
MAX_ITEM_IDS = 10_000
# Characters of a failed item's error message carried in workflow state and payloads (the
# database keeps the whole message).
FAILED_MESSAGE_KEPT = 300

# Activity names: the workflow calls its activities by name, so it never imports their code.
ACT_BEGIN_RUN = "begin_run"
ACT_PLAN_STAGE = "plan_stage"
ACT_PROCESS_BATCH = "process_batch"
ACT_PROCESS_ITEM = "process_item"
ACT_MARK_ITEMS = "mark_items"
ACT_RECORD_RUN = "record_run"
ACT_RELEASE_RUN_ITEMS = "release_run_items"
# Stage 1 with a provider that charges per call: its steps, each retried on its own.
ACT_CLUSTER_PREPARE = "cluster_prepare"
ACT_EMBED_KEYWORDS = "embed_keywords"
ACT_GROUP_KEYWORDS = "group_keywords"
ACT_NAME_CLUSTERS = "name_clusters"

PauseMode = Literal["drain", "immediate"]
QueueStatus = Literal["pending", "processing", "completed", "failed"]
# What a stage of a run is doing (StageProgress.status).
StageStatus = Literal["pending", "running", "completed", "skipped", "failed", "cancelled"]
STAGE_FINISHED: tuple[str, ...] = ("completed", "skipped", "failed", "cancelled")


class RunOptions(BaseModel):
    """How a run is shaped; the API fills it from the site's AutomationConfig and the settings."""

    stages: list[int] = Field(default_factory=lambda: list(ALL_STAGES))
    batch_sizes: dict[int, int] = Field(default_factory=dict)
    concurrency: dict[int, int] = Field(default_factory=dict)
    # False (the default): each item moves on as soon as its stage is done with it, so stages
    # overlap. True: a stage starts only once the one before it has finished.
    strict_order: bool = False
    # The task queue of the AI calls ("" = the run's own queue); its workers hold the provider's
    # limits (calls in flight, calls per second) for every run together.
    ai_task_queue: str = ""
    heartbeat_timeout_seconds: float = 30.0
    # How long one AI call may take (the client's timeout); an item's attempt is sized from it.
    ai_call_timeout_seconds: float = 120.0
    # Backoff between attempts (transient errors, with jitter); Retry-After overrides it.
    retry_initial_seconds: float = 2.0
    retry_maximum_seconds: float = 120.0
    retry_maximum_attempts: int = 10


class ManualSelection(BaseModel):
    """A manual AI run as asked for: one stage on items a user picked. Never a workflow input:
    the ids are written to the run's queue in the database before the workflow starts."""

    stage: int
    item_ids: list[int]


class ManualRun(BaseModel):
    """What the workflow knows of a manual run: its stage and how many items were picked."""

    stage: int
    count: int = 0


class RunInput(BaseModel):
    # Informational: the workflow id is the run id (a schedule's runs get generated ids).
    run_id: str = ""
    account_id: int
    site_id: int
    trigger: str = "api"
    options: RunOptions = Field(default_factory=RunOptions)
    manual: ManualRun | None = None
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
    item_ids: list[int] | None = Field(default=None, max_length=MAX_ITEM_IDS)


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
    # failures past the first hundred); the API's queue endpoint reads the full list.
    complete: bool = True


class ErrorInfo(BaseModel):
    error_type: str
    error_message: str
    phase: str | None = None
    timestamp: datetime | None = None
    retryable: bool = False
    action: Literal["retry", "top_up", "fix_input"] = "retry"


class Cost(BaseModel):
    """What AI calls spent: tokens and money (credits are counted apart, by the ledger)."""

    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0

    def add(self, other: Cost) -> None:
        self.tokens_in += other.tokens_in
        self.tokens_out += other.tokens_out
        self.cost_usd = round(self.cost_usd + other.cost_usd, 8)


class StageProgress(BaseModel):
    stage: int
    name: str
    status: str  # pending | running | completed | skipped | failed | cancelled
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
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0


class RunProgress(BaseModel):
    """The progress contract: the run and each of its stages, as every reader sees it."""

    run_id: str
    kind: str = "automation"
    site_id: int | None = None
    status: str
    paused: bool = False
    pause_reason: str | None = None
    current_stage: int | None = None
    percentage: float = 0.0
    stages: list[StageProgress] = Field(default_factory=list)
    # Auto-publish: the articles review approved, on their way to WordPress (queue 8).
    publish: StageProgress | None = None
    credits_used: int = 0
    # What the estimate said before the run (None: no estimate was made).
    credits_estimated: int | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    failed_items: int = 0
    # One line a person reads: "Completed with 3 failed items", "Failed in stage 1: ...".
    summary: str = ""
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
    """One stage of a run, as the workflow keeps it: counts from the database, a bounded
    window of items loaded for dispatch, and bounded samples for the queue query."""

    stage: int
    status: StageStatus = "pending"
    # The stage's queue has been filled once its upstream was done: nothing new will arrive.
    planned_final: bool = False
    planned_once: bool = False
    # Upstream completed items since the last plan: planning may find new eligible items.
    upstream_moved: bool = False
    total: int = 0  # items in this run's queue for the stage (the database's count)
    unloaded: int = 0  # pending in the database, not yet loaded into the window
    window: list[ItemRef] = Field(default_factory=list)  # loaded (queued), not yet dispatched
    stalled_plans: int = 0  # plans in a row that loaded nothing while items were pending
    completed: int = 0
    failed: list[FailedItem] = Field(default_factory=list)  # the first MAX_FAILED_KEPT
    failed_total: int = 0
    recent_completed: list[ItemRef] = Field(default_factory=list)  # the last few
    result: dict[str, int] = Field(default_factory=dict)
    cost: Cost = Field(default_factory=Cost)
    message: str = ""
    last_error: ErrorInfo | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None


class RelayedItem(BaseModel):
    """An item a relay workflow is processing (workflows/relay.py): it outlives continue-as-new,
    counts in its stage's slots and `processing`, and its end is collected by the run."""

    stage: int
    item: ItemRef
    started_at: datetime  # when the run started the relay (its time bound counts from here)


# 1: AI stages keep a quarter more items in flight than calls, and their windows are planned
# while continue-as-new waits for flights to land; a retry makes every later stage plan again,
# and a plan in the air during a retry is not the stage's last.
SCHEDULER_RULES = 1


class RunState(BaseModel):
    begun: bool = False
    stage_order: list[int] = Field(default_factory=list)
    stages: dict[int, StageState] = Field(default_factory=dict)
    paused: bool = False
    pause_reason: str | None = None
    credits_used: int = 0
    credits_estimated: int | None = None
    error: ErrorInfo | None = None
    batch_counter: int = 0
    plan_counter: int = 0  # numbers each plan of the run's chain (PlanStageInput.plan_no)
    started_at: datetime | None = None
    # The scheduler's rules this run began under (SCHEDULER_RULES): a run that began before a
    # change keeps the old rules, so its history replays the same.
    rules: int = 0
    # Relays in flight by batch number: at most an AI stage's items in flight, per stage.
    relays: dict[int, RelayedItem] = Field(default_factory=dict)


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
    credits_estimated: int | None = None


class PlanStageInput(BaseModel):
    run_id: str
    account_id: int
    site_id: int
    stage: int
    window: int  # the most items to load
    manual: bool = False  # the queue was filled by the user's selection before the start
    # Upstream is done: this plan is the stage's last chance to find items (and to skip).
    final: bool = True
    # Only articles with image prompts are reviewed while stage 5 is part of the run.
    stages: list[int] = Field(default_factory=list)
    # Unique in the run's chain: the items this plan loaded carry it, so a retried attempt
    # answers them again (0: a plan from before plan numbers, which loads pending items only).
    plan_no: int = 0


class PlanStageResult(BaseModel):
    total: int  # items in this run's queue for the stage
    completed: int = 0
    failed: int = 0
    # Pending items in the database that this plan did not load (the window was full).
    unloaded: int = 0
    items: list[ItemRef] = Field(default_factory=list)  # the next window, now `queued`
    skip_message: str | None = None
    # Items of a manual selection that are not eligible, failed at once with a reason (sample).
    rejected: list[FailedItem] = Field(default_factory=list)


class BatchInput(BaseModel):
    run_id: str
    account_id: int
    site_id: int
    stage: int
    batch_no: int
    item_ids: list[int] = Field(max_length=MAX_ITEM_IDS)


class ItemInput(BaseModel):
    """One item of an AI stage: one AI call, retried on its own."""

    run_id: str
    account_id: int
    site_id: int
    stage: int
    item_id: int
    max_attempts: int = 10


class ItemOutcome(BaseModel):
    id: int
    status: Literal["completed", "failed"]
    result: dict[str, int] = Field(default_factory=dict)
    error: ErrorInfo | None = None
    attempts: int = 1
    credits_charged: int = 0
    cost: Cost = Field(default_factory=Cost)


class BatchResult(BaseModel):
    outcomes: list[ItemOutcome]
    # Failed with one shared cause (stage 1's keywords of a group whose naming call failed).
    failed_ids: list[int] = Field(default_factory=list, max_length=MAX_ITEM_IDS)
    failed_error: ErrorInfo | None = None
    # Completed with nothing of their own to report (stage 1's keywords: the batch's counters
    # ride on its first outcome): ids alone keep a 2,000-keyword answer near 15 KB.
    completed_ids: list[int] = Field(default_factory=list, max_length=MAX_ITEM_IDS)
    credits_charged: int = 0
    # Set when the account ran out of credits: the batch stopped and left the rest pending.
    insufficient_credits: ErrorInfo | None = None


class ItemResult(BaseModel):
    """What one item's activity ended with: an outcome, or no credits to start it."""

    outcome: ItemOutcome | None = None
    insufficient_credits: ErrorInfo | None = None


class MarkItemsInput(BaseModel):
    """Settle items whose activity ended without a result: `pending` puts back those not
    finished (after a cancel), `failed` fails them (after the last retry), and with
    `only_from_failed` failed items go back to pending (retry). Answers the items' statuses."""

    run_id: str
    stage: int
    item_ids: list[int] = Field(default_factory=list, max_length=MAX_ITEM_IDS)
    status: str
    error: ErrorInfo | None = None
    only_from_failed: bool = False
    all_failed: bool = False  # with only_from_failed: every failed item of the stage


class SettledItems(BaseModel):
    """Item ids by generation status, and what the completed ones made."""

    statuses: dict[str, list[int]] = Field(default_factory=dict)
    results: dict[int, dict[str, int]] = Field(default_factory=dict)
    errors: dict[int, ErrorInfo] = Field(default_factory=dict)  # of the failed ones
    # A retry: how many items this call moved from failed to pending.
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


# --- stage 1, one AI call per activity ------------------------------------------------------------


class ClusterStepInput(BaseModel):
    """A step of one stage-1 batch's clustering (the batch's ids; the scope is in the database)."""

    run_id: str
    account_id: int
    site_id: int
    item_ids: list[int] = Field(max_length=MAX_ITEM_IDS)


class ClusterPlan(BaseModel):
    """How the clustering goes: in calls of their own (a provider that charges per call), or
    in one batch activity (the local provider); the keyword id ranges still to embed."""

    by_calls: bool
    embed_ranges: list[tuple[int, int]] = Field(default_factory=list)


class ClusterCallInput(BaseModel):
    """One AI call of a clustering: embed the keywords of an id range, or one naming call."""

    run_id: str
    account_id: int
    site_id: int
    first_id: int = 0
    last_id: int = 0
    call_no: int = 0
    max_attempts: int = 10


class ClusterGroups(BaseModel):
    """The run's groups are stored: the naming calls still to make, and keywords found with
    no vector (the embedding step must run again first)."""

    naming_calls: list[int] = Field(default_factory=list, max_length=MAX_ITEM_IDS)
    missing_vectors: int = 0
