"""Stage scheduling for AutomationRunWorkflow: filling each stage's queue, dispatching its items
under a sliding window, and folding their outcomes into the stage's counters.

The database holds every item's status; this class holds counters, a bounded window of loaded
item ids per stage and the flights in the air (activities, and the relays of workflows/relay.py
while continue-as-new is due). It changes nothing but `RunState.stages`, the relays, the batch
counter and the running estimate of credits used (which the ledger corrects at each record);
the run's own state (pause, error, status) belongs to the workflow, which hears of what matters
through `RunEvents`.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Protocol

from temporalio import workflow
from temporalio.exceptions import (
    ActivityError,
    ChildWorkflowError,
    WorkflowAlreadyStartedError,
)

with workflow.unsafe.imports_passed_through():
    from contracts.messages import done_message, failed_suffix, plural
    from contracts.relay import RelayReport
    from contracts.run import (
        ACT_MARK_ITEMS,
        ACT_PLAN_STAGE,
        ACT_PROCESS_BATCH,
        FAILED_MESSAGE_KEPT,
        STAGE_FINISHED,
        BatchInput,
        BatchResult,
        ClusterStepInput,
        Cost,
        ErrorInfo,
        FailedItem,
        ItemInput,
        ItemOutcome,
        ItemRef,
        ItemResult,
        MarkItemsInput,
        PlanStageInput,
        PlanStageResult,
        RunInput,
        RunState,
        SettledItems,
        StageState,
    )
    from contracts.stages import STAGES, Stage
    from contracts.wordpress import (
        PUBLISH_STAGE,
        PUBLISH_WORKFLOW,
        PublishContentInput,
        PublishResult,
        publish_workflow_id,
    )
    from workflows.options import BOOKKEEPING, stage_batch

from workflows.clustering import ClusterFlight, cluster_by_calls
from workflows.relay import Relays, process_item, unfinished_error

MAX_FAILED_KEPT = 20  # failures listed per queue in the workflow's state; the database has all
RECENT_KEPT = 50
NAME_KEPT = 60  # characters of an item's name held in the window
MAX_WINDOW = 1000
PUBLISH_CONCURRENCY = 4
ITEMS_PER_EXTRA = 4  # an AI stage keeps one item in flight beyond its calls per this many
# Plans in a row that load nothing while the database says items are pending: the stage fails
# (typed) instead of planning for ever.
MAX_STALLED_PLANS = 3
# Stage 1 makes its AI calls as activities of their own (a history before this change replays
# with one batch activity for the whole clustering).
CLUSTER_BY_CALLS = "stage-1-by-calls"


class RunEvents(Protocol):
    """What the scheduler tells the workflow that owns the run."""

    def changed(self) -> None:
        """Something a reader sees changed: record it and wake the run loop."""

    def credits_exhausted(self, error: ErrorInfo) -> None:
        """The account ran out of credits: the run must pause with this reason."""


@dataclass
class Flight:
    """Items handed to one activity (or one publish child)."""

    stage: int
    items: list[ItemRef]
    task: asyncio.Task[None] | None = None
    cancelled: bool = False


class StageScheduler:
    def __init__(self, inp: RunInput, state: RunState, run_id: str, events: RunEvents) -> None:
        self.inp = inp
        self.s = state
        self.run_id = run_id
        self.events = events
        self.flights: dict[int, Flight] = {}
        # Plans run beside the flights, so a slow plan never holds up dispatching.
        self._planning: dict[int, asyncio.Task[None]] = {}
        self._stale_plans: set[int] = set()  # plans in the air when a retry reopened a stage
        self.relays = Relays(state, run_id, inp.options, self.relay_reported, events.changed)

    # --- what the run looks like ---------------------------------------------------------------

    @property
    def queues(self) -> list[int]:
        """The stages of the run, then the publish queue that follows review."""
        order = list(self.s.stage_order)
        return order + [PUBLISH_STAGE] if Stage.REVIEW in order else order

    def airborne(self, stage: int) -> list[Flight]:
        """The stage's flights, its relays included (what the progress shows as processing)."""
        mine = [f for f in self.flights.values() if f.stage == stage]
        return mine + [Flight(stage=stage, items=[r.item]) for r in self.relays.of_stage(stage)]

    def processing(self, stage: int) -> int:
        return sum(len(f.items) for f in self.airborne(stage))

    def in_flight(self) -> int:
        """What continue-as-new waits for: activities in the air (items, batches, publishes and
        plans) and relay requests (starts, cancels, the collector). Relays themselves outlive
        it."""
        return len(self.flights) + len(self._planning) + len(self.relays.requests())

    def finished(self) -> bool:
        return all(self.s.stages[q].status in STAGE_FINISHED for q in self.queues)

    def current_stage(self) -> int | None:
        """The earliest stage not yet finished (publishing counts as part of review), or the
        stage a failed run stopped in."""
        failed = self.failed_stage()
        if failed is not None:
            return failed.stage
        for number in self.queues:
            if self.s.stages[number].status not in STAGE_FINISHED:
                return Stage.REVIEW if number == PUBLISH_STAGE else number
        return None

    def failed_stage(self) -> StageState | None:
        """A stage that ended with every one of its items failed: the run stops there."""
        return next((st for st in self.s.stages.values() if st.status == "failed"), None)

    def _upstream(self, number: int) -> StageState | None:
        queues = self.queues
        index = queues.index(number)
        return self.s.stages[queues[index - 1]] if index else None

    def _upstream_done(self, number: int) -> bool:
        if self.inp.options.strict_order or number == PUBLISH_STAGE:
            # Strict: every earlier stage finished. Publishing follows review's approvals.
            queues = self.queues
            earlier = queues[: queues.index(number)]
            if number == PUBLISH_STAGE:
                earlier = [Stage.REVIEW]
            return all(self.s.stages[q].status in STAGE_FINISHED for q in earlier)
        up = self._upstream(number)
        return up is None or up.status in STAGE_FINISHED

    def _may_work(self, number: int) -> bool:
        """Strict order: only the earliest unfinished stage. Overlap: any stage whose upstream
        has started (publishing always may: it only finds what review approved)."""
        if self.s.stages[number].status in STAGE_FINISHED:
            return False
        if self.inp.options.strict_order and number != PUBLISH_STAGE:
            return self._upstream_done(number)
        up = self._upstream(number)
        return up is None or number == PUBLISH_STAGE or up.status != "pending"

    @property
    def _rules_1(self) -> bool:
        """The run began under the scheduler's rules 1 (contracts.run.SCHEDULER_RULES); one
        that began before them keeps the old ones, so its history replays."""
        return self.s.rules >= 1

    # --- sizes ---------------------------------------------------------------------------------

    def _per_item(self, number: int) -> bool:
        """AI stages after clustering: one activity per item, i.e. per AI call."""
        return (
            number in STAGES and STAGES[Stage(number)].uses_ai and number != Stage.CLUSTER_KEYWORDS
        )

    def batch_size(self, number: int) -> int:
        if number == PUBLISH_STAGE or self._per_item(number):
            return 1
        default = STAGES[Stage(number)].batch_size
        return max(1, self.inp.options.batch_sizes.get(number, default))

    def concurrency(self, number: int) -> int:
        if number == PUBLISH_STAGE:
            default = PUBLISH_CONCURRENCY
        else:
            default = STAGES[Stage(number)].concurrency
        return max(1, self.inp.options.concurrency.get(number, default))

    def _window_size(self, number: int) -> int:
        """Enough loaded items to refill every slot twice over before the next plan."""
        return min(MAX_WINDOW, 2 * self.batch_size(number) * self.concurrency(number))

    def _slots(self, number: int) -> int:
        return self._items_in_flight(number) - len(self.airborne(number))

    def _items_in_flight(self, number: int) -> int:
        """An AI stage keeps a quarter more items in flight than its concurrency (its calls):
        an item's database steps, before and after its call, then overlap other items' calls
        instead of leaving the run's share of the provider idle. The AI worker's own limit
        (IGNY8_AI_MAX_IN_FLIGHT) still bounds the calls; below 4, none extra."""
        calls = self.concurrency(number)
        extra = self._per_item(number) and self._rules_1
        return calls + calls // ITEMS_PER_EXTRA if extra else calls

    # --- driving -------------------------------------------------------------------------------

    def advance(self, active: bool, relay: bool = False, collect: bool = True) -> None:
        """One turn: dispatch what is loaded, plan the queues that need it, and close the
        stages that are done. Not `active` (paused, or continue-as-new is due) starts no
        activity and no plan; with `relay` (continue-as-new is due, not paused) the AI stages'
        free slots get relays, which outlive the continue-as-new, and their windows are planned
        while flights are still landing. Relays out are collected only while `collect` (the
        run is not due to continue as new)."""
        if active:
            for number in self.queues:
                if self._may_work(number):
                    self._dispatch(number)
            for number in self.queues:
                if self._may_work(number) and self._needs_plan(number):
                    self._planning[number] = asyncio.create_task(self._plan(number))
        elif relay:
            for number in self.queues:
                if self._per_item(number) and self._may_work(number):
                    self._dispatch(number, relay=True)
            if self.flights and self._rules_1:
                # Still draining: the AI stages' windows keep being fed, so relays fill their
                # slots until the last flight lands (a plan takes a moment; none starts after).
                for number in filter(self._per_item, self.queues):
                    if self._may_work(number) and self._needs_plan(number):
                        self._planning[number] = asyncio.create_task(self._plan(number))
        for number in self.queues:
            if self._may_work(number):
                self._close_if_done(number)
        self.relays.follow(collect)

    def _needs_plan(self, number: int) -> bool:
        st = self.s.stages[number]
        if number in self._planning:
            return False
        if not st.planned_final and self._upstream_done(number):
            return True  # the last plan: whatever upstream left, and the skip rules
        low = len(st.window) < self.batch_size(number) * self.concurrency(number)
        return low and (st.unloaded > 0 or (st.upstream_moved and not st.planned_final))

    async def _plan(self, number: int) -> None:
        st = self.s.stages[number]
        final = self._upstream_done(number)
        manual = self.inp.manual
        st.upstream_moved = False
        if st.status == "pending":
            st.status = "running"
            st.started_at = workflow.now()
        asked = max(self._window_size(number) - len(st.window), 0)
        self.s.plan_counter += 1
        try:
            plan = await workflow.execute_activity(
                ACT_PLAN_STAGE,
                PlanStageInput(
                    run_id=self.run_id,
                    account_id=self.inp.account_id,
                    site_id=self.inp.site_id,
                    stage=number,
                    window=asked,
                    manual=bool(manual and manual.stage == number),
                    final=final,
                    plan_no=self.s.plan_counter,
                ),
                result_type=PlanStageResult,
                **BOOKKEEPING,
            )
            self._apply_plan(st, plan, first=not st.planned_once, asked=asked)
            st.planned_once = True
            # Not the last plan if a retry reopened the stage meanwhile: plan again.
            stale = number in self._stale_plans
            st.planned_final = (st.planned_final or final) and not stale
            st.upstream_moved = st.upstream_moved or stale
        finally:
            self._planning.pop(number, None)
            self._stale_plans.discard(number)
            self.events.changed()

    def _apply_plan(self, st: StageState, plan: PlanStageResult, first: bool, asked: int) -> None:
        if plan.skip_message:
            st.status = "skipped"
            st.message = plan.skip_message
            st.finished_at = workflow.now()
            return
        st.total, st.unloaded = plan.total, plan.unloaded
        if first:  # afterwards the workflow's own counts are the truth (items in flight)
            st.completed, st.failed_total = plan.completed, plan.failed
        keep = 0 if st.stage == Stage.CLUSTER_KEYWORDS else NAME_KEPT
        st.window.extend(ItemRef(id=i.id, name=i.name[:keep]) for i in plan.items)
        for item in plan.rejected:
            self._keep_failure(st, item)
        stalled = asked and plan.unloaded and not (plan.items or plan.rejected or st.window)
        st.stalled_plans = st.stalled_plans + 1 if stalled else 0
        if st.stalled_plans >= MAX_STALLED_PLANS:
            st.status, st.finished_at = "failed", workflow.now()
            st.last_error = ErrorInfo(
                error_type="PlanStalledError",
                error_message=f"{plural(plan.unloaded, 'item')} pending, but "
                f"{MAX_STALLED_PLANS} plans in a row loaded none of them",
                timestamp=workflow.now(),
            )
            st.message = f"Stalled: {st.last_error.error_message}"

    def _dispatch(self, number: int, relay: bool = False) -> None:
        st = self.s.stages[number]
        size = self.batch_size(number)
        if size > 1 and st.planned_final and not st.unloaded and st.window:
            # Even batches: 2 001 keywords make two batches of ~1 000, not 2 000 + 1.
            count = -(-len(st.window) // size)
            size = -(-len(st.window) // count)
        while st.window and self._slots(number) > 0:
            items, st.window = st.window[:size], st.window[size:]
            self.s.batch_counter += 1
            if relay:
                batch_no = self.s.batch_counter
                self.relays.start(batch_no, number, items[0], self._item_input(number, items[0]))
                self.events.changed()
                continue
            flight = Flight(stage=number, items=items)
            self.flights[self.s.batch_counter] = flight
            flight.task = asyncio.create_task(self._fly(self.s.batch_counter, flight))
            self.events.changed()

    def _close_if_done(self, number: int) -> None:
        st = self.s.stages[number]
        if not (st.planned_final and self._upstream_done(number)):
            return
        if st.window or st.unloaded or self.processing(number) or number in self._planning:
            return
        st.finished_at = workflow.now()
        every_item_failed = st.total and not st.completed and st.failed_total >= st.total
        if every_item_failed and number != PUBLISH_STAGE:
            st.status = "failed"
            reason = st.last_error.error_message if st.last_error else "no item succeeded"
            st.message = f"All {st.total:,} items failed: {reason}"
        else:
            st.status = "completed"
            if number in STAGES:
                st.message = done_message(number, st.result) + failed_suffix(st.failed_total)
        self.events.changed()

    def reopen(self, number: int, requeued: int) -> None:
        """Failed items went back to pending (retry): the stage and those after it run again.
        Each plans anew, closed or not: a running stage's last plan did not see these items,
        and a plan in the air read the database before the retry moved them."""
        st = self.s.stages[number]
        st.failed_total -= requeued
        st.failed = [] if st.failed_total <= 0 else st.failed
        st.unloaded += requeued
        queues = self.queues
        for later in queues[queues.index(number) :]:
            other = self.s.stages[later]
            closed = other.status in ("completed", "failed", "skipped")
            if closed:
                other.status = "running"
            if closed or self._rules_1:
                other.planned_final = False
                other.upstream_moved = True
            if later in self._planning and self._rules_1:
                self._stale_plans.add(later)
        self.events.changed()

    def cancel_in_flight(self) -> None:
        """Pause (immediate) or cancel: every flight and relay stops; their items go back to
        the window."""
        for flight in self.flights.values():
            if flight.task and not flight.cancelled:
                flight.cancelled = True
                flight.task.cancel()
        self.relays.cancel_all()

    async def wait_for_flights(self) -> None:
        """After `cancel_in_flight`: every flight and plan ends, and the relays' reports are in
        (collected, or signalled by relays of a run from before collecting)."""
        await self._gather()
        if self.s.relays:
            await self.relays.reports()
            await self._gather()  # the items of the reports, settled

    async def _gather(self) -> None:
        tasks = [f.task for f in self.flights.values() if f.task]
        tasks += [*self._planning.values(), *self.relays.requests()]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def unload_windows(self) -> None:
        """Before continue-as-new: the items loaded in the windows go back to pending in the
        database, so the state carried over holds counters, not ids; the next run plans again
        at once. (A relay's item that comes back meanwhile is carried over in its window, as
        `queued`: a handful at most, which the next run dispatches first.)"""
        for st in self.s.stages.values():
            if not st.window:
                continue
            settled = await workflow.execute_activity(
                ACT_MARK_ITEMS,
                MarkItemsInput(
                    run_id=self.run_id,
                    stage=st.stage,
                    item_ids=[i.id for i in st.window],
                    status="pending",
                ),
                result_type=SettledItems,
                **BOOKKEEPING,
            )
            back = set(settled.statuses.get("pending", []))
            st.window = [i for i in st.window if i.id not in back]
            st.unloaded += len(back)

    def stop_all(self) -> None:
        """The run stops early (cancelled, or a stage failed): nothing else will run."""
        for st in self.s.stages.values():
            if st.status in ("pending", "running"):
                st.status = "cancelled"
                st.window = []

    # --- one flight ----------------------------------------------------------------------------

    async def _fly(self, batch_no: int, flight: Flight) -> None:
        st = self.s.stages[flight.stage]
        try:
            if flight.stage == PUBLISH_STAGE:
                await self._publish(st, flight.items[0])
            elif self._per_item(flight.stage):
                await self._process_item(st, flight.items[0])
            elif flight.stage == Stage.CLUSTER_KEYWORDS and workflow.patched(CLUSTER_BY_CALLS):
                await self._cluster(st, batch_no, flight)
            else:
                await self._process_batch(st, batch_no, flight)
        except (ActivityError, ChildWorkflowError, asyncio.CancelledError) as exc:
            await self._settle(st, flight, exc)
        finally:
            self.flights.pop(batch_no, None)
            self.events.changed()

    def _item_input(self, stage: int, item: ItemRef) -> ItemInput:
        return ItemInput(
            run_id=self.run_id,
            account_id=self.inp.account_id,
            site_id=self.inp.site_id,
            stage=stage,
            item_id=item.id,
            max_attempts=self.inp.options.retry_maximum_attempts,
        )

    async def _process_item(self, st: StageState, item: ItemRef) -> None:
        result = await process_item(self._item_input(st.stage, item), self.inp.options)
        self._item_result(st, item, result)

    def _item_result(self, st: StageState, item: ItemRef, result: ItemResult) -> None:
        """What an item's activity answered (from a flight or a relay's report)."""
        if result.outcome is not None:
            self._apply_outcome(st, item, result.outcome)
        else:
            st.window.insert(0, item)
            if result.insufficient_credits:
                self.events.credits_exhausted(result.insufficient_credits)

    def relay_reported(self, report: RelayReport) -> None:
        """A relay's item ended: counted as its activity's end would be in a flight. A report
        of a relay this run does not hold (a duplicate, or one settled already) is ignored."""
        relay = self.s.relays.pop(report.batch_no, None)
        if relay is None:
            return
        st = self.s.stages[relay.stage]
        if report.result is not None:
            self._item_result(st, relay.item, report.result)
        else:
            # Settled as a flight of its own (counted as processing until the database has
            # answered); already past cancelling.
            flight = Flight(stage=relay.stage, items=[relay.item], cancelled=True)
            self.flights[report.batch_no] = flight
            flight.task = asyncio.create_task(self._land(report.batch_no, flight, report.error))
        self.events.changed()

    async def _land(self, batch_no: int, flight: Flight, error: ErrorInfo | None) -> None:
        try:
            await self._unfinished(self.s.stages[flight.stage], flight.items, error)
        finally:
            self.flights.pop(batch_no, None)
            self.events.changed()

    async def _cluster(self, st: StageState, batch_no: int, flight: Flight) -> None:
        """Stage 1: its AI calls one activity each (workflows/clustering), then the batch
        activity saves; stopped early (continue-as-new, pause), the batch waits in the window."""

        def spent(cost: Cost) -> None:
            st.cost.add(cost)
            self.events.changed()

        ready = await cluster_by_calls(
            ClusterFlight(
                step=ClusterStepInput(
                    run_id=self.run_id,
                    account_id=self.inp.account_id,
                    site_id=self.inp.site_id,
                    item_ids=[i.id for i in flight.items],
                ),
                options=self.inp.options,
                width=self.concurrency(Stage.GENERATE_IDEAS),
                spent=spent,
                stopping=lambda: self.s.paused or workflow.info().is_continue_as_new_suggested(),
            )
        )
        if ready:
            await self._process_batch(st, batch_no, flight)
        else:
            await self._mark(st, flight.items, "queued", None)

    async def _process_batch(self, st: StageState, batch_no: int, flight: Flight) -> None:
        result = await workflow.execute_activity(
            ACT_PROCESS_BATCH,
            BatchInput(
                run_id=self.run_id,
                account_id=self.inp.account_id,
                site_id=self.inp.site_id,
                stage=st.stage,
                batch_no=batch_no,
                item_ids=[i.id for i in flight.items],
            ),
            result_type=BatchResult,
            cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
            **stage_batch(self.inp.options),
        )
        by_id = {i.id: i for i in flight.items}
        for out in result.outcomes:
            if out.id in by_id:
                self._apply_outcome(st, by_id.pop(out.id), out)
        for item_id in result.completed_ids:
            if item_id in by_id:
                self._count_completed(st, by_id.pop(item_id), {})
        for item_id in result.failed_ids:
            if item_id in by_id:
                self._count_failed(st, by_id.pop(item_id), result.failed_error, 1)
        if result.insufficient_credits:
            st.window = list(by_id.values()) + st.window  # the activity put them back
            self.events.credits_exhausted(result.insufficient_credits)
        elif by_id:
            # An item the batch said nothing about would loop for ever: it fails, typed.
            missing = ErrorInfo(
                error_type="MissingOutcomeError",
                error_message="The batch ended without an outcome for this item",
                timestamp=workflow.now(),
            )
            await self._mark(st, list(by_id.values()), "failed", missing)

    async def _publish(self, st: StageState, item: ItemRef) -> None:
        # Already started: a publish of this article (by hand) is under way and does the work.
        with contextlib.suppress(WorkflowAlreadyStartedError):
            await workflow.execute_child_workflow(
                PUBLISH_WORKFLOW,
                PublishContentInput(
                    content_id=item.id, account_id=self.inp.account_id, site_id=self.inp.site_id
                ),
                id=publish_workflow_id(item.id),
                result_type=PublishResult,
            )
        await self._mark(st, [item], "completed", None)

    async def _settle(
        self,
        st: StageState,
        flight: Flight,
        exc: ActivityError | ChildWorkflowError | BaseException,
    ) -> None:
        """The flight ended without a result."""
        await self._unfinished(st, flight.items, unfinished_error(exc, flight.cancelled))

    async def _unfinished(
        self, st: StageState, items: list[ItemRef], error: ErrorInfo | None
    ) -> None:
        """Work ended without a result: cancelled (`error` None: the items the database says are
        unfinished go back to the window) or failed for good after its retries."""
        await self._mark(st, items, "failed" if error else "queued", error)

    async def _mark(
        self, st: StageState, items: list[ItemRef], status: str, error: ErrorInfo | None
    ) -> None:
        """Ask the database to settle the items, then count what it says happened to each
        (some may have completed before a cancel arrived)."""
        settled = await workflow.execute_activity(
            ACT_MARK_ITEMS,
            MarkItemsInput(
                run_id=self.run_id,
                stage=st.stage,
                item_ids=[i.id for i in items],
                status=status,
                error=error,
            ),
            result_type=SettledItems,
            **BOOKKEEPING,
        )
        by_id = {i.id: i for i in items}
        for item_id in settled.statuses.get("completed", []):
            result = settled.results.get(item_id, {})
            self._count_completed(st, by_id[item_id], result)
        for item_id in settled.statuses.get("failed", []):
            err = settled.errors.get(item_id, error)
            self._count_failed(st, by_id[item_id], err, 0)
        back = [by_id[i] for i in settled.statuses.get("queued", []) if i in by_id]
        st.window = back + st.window
        if error:
            st.last_error = error

    # --- counting ------------------------------------------------------------------------------

    def _apply_outcome(self, st: StageState, item: ItemRef, out: ItemOutcome) -> None:
        st.cost.add(out.cost)
        self.s.credits_used += out.credits_charged  # the ledger corrects it at each record
        if out.status == "completed":
            self._count_completed(st, item, out.result)
        else:
            self._count_failed(st, item, out.error, out.attempts)

    def _count_completed(self, st: StageState, item: ItemRef, result: dict[str, int]) -> None:
        st.completed += 1
        for key, value in result.items():
            st.result[key] = st.result.get(key, 0) + value
        st.recent_completed = [*st.recent_completed, item][-RECENT_KEPT:]
        queues = self.queues
        index = queues.index(st.stage)
        if index + 1 < len(queues):
            self.s.stages[queues[index + 1]].upstream_moved = True
        if st.stage == PUBLISH_STAGE:
            self._count_publish_outcome("published", None)

    def _count_failed(
        self, st: StageState, item: ItemRef, error: ErrorInfo | None, attempts: int
    ) -> None:
        st.failed_total += 1
        if error:
            st.last_error = error
        self._keep_failure(
            st,
            FailedItem(
                id=item.id,
                name=item.name,
                attempts=attempts,
                error_type=error.error_type if error else "Error",
                error_message=(error.error_message if error else "")[:FAILED_MESSAGE_KEPT],
                retryable=error.retryable if error else False,
            ),
        )
        if st.stage == PUBLISH_STAGE:
            self._count_publish_outcome("publish_failed", error)

    def _count_publish_outcome(self, key: str, error: ErrorInfo | None) -> None:
        """Publishing reports under stage 7 (review): its counts and, when review already
        closed before the publish queue drained, its message too."""
        review = self.s.stages.get(Stage.REVIEW)
        if review is None:
            return
        review.result[key] = review.result.get(key, 0) + 1
        review.last_error = error or review.last_error
        if review.status == "completed":
            review.message = done_message(Stage.REVIEW, review.result) + failed_suffix(
                review.failed_total
            )

    @staticmethod
    def _keep_failure(st: StageState, item: FailedItem) -> None:
        if len(st.failed) < MAX_FAILED_KEPT and all(f.id != item.id for f in st.failed):
            st.failed.append(item)
