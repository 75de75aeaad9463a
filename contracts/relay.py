"""Payloads of the item relay (workflows/relay.py): a small child workflow that runs one AI item's
activity for a run whose continue-as-new is due, outlives that continue-as-new, and reports the
item's end to the run by signal.

Ids and outcomes only, like every workflow payload (see contracts.run).
"""

from __future__ import annotations

from pydantic import BaseModel

from contracts.run import ErrorInfo, ItemInput, ItemResult, RunOptions

RELAY_WORKFLOW = "ItemRelayWorkflow"
# The run's signal its relays report to (by workflow id, so whichever run of the chain is open).
SIGNAL_REPORT_RELAY = "report_relay"
# The run workflow's patch marker: runs started before it drain every flight before they
# continue as new, and never start a relay.
RELAY_PATCH = "relay-across-continue-as-new"


def relay_workflow_id(run_id: str, batch_no: int) -> str:
    """One relay per batch number of a run (batch numbers never repeat within a run's chain)."""
    return f"{run_id}-relay-{batch_no}"


class RelayInput(BaseModel):
    run_id: str  # the run's workflow id: where the report goes
    batch_no: int
    item: ItemInput
    # The run's options: the item's activity is sized, retried and queued exactly as a flight's.
    options: RunOptions


class RelayReport(BaseModel):
    """How a relay's item ended: its result; or the error that failed it for good; or cancelled
    (the run then asks the database what became of the item). Every field has a default, so the
    signal also works from the Temporal UI: `{"batch_no": 17, "cancelled": true}` settles the item
    of a relay that was terminated by hand (see docs/operations.md)."""

    batch_no: int = 0
    result: ItemResult | None = None
    error: ErrorInfo | None = None
    cancelled: bool = False
