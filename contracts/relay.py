"""Payloads of the item relay (workflows/relay.py): a small workflow that runs one AI item's
activity for a run whose continue-as-new is due, and outlives that continue-as-new. The run
starts its relays and learns how they ended through activities of its own (activities/relays.py);
relays started before that were child workflows that reported by signal.

Ids and outcomes only, like every workflow payload (see contracts.run).
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel

from contracts.run import ErrorInfo, ItemInput, ItemResult, RunOptions

RELAY_WORKFLOW = "ItemRelayWorkflow"
# The run's signal relays started before RELAYS_COLLECTED_PATCH report to (by workflow id, so
# whichever run of the chain is open). Kept for them, and for an operator.
SIGNAL_REPORT_RELAY = "report_relay"
# The run workflow's patch marker: runs started before it drain every flight before they
# continue as new, and never start a relay.
RELAY_PATCH = "relay-across-continue-as-new"
# The run workflow's patch marker: its relays are started and collected by activities, and it
# closes (continues as new, or ends) only once nothing of its own can still come in, not even a
# timer. Temporal fails a workflow task that closes a run if a new event arrived while it ran
# (UnhandledCommand), and the next task replays the whole history. Runs started before it keep
# child relays that signal.
RELAYS_COLLECTED_PATCH = "relays-started-and-collected-by-activities"

ACT_START_RELAYS = "start_relays"
ACT_COLLECT_RELAYS = "collect_relays"


def relay_workflow_id(run_id: str, batch_no: int) -> str:
    """One relay per batch number of a run (batch numbers never repeat within a run's chain)."""
    return f"{run_id}-relay-{batch_no}"


def relay_summary(run_id: str, item: ItemInput) -> str:
    """What the Temporal UI shows of a relay."""
    return f"Run {run_id}, stage {item.stage}, item {item.item_id}"


class RelayInput(BaseModel):
    run_id: str  # the run's workflow id
    batch_no: int
    item: ItemInput
    # The run's options: the item's activity is sized, retried and queued exactly as a flight's.
    options: RunOptions
    # False: the run collects the relay's result (activities.relays). A relay started before
    # that (no such field) signals the run, which waits for the signal.
    report_by_signal: bool = True


class RelayReport(BaseModel):
    """How a relay's item ended (the relay's result): its result; or the error that failed it for
    good; or cancelled (the run then asks the database what became of the item). Every field has
    a default, so the `report_relay` signal also works from the Temporal UI:
    `{"batch_no": 17, "cancelled": true}` (see docs/operations.md)."""

    batch_no: int = 0
    result: ItemResult | None = None
    error: ErrorInfo | None = None
    cancelled: bool = False


class StartRelaysInput(BaseModel):
    """The relays of one dispatch turn of a run."""

    run_id: str
    task_queue: str  # the run's own: relays are workflows of igny8's workers
    options: RunOptions
    execution_timeout: timedelta  # each relay's bound (workflows.relay.relay_bound)
    items: dict[int, ItemInput]  # batch number -> the item's input


class CollectRelaysInput(BaseModel):
    run_id: str
    batch_nos: list[int]  # the relays to wait for (at most the AI stages' items in flight)
    wait_seconds: float  # the longest wait for the first to end


class CollectedRelays(BaseModel):
    """The relays that ended, each with its report (one that ended without a result, such as a
    relay terminated by hand, is reported `cancelled`)."""

    reports: list[RelayReport]
