"""Stage 1's AI calls as activities of their own (a provider that charges per call): embed the
missing vectors range by range, group once, name the groups call by call, each call on the AI
task queue under its shared limits and retried alone. The batch activity then saves what the
steps stored (see services/cluster_steps).

Every step keeps its result in the database, so stopping between calls loses nothing: when
continue-as-new is due or the run pauses, no new call starts, the ones in the air finish, and
the batch goes back to its queue; the next flight carries on from what is stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from contracts.run import (
        ACT_CLUSTER_PREPARE,
        ACT_EMBED_KEYWORDS,
        ACT_GROUP_KEYWORDS,
        ACT_NAME_CLUSTERS,
        ClusterCallInput,
        ClusterGroups,
        ClusterPlan,
        ClusterStepInput,
        Cost,
        RunOptions,
    )
    from workflows.options import BOOKKEEPING, ai_item, stage_batch

T = TypeVar("T")
# Rounds of "embed what is missing, then group": a keyword that arrives meanwhile is embedded
# in the next round; after the last the batch activity clusters whatever is left by itself.
EMBED_ROUNDS = 3


@dataclass
class ClusterFlight:
    """What the scheduler lends one stage-1 flight."""

    step: ClusterStepInput
    options: RunOptions
    width: int  # calls in the air at once for this run
    spent: Callable[[Cost], None]  # each call's tokens and cost, into the stage's progress
    stopping: Callable[[], bool]  # continue-as-new due, or the run pausing: start no new call


async def cluster_by_calls(f: ClusterFlight) -> bool:
    """Run the steps that make AI calls; True when the batch activity may save now (or cluster
    by itself: the local provider), False when it stopped early and the batch must wait."""
    plan: ClusterPlan = await workflow.execute_activity(
        ACT_CLUSTER_PREPARE, f.step, result_type=ClusterPlan, **BOOKKEEPING
    )
    if not plan.by_calls:
        return True
    groups = ClusterGroups()
    for _ in range(EMBED_ROUNDS):
        embeds = [_call(f, first, last) for first, last in plan.embed_ranges]
        if not await _calls(f, ACT_EMBED_KEYWORDS, embeds):
            return False
        groups = await workflow.execute_activity(
            ACT_GROUP_KEYWORDS, f.step, result_type=ClusterGroups, **stage_batch(f.options)
        )
        if not groups.missing_vectors:
            break
        plan = await workflow.execute_activity(
            ACT_CLUSTER_PREPARE, f.step, result_type=ClusterPlan, **BOOKKEEPING
        )
    calls = [_call(f, call_no=n) for n in groups.naming_calls]
    return await _calls(f, ACT_NAME_CLUSTERS, calls)


def _call(f: ClusterFlight, first: int = 0, last: int = 0, call_no: int = 0) -> ClusterCallInput:
    s = f.step
    return ClusterCallInput(
        run_id=s.run_id,
        account_id=s.account_id,
        site_id=s.site_id,
        first_id=first,
        last_id=last,
        call_no=call_no,
        max_attempts=f.options.retry_maximum_attempts,
    )


async def _calls(f: ClusterFlight, activity: str, inputs: Sequence[ClusterCallInput]) -> bool:
    """Every call, at most `f.width` in the air, each slot refilled as soon as it frees; False
    when `f.stopping()` stopped it early (the calls already in the air are waited for)."""

    async def one(inp: ClusterCallInput) -> None:
        cost = await workflow.execute_activity(
            activity,
            inp,
            result_type=Cost,
            task_queue=f.options.ai_task_queue or None,
            **ai_item(f.options),
        )
        f.spent(cost)

    return await _window(inputs, one, f.width, f.stopping)


async def _window(
    inputs: Sequence[T],
    job: Callable[[T], Coroutine[Any, Any, None]],
    width: int,
    stopping: Callable[[], bool],
) -> bool:
    running: set[asyncio.Task[None]] = set()
    pending = list(reversed(inputs))  # popped from the end: in order, O(1) each
    try:
        while pending or running:
            while pending and len(running) < width and not stopping():
                running.add(asyncio.create_task(job(pending.pop())))
            if not running:
                return False  # stopping, with calls left to make
            done, still = await workflow.wait(running, return_when=asyncio.FIRST_COMPLETED)
            running = set(still)
            for task in done:
                task.result()  # a call that failed for good fails the flight
        return True
    finally:
        for task in running:
            task.cancel()
